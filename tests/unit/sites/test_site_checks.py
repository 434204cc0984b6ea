"""Pure parts of the Akismet-compatible API: how a route becomes Akismet's answer, and site addresses."""
from __future__ import annotations

import pytest

from moderation.comments.policy import Route
from moderation.models import Status
from moderation.sites.api_keys import SiteUrlError, site_origin
from moderation.sites.site_checks import Answer, answer, content_hash


@pytest.mark.parametrize(("route", "expected"), [
    (Route(Status.SPAM, "threshold.spam.high", ""), Answer(True, True)),
    (Route(Status.SPAM, "rule.honeypot", ""), Answer(True, True)),
    (Route(Status.SPAM, "rule.banned", ""), Answer(True, True)),
    (Route(Status.PENDING, "threshold.spam.review", ""), Answer(True, False)),
    (Route(Status.PENDING, "threshold.toxic.high", ""), Answer(True, False)),
    (Route(Status.PENDING, "rule.links", ""), Answer(False, False)),
    (Route(Status.PENDING, "rule.moderation_word", ""), Answer(False, False)),
    (Route(Status.PENDING, "scoring.failed", ""), Answer(None, False)),
    (Route(Status.PUBLISHED, "threshold.below_review", ""), Answer(False, False)),
    (Route(Status.PUBLISHED, "rule.trusted_author", ""), Answer(False, False)),
])
def test_answer(route: Route, expected: Answer) -> None:
    assert answer(route) == expected


@pytest.mark.parametrize(("url", "origin"), [
    ("https://www.Example.org", "https://www.example.org"),
    ("https://www.example.org/news/", "https://www.example.org"),
    ("http://localhost:8080/blog", "http://localhost:8080"),
    (" HTTPS://example.org ", "https://example.org"),
])
def test_site_origin(url: str, origin: str) -> None:
    assert site_origin(url) == origin


@pytest.mark.parametrize("url", ["", "example.org", "ftp://example.org", "https://", "http://[::1", "http://x:99999"])
def test_site_origin_refuses(url: str) -> None:
    with pytest.raises(SiteUrlError):
        site_origin(url)


def test_content_hash_ignores_line_endings_and_outer_space() -> None:
    assert content_hash("a\r\nb ") == content_hash("a\nb")
    assert content_hash("a") != content_hash("b")
