"""Backups of everything Accord holds, and their restore into an empty database and storage.

One tar file: ``manifest.json`` (when, which database, the tables' row counts, every stored
file with the SHA-256 of its stored bytes, the ids of the keys its data keys are wrapped with),
``database.dump`` (``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite's online
backup), and ``files/…``: the stored documents exactly as stored — encrypted. The keys
themselves are never in a backup: the operator keeps ACCORD_DATA_KEYS and ACCORD_INDEX_KEY
apart (docs/operations.md), and a restore refuses to start when a key a file needs is not in
the ring it is given.

``restore`` refuses a database that has tables or a storage that has files, checks every
file's hash before it writes anything, then loads the database and the files. What it proves
afterwards (the ledger re-verified, each document's plaintext hash) is the caller's to run:
``accord restore`` (accord/site) does both.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connection
from django.utils import timezone

from accord.core import crypto
from accord.core.storage import EncryptedStorage

FORMAT = "accord-backup/v1"


class BackupError(Exception):
    pass


def _stores() -> tuple[Storage, EncryptedStorage | None]:
    """(the storage holding the bytes, the encrypting storage over it if any)."""
    default = storages["default"]
    if isinstance(default, EncryptedStorage):
        return default.inner, default
    return default, None


def _walk(store: Storage, path: str = ""):
    if path and not store.exists(path):
        return
    try:
        directories, files = store.listdir(path)
    except FileNotFoundError:  # a storage location not made yet holds nothing
        return
    for name in files:
        yield f"{path}/{name}" if path else name
    for directory in directories:
        yield from _walk(store, f"{path}/{directory}" if path else directory)


def _pg_env() -> tuple[dict[str, str], str]:
    s = connection.settings_dict
    env = {**os.environ}
    for key, value in (
        ("PGHOST", s.get("HOST")),
        ("PGPORT", s.get("PORT")),
        ("PGUSER", s.get("USER")),
        ("PGPASSWORD", s.get("PASSWORD")),
    ):
        if value:
            env[key] = str(value)
    return env, s["NAME"]


def row_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def create(path: Path) -> dict[str, Any]:
    """Write a backup to ``path``; returns its manifest."""
    inner, encrypted = _stores()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": connection.vendor,
        "rows": row_counts(),
        "key_ids": sorted(crypto.key_ids()),
        "files": {},
    }
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "w") as tar:
        dump = Path(work) / "database"
        if connection.vendor == "postgresql":
            env, name = _pg_env()
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", dump, name],
                env=env,
                check=True,
                capture_output=True,
            )
            tar.add(dump, "database.dump")
        elif connection.vendor == "sqlite":
            source = sqlite3.connect(connection.settings_dict["NAME"])
            target = sqlite3.connect(dump)
            with target:
                source.backup(target)
            source.close()
            target.close()
            tar.add(dump, "database.sqlite3")
        else:
            raise BackupError(f"no backup for a {connection.vendor} database")
        for name in _walk(inner):
            digest = hashlib.sha256()
            with inner.open(name, "rb") as f:
                size = 0
                while chunk := f.read(1024 * 1024):
                    digest.update(chunk)
                    size += len(chunk)
            entry: dict[str, Any] = {"sha256": digest.hexdigest(), "size": size}
            if encrypted is not None:
                entry["key"] = encrypted.state_of(name)
            manifest["files"][name] = entry
            info = tarfile.TarInfo(f"files/{name}")
            info.size = size
            with inner.open(name, "rb") as f:
                tar.addfile(info, f)
        _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
    return manifest


def read_manifest(path: Path) -> dict[str, Any]:
    with tarfile.open(path, "r") as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise BackupError("not an Accord backup: no manifest.json")
        manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"not an {FORMAT} backup")
    return manifest


def check(path: Path) -> dict[str, Any]:
    """Every file of the backup against the manifest's hash, and the keys it needs."""
    manifest = read_manifest(path)
    missing = {
        entry["key"]
        for entry in manifest["files"].values()
        if entry.get("key") not in (None, "plain")
    } - set(crypto.key_ids())
    if missing:
        raise BackupError(f"the key ring lacks the keys {sorted(missing)} that the files need")
    seen = set()
    with tarfile.open(path, "r") as tar:
        for member in tar:
            if not member.name.startswith("files/"):
                continue
            name = member.name[len("files/") :]
            expected = manifest["files"].get(name)
            stream = tar.extractfile(member)
            digest = hashlib.sha256()
            while stream is not None and (chunk := stream.read(1024 * 1024)):
                digest.update(chunk)
            if expected is None or digest.hexdigest() != expected["sha256"]:
                raise BackupError(f"{name}: its bytes do not match the manifest")
            seen.add(name)
    if seen != set(manifest["files"]):
        raise BackupError(f"files missing from the backup: {sorted(set(manifest['files']) - seen)}")
    return manifest


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore(path: Path) -> dict[str, Any]:
    """Load a checked backup into this (empty) database and (empty) storage."""
    manifest = check(path)
    if manifest["database"] != connection.vendor:
        raise BackupError(f"a {manifest['database']} backup cannot go into {connection.vendor}")
    inner, _ = _stores()
    if not _database_is_empty():
        raise BackupError("the database is not empty: restore only into a new database")
    if next(iter(_walk(inner)), None) is not None:
        raise BackupError("the storage is not empty: restore only into new storage")
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "r") as tar:
        if connection.vendor == "postgresql":
            tar.extract("database.dump", work, filter="data")
            env, name = _pg_env()
            connection.close()
            subprocess.run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--dbname",
                    name,
                    str(Path(work) / "database.dump"),
                ],
                env=env,
                check=True,
                capture_output=True,
            )
        else:
            tar.extract("database.sqlite3", work, filter="data")
            connection.close()
            shutil.copyfile(Path(work) / "database.sqlite3", connection.settings_dict["NAME"])
        for member in tar:
            if member.name.startswith("files/"):
                stream = tar.extractfile(member)
                name = member.name[len("files/") :]
                inner._save(name, File(stream, name=name))  # type: ignore[attr-defined]
    return manifest
