"""Give each pytest-xdist worker its own var directory and Redis database, before Django starts.

Loaded with ``-p tests.support.workers`` (pyproject's addopts), so it runs while pytest reads its
configuration — before pytest-django imports the settings, which read ``ACCORD_VAR_DIR`` and
``REDIS_URL`` once. Helper processes that a test starts inherit the same environment, so a worker
and the processes it starts always share one var directory, one Redis database and (through
pytest-django's ``_gw<N>`` suffix, or the per-process SQLite file) one test database, and two
workers never share any of them.

Worker ``gwN`` gets ``<var>/xdist-gwN`` and Redis database ``base + N`` of ``REDIS_URL``
(``redis://127.0.0.1:6379/7`` → 7 for gw0, 8 for gw1).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"  # the one tests use when REDIS_URL is unset


def worker_index() -> int:
    """0 outside xdist; N for worker ``gwN``."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else 0


def shift_redis_db(url: str, by: int) -> str:
    """``redis://h:p/7`` shifted by 1 → ``redis://h:p/8`` (database 0 when the URL names none)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + by}"))


def redis_url() -> str:
    """The Redis database of this worker (tests that talk to Redis themselves use this one)."""
    return os.environ.get("REDIS_URL") or shift_redis_db(DEFAULT_REDIS_URL, worker_index())


def _configure_worker() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or os.environ.get("ACCORD_XDIST_CONFIGURED") == worker:
        return
    var = Path(os.environ.get("ACCORD_VAR_DIR", BASE_DIR / "var")) / f"xdist-{worker}"
    var.mkdir(parents=True, exist_ok=True)
    os.environ["ACCORD_VAR_DIR"] = str(var)
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = shift_redis_db(os.environ["REDIS_URL"], worker_index())
    os.environ["ACCORD_XDIST_CONFIGURED"] = worker


_configure_worker()
