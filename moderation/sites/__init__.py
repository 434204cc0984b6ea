"""Other systems: sites that ask this service about their comments, exports in and out, email.

Here: ``api_keys`` and ``site_checks`` (the Akismet-compatible API: keys per
site, checks scored like a comment posted here, their reports kept as labels),
``imports`` and ``exports`` (WordPress and Disqus in, JSON and WXR out),
``notifications`` (the email outbox and its worker), ``openapi`` (the API
description); the Akismet routes (``akismet_views``), the keys page
(``key_views``) and the unsubscribe page (``notification_views``).

May import: the shared core, ``training``, and the plain functions of other
areas (the comments' screening and policy, the model's scorer). Never another
area's views.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The Akismet-compatible routes, the keys and unsubscribe pages; import, export, mail and key commands."""
    from . import akismet_views, api_keys, exports, imports, key_views, notification_views, notifications

    for module in (notification_views, akismet_views, key_views):
        app.register_blueprint(module.bp)
    for module in (api_keys, imports, exports, notifications):
        module.register_commands(app)
