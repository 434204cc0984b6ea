"""What the queue marks in a comment's text: the words and links that pushed a flagged label up.

A mark tells a moderator "this is why the model held it", so it is shown only
where it is true: on labels whose score reached their review threshold, and
only for terms that carry a real share of the push. A comment below every
threshold carries no mark at all (marking "thanks" on a published comment
suggests a problem that is not there).

The model explains itself partly in signals that are not words of the text:
every link is the single token ``<link>`` and the shape signal "links", and
abuse is counted by the shape signals "abusive words" and "abuse aimed at
someone". Those are mapped back to what the moderator can see: the URLs and
domains in the comment, and its words from the abuse lexicon. Other shape
signals (capitals, exclamation marks, length) have no words to mark and stay
on the score line.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from training.evaluate import Thresholds
from training.features import LINK_DISPLAY, LINK_TOKEN, SHAPE_FEATURES, clean
from training.lexicon import ABUSIVE_WORDS

from ..models import Comment

#: A term is marked when it raised its label at least this share as much as the label's strongest term,
#: so a link-spam comment marks its URL (most of the push) and not "article" or "free" (a tenth of it).
MIN_SHARE = 0.25
_LINK_REASONS = frozenset({"links"})
_ABUSE_REASONS = frozenset({"abusive words", "share of abusive words", "abuse aimed at someone"})
_LINKS, _ABUSE = "\0links", "\0abuse"  # keys that cannot be a term of the text
_PUNCTUATION = ".,;:!?\"'()[]{}<>*"
_LEXICON_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def links_in(text: str) -> list[str]:
    """The URLs and bare domains of ``text``, as written, exactly where the model saw a link."""
    return [token.strip(_PUNCTUATION) for token in text.split() if LINK_TOKEN in clean(token)]


def abusive_words_in(text: str) -> list[str]:
    """The words of ``text`` from the lexicon behind the model's abuse signals."""
    return [w for w in _LEXICON_WORD.findall(text) if w.lower() in ABUSIVE_WORDS]


def _reason_key(term: str) -> str | None:
    if term in _LINK_REASONS or LINK_DISPLAY in term:
        return _LINKS
    if term in _ABUSE_REASONS:
        return _ABUSE
    return None if term in SHAPE_FEATURES else term


def highlight_terms(comment: Comment, thresholds: Mapping[str, Thresholds]) -> list[str]:
    """The terms to mark in ``comment``: for each label at or above its review threshold, what pushed it most."""
    scores = comment.scores or {}
    explanation = comment.explanation or {}
    terms: list[str] = []
    for label, reasons in explanation.items():
        if label not in thresholds or scores.get(label, 0.0) < thresholds[label].review:
            continue
        pushed: dict[str, float] = {}
        for term, weight in reasons:
            key = _reason_key(term)
            if weight > 0 and key is not None:
                pushed[key] = pushed.get(key, 0.0) + weight
        strongest = max(pushed.values(), default=0.0)
        for key, weight in pushed.items():
            if weight < MIN_SHARE * strongest:
                continue
            if key == _LINKS:
                terms.extend(links_in(comment.text or ""))
            elif key == _ABUSE:
                terms.extend(abusive_words_in(comment.text or ""))
            else:
                terms.append(key)
    return list(dict.fromkeys(t for t in terms if t))
