"""kill -9 of the sequencer in the middle of batches leaves no gap, no duplicate, a consistent tree.

The sequencer runs as a real process (``accord ledger append-demo``) against its own
database (a SQLite file, or a scratch PostgreSQL database when the suite runs on PostgreSQL);
it is killed with SIGKILL several times at random moments, restarted, and the log is then
re-hashed by ``accord ledger verify`` in another process.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BATCH = 500

pytestmark = pytest.mark.slow


def _accord(env: dict[str, str], *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "accord", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


@pytest.fixture
def scratch_env(tmp_path):
    """Environment for child processes pointing at a fresh, migrated database."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.ledger.ledger_settings",
        ACCORD_VAR_DIR=str(tmp_path),
        ACCORD_ENV="development",
        PYTHONUNBUFFERED="1",
    )
    db = settings.DATABASES["default"]
    dropper = None
    if db["ENGINE"].endswith("postgresql"):
        import psycopg

        name = f"accord_ledger_crash_{uuid.uuid4().hex[:8]}"
        conninfo = dict(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
        )
        with psycopg.connect(**conninfo) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        user = conninfo["user"]
        env["DATABASE_URL"] = f"postgres://{user}@{conninfo['host']}:{conninfo['port']}/{name}"

        def dropper():
            with psycopg.connect(**conninfo) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    migrated = _accord(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    yield env
    if dropper:
        dropper()


def _run_and_kill(env: dict[str, str], batches_before_kill: int, rng: random.Random) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "accord",
            "ledger",
            "append-demo",
            "--batches",
            "100000",
            "--batch-size",
            str(BATCH),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = 0
        assert proc.stdout is not None
        while seen < batches_before_kill:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"sequencer stopped: {proc.stderr.read()[-3000:]}")
            seen += line.startswith("batch ")
        time.sleep(rng.uniform(0, 0.05))  # land somewhere inside the next batch
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def _verify(env: dict[str, str]) -> int:
    result = _accord(env, "ledger", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"OK: (\d+) entries", result.stdout)
    assert match, result.stdout
    return int(match.group(1))


def test_kill_9_mid_batch_leaves_a_consistent_log(scratch_env):
    rng = random.Random(4)
    sizes = []
    for round_ in range(3):
        _run_and_kill(scratch_env, batches_before_kill=2 + round_, rng=rng)
        size = _verify(scratch_env)
        # Whole batches only: the killed batch is either all there or not at all.
        assert size % BATCH == 0 and size > (sizes[-1] if sizes else 0)
        sizes.append(size)
    # The latest checkpoint is the tree's: the checkpoint is signed in the batch's transaction.
    checkpoint = _accord(scratch_env, "ledger", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    assert checkpoint.stdout.splitlines()[1] == str(sizes[-1])
