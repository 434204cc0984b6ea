"""The queue marks what held a comment: the URL of a link-spam comment, nothing on a published one."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from moderation.model.scoring import Scored
from moderation.models import Article, Moderator
from tests.conftest import StubScorer, login, post_comment
from training.datasets import Post


class LinkScorer(StubScorer):
    """A link makes spam 0.9 (held), explained as the real model explains link spam; otherwise 0.3 (published)."""

    def score(self, comment: Post) -> Scored:
        if "http" in comment.text:
            spam, reasons = 0.9, [["links", 9.2], ["<link>", 4.0], ["free", 1.5], ["article", 1.3]]
        else:
            spam, reasons = 0.3, [["free", 0.8], ["article", 0.4]]
        return Scored(self.version, {"spam": spam, "toxic": 0.01}, {"spam": reasons, "toxic": []}, self.THRESHOLDS)


def test_link_spam_marks_its_url_and_published_comments_carry_no_marks(
        app: Flask, client: FlaskClient, article: Article, moderator: Moderator) -> None:
    app.extensions["moderation.scorer"] = LinkScorer()
    reader = app.test_client()
    post_comment(reader, article, comment="Free article! Claim it at https://win.example.com/free now",
                 email="spam@example.org")
    post_comment(reader, article, comment="A free article, thanks for writing it", email="fan@example.org")
    login(client, moderator.email)
    html = client.get("/moderation/?tab=all").get_data(as_text=True)
    assert re.findall(r"<mark>(.*?)</mark>", html) == ["https://win.example.com/free"]
    assert "A free article, thanks for writing it" in html
