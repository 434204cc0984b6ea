"""The site's word lists (``BLOCK_WORDS``, ``MODERATION_WORDS``) as matchers that respect word boundaries.

WordPress matches its lists as substrings, so "cialis" catches "specialist"
and "ass" catches "class" (the Scunthorpe problem). Here an entry matches a
whole word, or a word's beginning when it ends in ``*`` ("viagra*" catches
"viagras"); an entry of several words matches them separated by any spaces.

Spammers dodge lists with capitals, accents, invisible characters, letters
from other alphabets that look Latin and digits that look like letters.
Text and entries are therefore compared after *folding*: NFKD with combining
marks dropped, case folded, format characters (zero-width spaces, soft
hyphens, direction marks) removed and Cyrillic and Greek look-alikes mapped to
the Latin letter they imitate. Digit look-alikes ("c1alis", "@ss") are read as
letters only inside words that also hold a letter, and in a second view of the
text, so that "bob@example.org" and "2024" are still matched as written.

Pure functions and a per-list cache, so the policy and the settings page
share one definition of a match and tests need neither Flask nor a database.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Hit", "WordList", "fold", "word_list"]

#: Cyrillic and Greek letters (after case folding) that pass for Latin ones.
HOMOGLYPHS = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ӏ": "l", "ԛ": "q", "ԝ": "w",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin letters NFKD leaves alone
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t",
})
#: Digits and symbols read as letters inside a word: "c1al1s", "fr33", "@ss", "$pam".
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LEET_WORD = re.compile(r"[\w@$]+")
#: "Word character" for boundaries: letters and digits, not the underscore, so "cialis_pills" is two words.
_WORD = r"[^\W_]"


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    if unicodedata.category(char) == "Cf":  # zero-width space/joiner, soft hyphen, bidi marks, BOM
        return ""
    decomposed = unicodedata.normalize("NFKD", char)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold().translate(HOMOGLYPHS)


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` folded for matching, and for each folded character the index of the character it came from.

    The index map lets a match found in the folded text be marked in the
    original one (the settings page's preview).
    """
    if text.isascii():
        return text.lower(), list(range(len(text)))
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        folded = _fold_char(char)
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


def _unleet(folded: str) -> str:
    """The same text with digit look-alikes read as letters in words that hold a letter (same length)."""
    return _LEET_WORD.sub(
        lambda m: m.group().translate(LEET) if any(c.isalpha() for c in m.group()) else m.group(), folded
    )


@dataclass(frozen=True)
class Hit:
    """One match: the list entry it matches and where, in the original text."""

    entry: str
    start: int
    end: int


@dataclass(frozen=True)
class _Entry:
    text: str  # as the moderator wrote it, for reasons and previews
    folded: str  # folded, spaces collapsed, without the "*"
    prefix: bool


class WordList:
    """A list's entries compiled into one regular expression over folded text."""

    def __init__(self, words: Sequence[str]) -> None:
        entries = []
        for word in words:
            raw = " ".join(word.split())
            stem = raw[:-1].rstrip() if raw.endswith("*") else raw
            folded = " ".join(fold(stem)[0].split())
            if folded:
                entries.append(_Entry(raw, folded, raw.endswith("*")))
        self.entries: tuple[_Entry, ...] = tuple(entries)
        # Longest first, so "free money" wins over "free" where both match.
        alternatives = [
            r"\s+".join(map(re.escape, e.folded.split(" "))) + (_WORD + "*" if e.prefix else f"(?!{_WORD})")
            for e in sorted(entries, key=lambda e: len(e.folded), reverse=True)
        ]
        self._pattern = re.compile(f"(?<!{_WORD})(?:{'|'.join(alternatives)})") if alternatives else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def _entry_for(self, matched: str) -> str:
        said = " ".join(matched.split())
        for e in self.entries:
            if said == e.folded or (e.prefix and said.startswith(e.folded)):
                return e.text
        return matched  # unreachable: every match comes from an entry

    def hits(self, text: str) -> list[Hit]:
        """Every match in ``text``, in order, as written and in its leetspeak reading, without overlaps."""
        if self._pattern is None or not text:
            return []
        folded, origin = fold(text)
        spans: dict[tuple[int, int], str] = {}
        for view in dict.fromkeys((folded, _unleet(folded))):
            for m in self._pattern.finditer(view):
                spans.setdefault((m.start(), m.end()), self._entry_for(m.group()))
        result: list[Hit] = []
        for (start, end), entry in sorted(spans.items()):
            if result and origin[start] < result[-1].end:
                continue
            result.append(Hit(entry, origin[start], origin[end - 1] + 1))
        return result

    def first(self, *haystacks: str) -> str | None:
        """The entry of the first match in the first field that has one (the policy's question)."""
        for text in haystacks:
            if found := self.hits(text):
                return found[0].entry
        return None


@lru_cache(maxsize=32)
def _compiled(words: tuple[str, ...]) -> WordList:
    return WordList(words)


def word_list(words: Sequence[str]) -> WordList:
    """The compiled list, built once per distinct list (the lists come from configuration)."""
    return _compiled(tuple(words))
