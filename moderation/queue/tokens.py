"""Bearer tokens for the moderation API: each acts as the moderator who created it, until revoked.

Like site keys (``api_keys.py``), a token is long random text stored only as
its SHA-256 and shown once. A token stops working when it is revoked, when
its moderator's account is switched off, and while an admin's password reset waits.
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa

from ..extensions import db
from ..models import Moderator, ModeratorToken, utcnow
from ..sites.api_keys import key_hash

#: Prefix that makes a leaked token recognisable in logs and secret scanners.
PREFIX = "mod_"


def create_token(moderator: Moderator, name: str) -> tuple[ModeratorToken, str]:
    token = PREFIX + secrets.token_urlsafe(32)
    row = ModeratorToken(moderator_id=moderator.id, name=name.strip()[:100] or "unnamed", token_hash=key_hash(token),
                         hint=token[len(PREFIX):len(PREFIX) + 6])
    db.session.add(row)
    db.session.commit()
    return row, token


def moderator_for(token: str) -> Moderator | None:
    """The moderator a token acts as, or None: unknown or revoked token, account switched off, or an account
    waiting for its forced password change (an admin's reset often means the account may be compromised)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    moderator = db.session.scalar(
        sa.select(Moderator).join(ModeratorToken, ModeratorToken.moderator_id == Moderator.id)
        .where(ModeratorToken.token_hash == key_hash(token), ModeratorToken.revoked_at.is_(None))
    )
    return moderator if moderator is not None and moderator.active and not moderator.must_change_password else None


def tokens_of(moderator: Moderator) -> list[ModeratorToken]:
    return list(db.session.scalars(
        sa.select(ModeratorToken).where(ModeratorToken.moderator_id == moderator.id)
        .order_by(ModeratorToken.revoked_at.is_not(None), ModeratorToken.id.desc())
    ))


def revoke_token(token_id: int, moderator: Moderator) -> ModeratorToken:
    """Revoke one of the moderator's own tokens; another's is "not found", so ids reveal nothing."""
    row = db.session.get(ModeratorToken, token_id)
    if row is None or row.moderator_id != moderator.id:
        raise LookupError(f"no token #{token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    return row
