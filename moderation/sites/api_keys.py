"""Keys for the Akismet-compatible API: one site each, stored hashed, shown once, revocable.

A key is ``secrets.token_urlsafe`` text; the database keeps only its SHA-256,
which is enough because the key is random and long (no password stretching
needed), and lets a request find its key with one indexed lookup.
"""
from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

import click
import sqlalchemy as sa
from flask import Flask

from ..extensions import db
from ..models import ApiKey, Moderator, utcnow


class SiteUrlError(ValueError):
    """Not a site address a key can belong to."""


def site_origin(url: str) -> str:
    """A site's address as its origin ("https://www.example.org"), the form keys and ``blog`` are compared in.

    Akismet clients send the site's home page as ``blog``, sometimes with a
    path or a trailing slash; a key belongs to the whole origin.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise SiteUrlError(f"{url!r} is not a web address.") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SiteUrlError("Give the site's full address, starting with http:// or https://.")
    host = parts.hostname.lower()
    origin = f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")
    if len(origin) > 300:
        raise SiteUrlError("That address is too long.")
    return origin


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(site_url: str, *, moderate_toxic: bool = False, by: Moderator | None = None) -> tuple[ApiKey, str]:
    """A new key for a site: the row, and the key itself, which is never stored or shown again."""
    origin = site_origin(site_url)
    key = secrets.token_urlsafe(24)
    row = ApiKey(site_url=origin, key_hash=key_hash(key), hint=key[:6], moderate_toxic=moderate_toxic,
                 created_by_id=by.id if by else None)
    db.session.add(row)
    db.session.commit()
    return row, key


def find_key(key: str, blog: str) -> ApiKey | None:
    """The active key, if ``blog`` is an address on its site; None for anything else."""
    if not key or len(key) > 200:
        return None
    row = db.session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == key_hash(key), ApiKey.revoked_at.is_(None)))
    if row is None:
        return None
    try:
        return row if site_origin(blog) == row.site_url else None
    except SiteUrlError:
        return None


def revoke(key_id: int) -> ApiKey:
    """Revoke a key at once; its checks and labels stay in the log. Revoking twice changes nothing."""
    row = db.session.get(ApiKey, key_id)
    if row is None:
        raise LookupError(f"no API key #{key_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    return row


def all_keys() -> list[ApiKey]:
    return list(db.session.scalars(sa.select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.site_url,
                                                              ApiKey.id.desc())))


@click.command("create-api-key")
@click.argument("site_url")
@click.option("--moderate-toxic", is_flag=True, help="Answer spam for toxic comments too, not only in a header.")
def create_api_key_command(site_url: str, moderate_toxic: bool) -> None:
    """Create a key for a site's Akismet client; the key is the last word printed, and is shown only once."""
    try:
        row, key = create_key(site_url, moderate_toxic=moderate_toxic)
    except SiteUrlError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API key for {row.site_url} (shown only now; it is stored hashed): {key}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_api_key_command)
