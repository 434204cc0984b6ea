"""What every area's forms share: the blank action form, the not-only-spaces check, the field error.

Each area keeps its own forms beside its views (``comments/forms.py``,
``queue/forms.py``, ...); field formats and their messages live there, rules
needing the database in the area's logic.
"""
from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError


def not_blank(form: FlaskForm, field: StringField) -> None:
    if not (field.data or "").strip():
        raise ValidationError("This field cannot be only spaces.")


class ActionForm(FlaskForm):
    """A blank form: action buttons carry CSRF like every other form."""


def action_checked() -> bool:
    """Whether a posted action button carried a valid CSRF token; if not, the next page says the form expired."""
    if ActionForm().validate_on_submit():
        return True
    flash("The form expired; please try again.", "error")
    return False


class FieldError(ValueError):
    """Input refused by a plain function; ``field`` names the form field to show ``message`` at (None: the form).

    Views put it beside the field and re-render the form with what was typed,
    or answer JSON with it under ``errors``.
    """

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
