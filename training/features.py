"""Features of a comment that need no fitting: cleaning, its shape, the commenter's fields as tokens.

A comment is its text, or a :class:`Post`: the text with the commenter's
name, website and email, which carry most of the signal for blog comment spam
(a keyword-stuffed name, a commercial website). Sources without those fields
pass plain text and teach the text alone.

- :func:`clean` undoes what differs between sources but says nothing about
  spam or toxicity (HTML entities, zero-width characters, tweet mentions) and
  turns every link into one token, so a model fitted on tweets and YouTube
  comments reads a news comment the same way.
- :func:`comment_shape` measures a few signals about the comment's shape
  (links, capitals, repeated characters, phone numbers, abusive words from
  :mod:`.lexicon`...).
- :func:`commenter_tokens` turns the commenter's fields into tokens a linear
  model can weigh, and :func:`describe_token` names them for a moderator.

The pipeline's steps (:mod:`.pipeline`) and the compiled scorer
(:mod:`.compiled`) both call these, so training and serving cannot disagree.
"""
from __future__ import annotations

import html
import re
from math import log1p

from .datasets import Post
from .lexicon import abuse_counts

#: Every link becomes this one word: what matters is that there is a link, and
#: a moderator reads it back as "<link>".
LINK_TOKEN = "weblink"
LINK_DISPLAY = "<link>"

_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
_TOKEN = re.compile(r"\S+")
# Checked per whitespace-separated token, so the cost stays linear in the comment's length.
# Top-level domains that are also English words ("in", "me", "us") are left out:
# "over.In the end" is a missing space, not a link.
_DOMAIN = r"\w\.(?:com|net|org|info|biz|io|ly|tv|co|uk|ru|pl|ro|de)"
_LINKISH = re.compile(rf"^\W*(?:https?://|www\.)|{_DOMAIN}(?:\W|$)", re.IGNORECASE)
#: Anywhere in a comment, what a link-ish token needs: a comment without it has no link to replace.
_LINK_CANDIDATE = re.compile(rf"https?://|www\.|{_DOMAIN}", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+|^\s*RT\b")
_REPEAT = re.compile(r"(.)\1{2,}")
_PHONE = re.compile(r"\+?\(?\d(?:[\s.()-]{0,2}\d){6,}")
_MONEY = re.compile(r"[$£€¥₹]")


#: What the pipeline takes: plain text (a source without commenter fields) or a :class:`Post`.
Comment = str | Post


def as_post(comment: Comment) -> Post:
    return comment if isinstance(comment, Post) else Post(comment)


def clean(text: str) -> str:
    """Remove what tells sources apart rather than spam from ham; links become ``LINK_TOKEN``."""
    text = _INVISIBLE.sub("", html.unescape(text))
    if _LINK_CANDIDATE.search(text):  # most comments have none; checking every token costs a call each
        text = _TOKEN.sub(lambda m: f" {LINK_TOKEN} " if _LINKISH.search(m.group()) else m.group(), text)
    return _MENTION.sub(" ", text)


#: The comment-shape signals, named for the moderator reading an explanation.
SHAPE_FEATURES: tuple[str, ...] = (
    "links", "capital letters", "repeated characters", "length", "digits",
    "phone number", "exclamation marks", "money symbols",
    "abusive words", "share of abusive words", "abuse aimed at someone",
)


def comment_shape(text: str) -> list[float]:
    """The ``SHAPE_FEATURES`` of a cleaned comment, each scaled to roughly [0, 1].

    Capitals count only from 8 letters on: "OK" is not shouting.
    """
    words = text.replace(LINK_TOKEN, "")
    letters = sum(map(str.isalpha, words))
    upper = sum(map(str.isupper, words))
    n_words, abusive, aimed = abuse_counts(words)
    return [
        log1p(text.count(LINK_TOKEN)),
        upper / letters if letters >= 8 else 0.0,
        log1p(len(_REPEAT.findall(text))),
        log1p(len(text)) / 8,
        sum(map(str.isdigit, text)) / max(len(text), 1),
        1.0 if _PHONE.search(text) else 0.0,
        log1p(text.count("!")),
        log1p(len(_MONEY.findall(text))),
        log1p(abusive),
        abusive / max(n_words, 1),
        log1p(aimed),
    ]


_WORDS = re.compile(r"[^\W\d_]{2,}")
#: Free mail providers: an address there says nothing about a business behind it.
FREE_MAIL = frozenset("gmail.com googlemail.com yahoo.com yahoo.co.uk hotmail.com hotmail.co.uk outlook.com "
                      "live.com msn.com aol.com icloud.com me.com mail.com gmx.com gmx.net proton.me "
                      "protonmail.com yandex.com yandex.ru mail.ru web.de".split())


def commenter_tokens(post: Post) -> list[str]:
    """The commenter's fields as tokens a linear model can weigh: evidence only, never absence.

    Words of the name ("author:deals"), the website's top-level domain and the
    words of its host and path, and an email domain that is not a free mail
    provider. Nothing is emitted for what a commenter left out or for what many
    honest readers have (no website, a gmail address, a website at all, a site
    named after themselves, a name of three words: each of these, learned from
    the corpus's spammers, sent honest readers to the spam folder): only a few training
    sources have fields, and a token every comment carries would act as "looks
    like that source" and shift every score by that source's share of spam or
    abuse. A plain-text comment yields no token at all.
    """
    author = [w.lower() for w in _WORDS.findall(post.author)]
    tokens = [f"author:{w}" for w in author]
    site = post.website.lower().strip()
    if site:
        host, _, path = re.sub(r"^[a-z]+://", "", site).removeprefix("www.").partition("/")
        host = host.split(":")[0]
        name, _, tld = host.rpartition(".")
        tokens.append(f"website-tld:{tld}")
        # The TLD has its own token; as a word too it would count twice.
        site_words = set(_WORDS.findall(name.replace("-", " ").replace(".", " "))) | set(_WORDS.findall(path))
        tokens += [f"website-word:{w}" for w in sorted(site_words)]
        if path.strip("/"):
            tokens.append("website:path")
    domain = post.email.lower().rpartition("@")[2].strip()
    if domain and domain not in FREE_MAIL:
        tokens += [f"email-domain:{domain}", f"email-tld:{domain.rsplit('.', 1)[-1]}"]
    return list(dict.fromkeys(tokens))  # each once: a name that says "deals deals" is no more a name


def describe_token(token: str) -> str:
    """How a moderator reads a commenter token in an explanation."""
    kind, _, value = token.partition(":")
    return {"author": f"name “{value}”",
            "website": "a website with a path" if value == "path" else token,
            "website-tld": f"website .{value}", "website-word": f"website “{value}”", "email-domain": f"email @{value}",
            "email-tld": f"email .{value}"}.get(kind, token)
