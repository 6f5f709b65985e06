"""`accord serve` starts a child that dies again instead of stopping everything (issue #13)."""

from __future__ import annotations

import os
import signal
import socket
import urllib.request
from pathlib import Path

import pytest

from tests.core.test_worker import _worker_env
from tests.support.processes import accord_process, wait_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        found.append((int(entry.name), ppid, cmdline))
    return found


def _workers_of(port: int) -> list[int]:
    processes = _processes()
    serve = [pid for pid, _, cmd in processes if "serve" in cmd and f"--port {port}" in cmd]
    return [pid for pid, ppid, cmd in processes if ppid in serve and "db_worker" in cmd]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_task_worker_killed_with_sigkill_is_started_again_and_the_site_keeps_serving(
    monkeypatch,
):
    for key, value in _worker_env().items():
        monkeypatch.setenv(key, value)
    port = _free_port()
    with accord_process(
        "serve", "--port", str(port), "--workers", "1", "--task-workers", "1", ready="serving on"
    ):
        wait_until(lambda: _healthy(port), "the web server to answer")
        (first,) = wait_until(lambda: _workers_of(port), "the task worker to start")
        os.kill(first, signal.SIGKILL)
        again = wait_until(
            lambda: [pid for pid in _workers_of(port) if pid != first], "a new task worker"
        )
        assert again and first not in _workers_of(port)
        assert _healthy(port)
    # Nothing of it is left running (a worker under an autoreloader once outlived its parent).
    wait_until(
        lambda: (
            not [p for p in (first, *again) if Path(f"/proc/{p}").exists()]
            and not _orphan_workers()
        ),
        "the task workers to be gone with serve",
    )


def _orphan_workers() -> list[int]:
    """db_worker processes of this test database whose parent is gone (adopted by init)."""
    db = os.environ.get("DATABASE_URL", "")
    found = []
    for pid, ppid, cmd in _processes():
        if ppid == 1 and "db_worker" in cmd:
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"DATABASE_URL={db}".encode() in environ:
                found.append(pid)
    return found
