"""How much reports count, without a database: a reporter's record, one vote per network, the Reported tab's risk
and the note point."""
from __future__ import annotations

import pytest

from moderation.comments.report_weights import Filed, credibility, note_points, past_note_point, reporters, risk


def filed(id: int, comment: int = 1, reader: str = "r", ip: str = "ip", network: str = "net",
          reason: str = "abusive", state: str = "open") -> Filed:
    return Filed(id, comment, reader, ip, network, reason, state)


def test_a_new_reporter_counts_fully_and_dismissals_wear_it_down() -> None:
    report = filed(1, reader="nag", ip="a")
    assert credibility(report, []) == 1.0
    dismissed = [filed(10 + n, comment=10 + n, reader="nag", state="dismissed") for n in range(3)]
    assert credibility(report, dismissed) == pytest.approx(0.25)
    upheld = [filed(20 + n, comment=20 + n, reader="nag", state="upheld") for n in range(3)]
    assert credibility(report, dismissed + upheld) == pytest.approx(4 / 7)


def test_the_same_ip_hash_is_the_same_reporter_and_the_same_comment_does_not_count() -> None:
    report = filed(1, reader="fresh-cookie", ip="a")
    history = [filed(2, comment=5, reader="old-cookie", ip="a", state="dismissed"),
               filed(3, comment=1, reader="fresh-cookie", ip="a", state="dismissed"),  # this comment: not its record
               filed(4, comment=6, reader="someone-else", ip="b", state="dismissed")]
    assert credibility(report, history) == pytest.approx(0.5)


def test_twenty_reports_from_one_network_are_one_reporter() -> None:
    brigade = [filed(n, reader=f"cookie-{n}", ip=f"ip-{n}", network="one-24") for n in range(20)]
    assert reporters(brigade, {}) == 1.0
    spread = [filed(n, reader=f"cookie-{n}", network=f"net-{n}") for n in range(3)]
    assert reporters(spread, {}) == 3.0
    # One network counts at its best-regarded reporter's weight.
    assert reporters(brigade, {0: 0.25, 1: 0.5}) == 1.0
    assert reporters(brigade[:2], {0: 0.25, 1: 0.5}) == 0.5


def test_risk_grows_with_reports_and_weighs_reasons() -> None:
    assert risk(0.1, [], {}) == pytest.approx(0.1)
    assert risk(0.1, [filed(1, network="a")], {}) == pytest.approx(0.55)
    three = [filed(n, network=f"n{n}") for n in range(3)]
    assert risk(0.1, three, {}) == pytest.approx(1 - 0.9 / 8)
    offtopic = risk(0.1, [filed(1, reason="offtopic")], {})
    abusive = risk(0.1, [filed(1, reason="abusive")], {})
    assert 0.1 < offtopic < abusive
    assert risk(0.9, [], {}) > risk(0.1, [filed(1, reason="offtopic")], {})  # a confident model still leads


def test_the_note_point_is_a_share_of_each_review_threshold() -> None:
    points = note_points({"spam": 0.8, "toxic": 0.5}, 0.5)
    assert points == {"spam": 0.4, "toxic": 0.25}
    assert past_note_point({"spam": 0.3, "toxic": 0.3}, points) == "toxic"
    assert past_note_point({"spam": 0.39, "toxic": 0.2}, points) is None
    assert past_note_point(None, points) is None
