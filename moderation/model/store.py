"""The model registry's store in the app's database, so every server has the same versions and the same ``active``.

:class:`training.registry.Registry` keeps versions in a store and checks what
it reads; this is the store the app hands it. Each version's card, its model
file and plots are rows (``ModelVersion``, ``ModelFile``, with each file's
SHA-256), the ``active`` alias is a row moved by a compare-and-set ``UPDATE``
in the same transaction as its ``ModelPromotion`` record, so a promotion,
a rollback and the history a later rollback reads change together or not at
all, and two admins promoting at once cannot overwrite each other unnoticed.
Each server's ``instance/models/`` folder is only a cache of the files it has
loaded, checked against the card's hash on every load.

Why the database rather than object storage: it is already shared by every
server and backed up, a version is a few MB written a few times a month, and
the alias can move in one transaction with its history, which object storage
offers no way to do. With SQLite on one machine the same code runs.

Reads and writes here use their own connections (``db.engine``), not the
request's session: promoting must not commit, nor wait on, whatever a view
has pending.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from training.registry import Registry, RegistryError

from ..config import DEFAULT_MODEL_DIR
from ..extensions import db
from ..models import ModelAlias, ModelFile, ModelPromotion, ModelVersion, utcnow

ACTIVE = "active"


class DatabaseStore:
    """A :class:`training.registry.VersionStore` in the app's database (SQLite or PostgreSQL)."""

    def __init__(self) -> None:
        #: Cards never change once written, so each is read from the database once per process.
        self._cards: dict[str, dict[str, object]] = {}

    def names(self) -> list[str]:
        with db.engine.connect() as conn:
            return list(conn.scalars(sa.select(ModelVersion.version)))

    def card(self, version: str) -> dict[str, object]:
        card = self._cards.get(version)
        if card is None:
            with db.engine.connect() as conn:
                card = conn.scalar(sa.select(ModelVersion.card).where(ModelVersion.version == version))
            if card is None:
                raise RegistryError(f"unknown model version {version}")
            self._cards[version] = card
        return card

    def file(self, version: str, name: str) -> bytes:
        with db.engine.connect() as conn:
            row = conn.execute(sa.select(ModelFile.data, ModelFile.sha256)
                               .where(ModelFile.version == version, ModelFile.name == name)).first()
        if row is None:
            raise RegistryError(f"version {version}: cannot read {name}: not in the database")
        if hashlib.sha256(row.data).hexdigest() != row.sha256:
            raise RegistryError(f"version {version}: {name} in the database does not match its SHA-256")
        return bytes(row.data)

    def add(self, version: str, card: Mapping[str, object], files: Mapping[str, bytes]) -> None:
        try:
            with db.engine.begin() as conn:
                if conn.scalar(sa.select(ModelVersion.version).where(ModelVersion.version == version)):
                    return
                conn.execute(sa.insert(ModelVersion).values(version=version, card=dict(card), added_at=utcnow()))
                conn.execute(sa.insert(ModelFile), [
                    {"version": version, "name": name, "sha256": hashlib.sha256(data).hexdigest(), "data": data}
                    for name, data in files.items()])
        except sa.exc.IntegrityError:
            if version not in self.names():  # else another server added the same version first
                raise

    def active(self) -> str | None:
        with db.engine.connect() as conn:
            return conn.scalar(sa.select(ModelAlias.version).where(ModelAlias.name == ACTIVE))

    def promotions(self) -> list[str]:
        stack: list[str] = []
        with db.engine.connect() as conn:
            rows = conn.execute(sa.select(ModelPromotion.action, ModelPromotion.version)
                                .order_by(ModelPromotion.id)).all()
        for action, version in rows:
            if action == "promote":
                stack.append(version)
            elif stack:
                stack.pop()
        return stack

    def activate(self, version: str, action: str, replacing: str | None) -> None:
        now = utcnow()
        try:
            with db.engine.begin() as conn:
                if replacing is None:
                    conn.execute(sa.insert(ModelAlias).values(name=ACTIVE, version=version, changed_at=now))
                else:
                    moved = conn.execute(
                        sa.update(ModelAlias)
                        .where(ModelAlias.name == ACTIVE, ModelAlias.version == replacing)
                        .values(version=version, changed_at=now)).rowcount
                    if moved != 1:
                        raise _changed_meanwhile()
                conn.execute(sa.insert(ModelPromotion).values(action=action, version=version, previous=replacing,
                                                              created_at=now))
        except sa.exc.IntegrityError:
            raise _changed_meanwhile() from None


def _changed_meanwhile() -> RegistryError:
    return RegistryError("the active version was changed meanwhile (on this or another server); try again")


def make_registry(app: Flask) -> Registry:
    """The app's registry: versions in the database, cached in the instance folder (``MODELS_DIR``)."""
    return Registry(Path(app.instance_path) / app.config["MODELS_DIR"], DatabaseStore())


def seed() -> str | None:
    """Fill an empty registry once the tables exist (``init-db``, ``quickstart``).

    An installation from before the database store brings the versions of its
    instance folder, with its active one and its rollback history; a new one
    gets the shipped default model. Returns the version made active, or None
    when the registry had versions already.
    """
    return make_registry(current_app).ensure_seeded(DEFAULT_MODEL_DIR)
