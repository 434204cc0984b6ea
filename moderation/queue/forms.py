"""The moderators' forms: article settings, the word-list tester, erasure and API tokens."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..config import Defaults
from ..forms import not_blank


class ArticleSettingsForm(FlaskForm):
    """Per-article comment settings, as WordPress offers them under "Discussion"."""

    comments_open = BooleanField("Comments open")
    hold_all = BooleanField("Hold every comment for a moderator")


class WordListTestForm(FlaskForm):
    """Candidate word lists (one entry a line) and a sample text to try them on before they go into the settings."""

    block_words = TextAreaField("Block words (to spam)", validators=[Length(max=20_000)])
    moderation_words = TextAreaField("Moderation words (held)", validators=[Length(max=20_000)])
    sample = TextAreaField("Sample text", validators=[
        InputRequired("Type a sample text to test."),
        Length(max=Defaults.COMMENT_MAX_LENGTH,
               message=f"Samples are limited to {Defaults.COMMENT_MAX_LENGTH:,} characters."),
    ])


class ErasureForm(FlaskForm):
    """An admin erases a commenter: first the email (shows what would go), then the same with ``confirmed``."""

    email = StringField("Commenter's email", validators=[InputRequired("Give the commenter's email address."),
                                                         Length(max=254), not_blank])
    confirmed = HiddenField()


class TokenForm(FlaskForm):
    """A moderator creates a bearer token for a newsroom tool; it is shown once."""

    name = StringField("What it is for", validators=[InputRequired("Name the tool, to know which token to revoke."),
                                                     not_blank, Length(max=100)])
