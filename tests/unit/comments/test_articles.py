from __future__ import annotations

import pytest

from moderation.comments.articles import ArticleFormatError, parse_article, slugify
from tests.conftest import SHARED


@pytest.mark.skipif(not (SHARED / "reference" / "seed-article.txt").exists(), reason="../shared not beside the repo")
def test_seed_article_parses_without_page_furniture() -> None:
    parsed = parse_article((SHARED / "reference" / "seed-article.txt").read_text("utf-8"))
    assert parsed.title == "Syrian Leader Bashar Assad Meets in Moscow with Putin"
    assert len(parsed.paragraphs) == 12
    assert parsed.paragraphs[0].startswith("President Bashar Assad of Syria traveled")
    assert all("Leave a Reply" not in p and "©" not in p for p in parsed.paragraphs)
    assert parsed.footer == "© 2006-2016 Mideast Time."


def test_crlf_bom_and_wrapped_paragraphs() -> None:
    parsed = parse_article("\ufeffTitle here\r\n\r\nFirst line\r\ncontinues.\r\n\r\n\r\nSecond.\r\n")
    assert parsed == parse_article("Title here\n\nFirst line continues.\n\nSecond.")
    assert parsed.paragraphs == ["First line continues.", "Second."]
    assert parsed.footer is None


@pytest.mark.parametrize("text", ["", "   \n\n ", "Only a title\n\nLeave a Reply\n\n© 2020 X"])
def test_unusable_articles_are_refused(text: str) -> None:
    with pytest.raises(ArticleFormatError):
        parse_article(text)


def test_slugify() -> None:
    assert slugify("Syrian Leader Meets Putin — in Moscow!") == "syrian-leader-meets-putin-in-moscow"
    assert slugify("…") == "article"
