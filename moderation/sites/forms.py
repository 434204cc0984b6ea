"""The forms of the integrations: a site's key for the Akismet-compatible API."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length


class ApiKeyForm(FlaskForm):
    """An admin creates a key for a site's Akismet client; the key is shown once."""

    site_url = StringField("Site address", validators=[InputRequired("Give the site's address."), Length(max=300)])
    moderate_toxic = BooleanField("Answer “spam” for toxic comments too")
