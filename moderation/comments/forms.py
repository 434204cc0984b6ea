"""The comment form: WordPress's field names and formats; rules needing the database live in submit.py."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import URL, Email, InputRequired, Length, Optional, ValidationError

from ..config import Defaults
from ..forms import not_blank
from ..models import as_id
from .report_weights import REASONS


def _comment_text() -> TextAreaField:
    """The comment's text field, the same wherever a reader types one (a new comment or an edit)."""
    return TextAreaField(
        "Comment",
        validators=[
            InputRequired("Please type a comment."),
            not_blank,
            Length(max=Defaults.COMMENT_MAX_LENGTH,
                   message=f"Comments are limited to {Defaults.COMMENT_MAX_LENGTH:,} characters."),
        ],
    )


class CommentForm(FlaskForm):
    """WordPress's field names, so existing habits, themes and browser autofill carry over."""

    comment = _comment_text()
    author = StringField(
        "Name",
        validators=[
            InputRequired("Please give a name."),
            not_blank,
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


class ReportForm(FlaskForm):
    """A reader's report: why the comment should not be here, and a short note (needed for "something else")."""

    #: Values only (tuples are deprecated in WTForms 3.3); the template labels them from ``REASONS``.
    reason = RadioField("Why should this comment not be here?", choices=list(REASONS),
                        validators=[InputRequired("Please choose why this comment should not be here.")])
    note = StringField("A short note for the moderators", validators=[
        Length(max=300, message="Notes are limited to 300 characters.")])


class EditForm(FlaskForm):
    """An author's new text for their comment."""

    comment = _comment_text()
