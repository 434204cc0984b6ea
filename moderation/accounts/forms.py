"""Sign-in, password and account forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from .moderators import MIN_PASSWORD


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
