"""Online backups: a consistent copy of the database while the service keeps taking comments.

SQLite: the backup API (``sqlite3.Connection.backup``) copies every page in
one step, inside one read transaction. Under WAL a reader never blocks a
writer, so readers keep posting during the copy, and the copy holds exactly
what was committed when it began: nothing half-written, nothing committed
before it missing.

PostgreSQL: ``pg_dump`` already does the same thing (one repeatable-read
snapshot, writers never blocked) and knows every type and sequence, so this
module prints the command with the app's own database URL rather than
re-implementing a dump. The password is left out of the printed line, so it
does not end up in a shell history: pg_dump reads it from ``PGPASSWORD`` or
``~/.pgpass``.
"""
from __future__ import annotations

import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from .extensions import db


class BackupError(RuntimeError):
    """The backup could not be taken; nothing was written to the destination."""


@dataclass(frozen=True)
class Backup:
    #: What was done, for the operator.
    message: str
    #: The file written (SQLite), or None when the operator runs the printed command (PostgreSQL).
    path: Path | None


def backup(url: URL, dest: Path) -> Backup:
    if url.get_backend_name() == "sqlite":
        return sqlite_backup(Path(url.database or ""), dest)
    if url.get_backend_name() == "postgresql":
        return Backup(postgres_commands(url, dest), None)
    raise BackupError(f"no backup method for {url.get_backend_name()} databases")


def sqlite_backup(source: Path, dest: Path) -> Backup:
    """Copy ``source`` to ``dest`` with the SQLite backup API; refuses to overwrite a file."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    if dest.exists():
        raise BackupError(f"{dest} exists: choose a new file name, a backup never overwrites one")
    partial = dest.with_name(dest.name + ".partial")
    src = sqlite3.connect(source, timeout=30)
    try:
        out = sqlite3.connect(partial)
        try:
            src.backup(out)  # pages=-1: one step, one snapshot, however many posts arrive meanwhile
            # A plain rollback-journal file: the copy stands alone, without -wal/-shm companions.
            out.execute("PRAGMA journal_mode=DELETE")
            (check,) = out.execute("PRAGMA integrity_check").fetchone()
            count = out.execute("SELECT count(*) FROM comments").fetchone()[0]
        finally:
            out.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed SQLite's integrity check: {check}")
    partial.rename(dest)
    return Backup(f"Backed up {source} to {dest} ({count} comments).\n"
                  f"Restore: stop the app, then copy {dest} to {source} "
                  f"(removing {source.name}-wal and {source.name}-shm beside it) and start the app.", dest)


def postgres_commands(url: URL, dest: Path) -> str:
    """The pg_dump command for the app's database, and how to restore what it writes."""
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    dump = shlex.join(["pg_dump", "--format=custom", "--no-owner", f"--file={dest}", plain])
    restore = shlex.join(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={plain}", str(dest)])
    password = "\n(Password: set PGPASSWORD or use ~/.pgpass; it is left out here.)" if url.password else ""
    return (f"PostgreSQL: pg_dump takes a consistent snapshot while the app keeps writing. Run:\n  {dump}\n"
            f"Restore into an empty database (then run `flask --app moderation init-db`):\n  {restore}{password}")


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(dest: Path) -> None:
    """Take a consistent copy of the database while the app keeps serving (PostgreSQL: print the pg_dump command)."""
    try:
        done = backup(db.engine.url, dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done.message)
