"""The restore drill (issue #13): back up a running Accord, restore it into an empty database and
empty storage with `accord restore`, and find the evidence ledger verified and every stored
document matching its hash — in the same database kind as the run (SQLite, or PostgreSQL in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from accord.core import backup
from accord.ledger.verification import verify_log
from accord.signing import pki, providers, services
from tests.signing.fixtures import contract_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fresh_database(tmp_path):
    """The URL of a new, empty database of the kind this run uses."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    s = connection.settings_dict
    name = f"restore_{uuid.uuid4().hex[:12]}"
    admin = dict(host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], password=s["PASSWORD"])
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    yield (
        f"postgres://{s['USER']}{':' + s['PASSWORD'] if s['PASSWORD'] else ''}"
        f"@{s['HOST']}:{s['PORT'] or 5432}/{name}"
    )
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _accord(*args: str, database_url: str, var_dir) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env.update(
        DATABASE_URL=database_url,
        ACCORD_VAR_DIR=str(var_dir),
        ACCORD_ENV="test",
        SECRET_KEY=settings.SECRET_KEY,
        ACCORD_DATA_KEYS=settings.ACCORD_DATA_KEYS,
        ACCORD_INDEX_KEY=settings.ACCORD_INDEX_KEY,
    )
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def running_accord(settings, tmp_path):
    """Signed documents in (this test's own) storage and their entries in the ledger."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "accord.core.storage.EncryptedStorage",
            "OPTIONS": {"inner_options": {"location": str(tmp_path / "old" / "files")}},
        },
    }
    pki.ensure_platform()
    digests = []
    for _ in range(3):
        signed = services.seal_with_bureau(contract_bytes()).pdf
        digests.append(providers.store_document(signed))
    assert verify_log().ok
    return digests


def test_a_backup_restores_into_an_empty_database_and_everything_verifies(
    running_accord, fresh_database, tmp_path
):
    path = tmp_path / "accord.backup.tar"
    manifest = backup.create(path)
    assert len(manifest["files"]) >= 3 and manifest["rows"]["ledger_entrybundle"] >= 1
    # The documents are in the backup as stored: encrypted.
    with tarfile.open(path) as tar:
        stored = tar.extractfile(
            f"files/signing/documents/{running_accord[0][:2]}/{running_accord[0]}.pdf"
        )
        assert not stored.read().startswith(b"%PDF")

    restored = _accord("restore", str(path), database_url=fresh_database, var_dir=tmp_path / "new")
    assert restored.returncode == 0, restored.stderr
    assert "OK: restored" in restored.stdout and "ledger verified" in restored.stdout
    verified = _accord("ledger", "verify", database_url=fresh_database, var_dir=tmp_path / "new")
    assert verified.returncode == 0 and verified.stdout.startswith("OK:"), verified.stderr


def test_a_changed_backup_is_refused_before_anything_is_written(
    running_accord, fresh_database, tmp_path
):
    path = tmp_path / "accord.backup.tar"
    backup.create(path)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"files/signing/documents/") + 512 + 100  # inside the first file's bytes
    raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))
    restored = _accord("restore", str(path), database_url=fresh_database, var_dir=tmp_path / "new")
    assert restored.returncode != 0 and "do not match the manifest" in restored.stderr
    assert not (tmp_path / "new" / "files").exists()


def test_a_restore_refuses_a_database_that_is_not_empty(running_accord, tmp_path):
    path = tmp_path / "accord.backup.tar"
    backup.create(path)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(path)
