"""Backups that can be restored: the database and the media folder in one archive.

An archive (``.tar.gz``) holds ``manifest.json`` (what, from where, when, row counts),
the database — SQLite through its online backup API (consistent while the app runs),
PostgreSQL through ``pg_dump --format=custom`` — and ``media/``: attachments, signed
agreements, filed reports. ``restore`` checks the manifest, puts the database back
(``pg_restore --clean``, or SQLite's backup API into the live database) and replaces the
media folder, so the attachments the restored rows name are the ones they had.
"""

import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT = 1
COUNTED = ("cases.Case", "cases.Attachment", "audit.Event", "mediation.Mediation")


class BackupError(Exception):
    """A backup or restore that cannot go on; nothing was changed when it is raised."""


@dataclass(frozen=True)
class Manifest:
    format: int
    vendor: str
    created_at: str
    counts: dict[str, int]

    @classmethod
    def read(cls, data: dict[str, Any]) -> "Manifest":
        return cls(data["format"], data["vendor"], data["created_at"], data["counts"])


def _counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client.")
    return path


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """pg_dump / pg_restore connection arguments for the default database."""
    db = settings.DATABASES["default"]
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432),
            "-U", db.get("USER") or "postgres"]  # fmt: skip
    env = {"PGPASSWORD": db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return args, env


def _dump_database(target: Path) -> str:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        out = sqlite3.connect(target / "database.sqlite3")
        with out:
            connection.connection.backup(out)
        out.close()
        return "database.sqlite3"
    if connection.vendor == "postgresql":
        args, env = _pg_env()
        name = connection.settings_dict["NAME"]
        subprocess.run(  # noqa: S603 - fixed program, our own settings
            [_program("pg_dump"), *args, "--format=custom", "--no-owner", "-f",
             str(target / "database.pgdump"), name],
            check=True, env=env, capture_output=True,
        )  # fmt: skip
        return "database.pgdump"
    raise BackupError(f"No backup for a {connection.vendor} database.")


def backup(destination: Path) -> Path:
    """Write an archive into ``destination`` (a folder) and return its path."""
    destination.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    archive = destination / f"yimen-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        database = _dump_database(folder)
        manifest = {
            "format": FORMAT,
            "vendor": connection.vendor,
            "created_at": timezone.now().isoformat(),
            "counts": _counts(),
            "database": database,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder / "manifest.json", arcname="manifest.json")
            tar.add(folder / database, arcname=database)
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                tar.add(media, arcname="media")
    return archive


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Refuse an archive whose names would write outside the folder it is unpacked in."""
    members = tar.getmembers()
    for member in members:
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or member.issym() or member.islnk():
            raise BackupError(f"Refusing the archive: unsafe entry {member.name!r}.")
    return members


def read_manifest(archive: Path) -> Manifest:
    with tarfile.open(archive, "r:gz") as tar:
        return Manifest.read(json.load(tar.extractfile("manifest.json")))


def restore(archive: Path) -> Manifest:
    """Put the archive's database and media back; the manifest says what was restored."""
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive, "r:gz") as tar:
        folder = Path(work)
        tar.extractall(folder, members=_safe_members(tar))  # noqa: S202 - members checked
        data = json.loads((folder / "manifest.json").read_text())
        manifest = Manifest.read(data)
        if manifest.format != FORMAT:
            raise BackupError(f"Unknown backup format {manifest.format}.")
        connection.ensure_connection()
        if manifest.vendor != connection.vendor:
            raise BackupError(
                f"This backup is of a {manifest.vendor} database; this one is {connection.vendor}."
            )
        _restore_database(folder / data["database"])
        media = Path(settings.MEDIA_ROOT)
        if (folder / "media").exists():
            if media.exists():
                shutil.rmtree(media)
            shutil.copytree(folder / "media", media)
    return manifest


def _restore_database(dump: Path) -> None:
    connection.close()
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        source = sqlite3.connect(dump)
        with source:
            source.backup(connection.connection)
        source.close()
        return
    args, env = _pg_env()
    subprocess.run(  # noqa: S603 - fixed program, our own settings
        [_program("pg_restore"), *args, "--clean", "--if-exists", "--no-owner",
         "--single-transaction", "-d", connection.settings_dict["NAME"], str(dump)],
        check=True, env=env, capture_output=True,
    )  # fmt: skip


def describe(manifest: Manifest) -> str:
    when = datetime.fromisoformat(manifest.created_at)
    counts = ", ".join(f"{label} {n}" for label, n in manifest.counts.items())
    return f"{manifest.vendor} backup of {timezone.localtime(when):%Y-%m-%d %H:%M} ({counts})"
