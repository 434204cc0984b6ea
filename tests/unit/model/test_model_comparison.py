"""The pure parts of comparing two models: regression cases counted, shadow routing summarised."""
from __future__ import annotations

from moderation.model.regressions import Case, Routed, compare
from moderation.model.shadow import Observation, summarise
from moderation.models import Status

P, H, S = Status.PUBLISHED, Status.PENDING, Status.SPAM


def case(comment_id: int, approved: bool) -> Case:
    return Case(comment_id, "text", "author", "a@example.org", "", P if not approved else H, "v0", approved, False)


def routed(*statuses: Status) -> list[Routed]:
    return [Routed(status, {"toxic": 0.5}) for status in statuses]


def test_compare_counts_each_models_right_cases_and_lists_only_the_newly_wrong() -> None:
    cases = [case(1, approved=False), case(2, approved=True), case(3, approved=True), case(4, approved=False)]
    result = compare(cases, candidate=routed(P, P, H, S), active=routed(H, H, P, P))
    assert result.cases == 4
    assert result.candidate_right == 2 and result.active_right == 2  # {2, 4} and {1, 3}
    assert [r.case.comment_id for r in result.newly_wrong] == [1, 3]
    assert result.newly_right == 2
    as_json = result.as_json()
    assert as_json["newly_wrong_total"] == 2
    assert as_json["newly_wrong"][0] == {"comment_id": 1, "approved": False, "model_version": "v0",
                                         "candidate": {"status": "published", "scores": {"toxic": 0.5}},
                                         "active": {"status": "pending", "scores": {"toxic": 0.5}}}


def test_compare_without_an_active_model_counts_the_candidate_only() -> None:
    result = compare([case(1, approved=True)], candidate=routed(P), active=None)
    assert (result.candidate_right, result.active_right, result.newly_wrong, result.newly_right) == (1, None, [], 0)


def test_summarise_counts_routing_pairs_and_agreement_on_decided_comments_only() -> None:
    observations = [
        Observation(1, H, P, None, {}, approved=False),  # active held what was rejected: active agrees
        Observation(2, H, P, None, {}, approved=True),   # the shadow published what was approved: shadow agrees
        Observation(3, P, P, None, {}, approved=True),   # both agree
        Observation(4, S, H, None, {}, approved=None),   # not decided: counted in the table only
    ]
    confusion, decided, active, shadow = summarise(observations)
    assert confusion == {(H, P): 2, (P, P): 1, (S, H): 1}
    assert (decided, active, shadow) == (3, 2, 2)
