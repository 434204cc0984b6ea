"""Flask-WTF forms: field formats and their messages; rules needing the database live in submit.py."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, Email, EqualTo, InputRequired, Length, Optional, ValidationError

from .accounts import MIN_PASSWORD
from .config import Defaults
from .models import as_id


def _not_blank(form: FlaskForm, field: StringField) -> None:
    if not (field.data or "").strip():
        raise ValidationError("This field cannot be only spaces.")


class CommentForm(FlaskForm):
    """WordPress's field names, so existing habits, themes and browser autofill carry over."""

    comment = TextAreaField(
        "Comment",
        validators=[
            InputRequired("Please type a comment."),
            _not_blank,
            Length(max=Defaults.COMMENT_MAX_LENGTH,
                   message=f"Comments are limited to {Defaults.COMMENT_MAX_LENGTH:,} characters."),
        ],
    )
    author = StringField(
        "Name",
        validators=[
            InputRequired("Please give a name."),
            _not_blank,
            Length(max=Defaults.AUTHOR_MAX_LENGTH,
                   message=f"Names are limited to {Defaults.AUTHOR_MAX_LENGTH} characters."),
        ],
    )
    email = StringField(
        "Email",
        validators=[
            InputRequired("Please give an email address; it is never shown."),
            Length(max=254),
            Email("Please give a valid email address.", check_deliverability=False),
        ],
    )
    url = StringField(
        "Website",
        validators=[Optional(), Length(max=200), URL(message="Please give a full web address, starting with http:// or https://.")],
    )
    comment_parent = HiddenField()
    #: Honeypot: hidden from people by CSS; bots that fill every field reveal themselves.
    website_confirm = StringField("Leave this field empty")
    remember = BooleanField("Save my name, email, and website in this browser for the next time I comment.")
    #: Offered only when email is configured; ticking it is the consent that is stored.
    notify_replies = BooleanField("Email me replies")

    def validate_comment_parent(self, field: HiddenField) -> None:
        if field.data and as_id(field.data) is None:
            raise ValidationError("The comment you are replying to is not available.")

    def parent_id(self) -> int | None:
        return as_id(self.comment_parent.data)


class LoginForm(FlaskForm):
    email = StringField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


class ChangePasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[InputRequired(),
                    Length(min=MIN_PASSWORD, max=200, message=f"Use at least {MIN_PASSWORD} characters.")],
    )
    confirm = PasswordField(
        "Repeat it", validators=[InputRequired(), EqualTo("password", message="The two passwords differ.")]
    )


class ModeratorForm(FlaskForm):
    """An admin adds an account; its one-time password is shown once."""

    email = StringField("Email", validators=[InputRequired("Give the moderator's email address."), Length(max=254),
                                             Email("Please give a valid email address.", check_deliverability=False)])
    admin = BooleanField("Admin (models and audit log)")


class ActionForm(FlaskForm):
    """A blank form: action buttons carry CSRF like every other form."""


class ArticleSettingsForm(FlaskForm):
    """Per-article comment settings, as WordPress offers them under "Discussion"."""

    comments_open = BooleanField("Comments open")
    hold_all = BooleanField("Hold every comment for a moderator")


class DecisionForm(FlaskForm):
    """One moderator action on one comment, with the status the moderator saw."""

    action = SelectField(choices=["approve", "reject", "spam", "pending"])
    label = SelectField(choices=["", "spam", "toxic"], validate_choice=True, default="")
    seen_status = HiddenField()


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
                                                         Length(max=254), _not_blank])
    confirmed = HiddenField()


class ApiKeyForm(FlaskForm):
    """An admin creates a key for a site's Akismet client; the key is shown once."""

    site_url = StringField("Site address", validators=[InputRequired("Give the site's address."), Length(max=300)])
    moderate_toxic = BooleanField("Answer “spam” for toxic comments too")


class TokenForm(FlaskForm):
    """A moderator creates a bearer token for a newsroom tool; it is shown once."""

    name = StringField("What it is for", validators=[InputRequired("Name the tool, to know which token to revoke."),
                                                     _not_blank, Length(max=100)])
