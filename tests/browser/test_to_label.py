"""A moderator sorts an old site's removed comments from the keyboard: one key labels a whole spam wave."""
from __future__ import annotations

import pytest
from flask import Flask

from moderation.models import Moderator
from moderation.queue.decisions import label_counts
from moderation.queue.listing import counts
from moderation.sites.imports import import_file
from tests.conftest import PASSWORD
from tests.web.model.test_site_learning import wxr

pytestmark = pytest.mark.browser

WAVE = "Get rich fast with our crypto signals group, join today and earn big: http://signals.example.com #{}"


def test_a_key_labels_a_grouped_wave(app: Flask, moderator: Moderator, live_server: str, page) -> None:
    history = [(WAVE.format(i), "trash") for i in range(12)] + [("You are a flonkbrain, everyone knows it.", "trash")]
    import_file("wxr", wxr(history), labels=True, rejected_as="review")
    assert counts()["to-label"] == 13

    page.goto(f"{live_server}/auth/login")
    page.fill("#email", moderator.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/moderation/")
    page.click("nav.tabs >> text=To label")
    assert "Keys:" in page.locator(".shortcuts").inner_text() and "fine" in page.locator(".shortcuts").inner_text()
    items = page.locator(".queue-item")
    assert items.count() == 2
    wave_row = [i for i in range(2) if "and 11 similar" in items.nth(i).inner_text()]
    assert len(wave_row) == 1

    for _ in range(wave_row[0]):  # the first row is selected on load
        page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("s")
    assert label_counts()["decisions"] == {"spam": 12}
    assert page.locator(".queue-item").count() == 1 and "flonkbrain" in page.locator(".queue-item").inner_text()

    with page.expect_navigation():
        page.keyboard.press("r")  # toxic
    assert label_counts()["decisions"] == {"spam": 12, "toxic": 1}
    assert "Nothing here" in page.content()
