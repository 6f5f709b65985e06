"""Helpers shared by the benchmarks: machine facts, markdown tables, throwaway databases."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCORD = [sys.executable, "-m", "accord"]
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def machine_info() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        mem = "RAM unknown"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {mem}; Python {platform.python_version()}; "
        f"{pg_version()}; load average before the run {load}"
    )


def pg_version() -> str:
    try:
        out = subprocess.run(
            ["psql", f"{PG_SERVER}/postgres", "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return (
            f"PostgreSQL {out.stdout.strip()}" if out.returncode == 0 else "PostgreSQL unavailable"
        )
    except (OSError, subprocess.TimeoutExpired):
        return "PostgreSQL unavailable"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def env_for(database_url: str, var_dir: str) -> dict[str, str]:
    """An environment for a throwaway Accord: its own database and its own var/ (keys, cache)."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "ACCORD_VAR_DIR": var_dir,
            "ACCORD_ENV": "development",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def accord(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ACCORD, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=check
    )


class PostgresDatabase:
    """``with PostgresDatabase("name") as url:`` — created fresh, dropped afterwards."""

    def __init__(self, name: str, keep: bool = False):
        self.name, self.keep = name, keep
        self.url = f"{PG_SERVER}/{name}"

    def __enter__(self) -> str:
        subprocess.run(
            ["psql", f"{PG_SERVER}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{self.name}"'],
            capture_output=True,
            check=False,
        )
        subprocess.run(
            ["psql", f"{PG_SERVER}/postgres", "-qc", f'CREATE DATABASE "{self.name}"'],
            check=True,
            capture_output=True,
        )
        return self.url

    def __exit__(self, *exc) -> None:
        if not self.keep:
            subprocess.run(
                ["psql", f"{PG_SERVER}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{self.name}"'],
                check=False,
                capture_output=True,
            )


def temp_var_dir(prefix: str) -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix=prefix)
