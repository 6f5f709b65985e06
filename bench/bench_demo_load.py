"""Demo-data load time: district scale into a fresh PostgreSQL database, small scale on SQLite.

Baselines in the same run: the 15-minute target, and people created one by one through
``services.create_person`` (the API's path: validation, duplicate checks, audit entry per row)
into the same PostgreSQL database right after the load.

    python bench/bench_demo_load.py                      # the district figure (~10 min)
    python bench/bench_demo_load.py --enterprises 30000 --workers 220000   # a quick run
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PostgresDatabase, accord, env_for, machine_info, table, temp_var_dir

TARGET_SECONDS = 15 * 60
SERVICE_BASELINE_PEOPLE = 300

SERVICE_BASELINE = f"""
import time
from accord.identity import services
from stdnum.cn import ric
start = time.perf_counter()
for i in range({SERVICE_BASELINE_PEOPLE}):
    body = f"110101{{1970 + i // 365:04d}}0101{{i % 365:03d}}"
    services.create_person(name="基准" + str(i), id_number=body + ric.calc_check_digit(body + "0"),
                           phone=f"177{{i:08d}}")
print(time.perf_counter() - start)
"""


def run_load(env: dict[str, str], *args: str) -> tuple[float, str]:
    accord(env, "migrate", "-v0")
    start = time.perf_counter()
    proc = accord(env, "demo_data", *args)
    took = time.perf_counter() - start
    return took, proc.stdout


def service_baseline(env: dict[str, str]) -> float:
    """People per second through the service, one call per person."""
    out = accord(env, "shell", "-c", SERVICE_BASELINE).stdout.strip().splitlines()[-1]
    return SERVICE_BASELINE_PEOPLE / float(out)


def phases(output: str) -> str:
    found = re.findall(
        r"^(plan|enterprises|people|indexes|accounts|commit): ([\d.]+) s$", output, re.M
    )
    return ", ".join(f"{name} {float(sec):.0f} s" for name, sec in found)


def counts(output: str) -> str:
    m = re.search(r"loaded by \w+ in [\d.]+ s: (.*)\.$", output, re.M)
    return m.group(1) if m else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["small", "district"], default="district")
    parser.add_argument("--enterprises", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database afterwards"
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    info = machine_info()
    extra = []
    if args.enterprises:
        extra += ["--enterprises", str(args.enterprises)]
    if args.workers:
        extra += ["--workers", str(args.workers)]
    rows = []

    # Small scale on SQLite: what `make run` does on a fresh clone.
    with temp_var_dir("accord-bench-sqlite-") as var:
        env = env_for(f"sqlite:///{var}/bench.sqlite3", var)
        small_s, out = run_load(env, "--scale", "small")
        small_counts = counts(out)
    rows.append(
        [
            f"small load on SQLite ({small_counts}), wall time incl. process start",
            f"{small_s:.1f} s",
            "goal: a few seconds",
            "",
        ]
    )

    if not args.skip_postgres:
        name = f"accord_bench_load_{os.getpid()}"
        with PostgresDatabase(name, keep=args.keep) as url, temp_var_dir("accord-bench-pg-") as var:
            env = env_for(url, var)
            took, out = run_load(env, "--scale", args.scale, *extra)
            service_rate = service_baseline(env)
        people = int(re.search(r"people ([\d,]+),", counts(out)).group(1).replace(",", ""))
        rows.append(
            [
                f"{args.scale} load on PostgreSQL ({counts(out)}); {phases(out)}",
                f"{took:.0f} s",
                f"target ≤ {TARGET_SECONDS} s",
                f"{took / TARGET_SECONDS:.2f} of target",
            ]
        )
        rows.append(
            [
                "people written per second, bulk COPY path (PostgreSQL)",
                f"{people / took:,.0f}/s",
                f"{service_rate:,.0f}/s one by one via services.create_person (same database)",
                f"{people / took / service_rate:.0f}×",
            ]
        )

    print(
        f"## Demo data load (`accord demo-data`)\n\n{table(['figure', 'measured', 'baseline', 'ratio'], rows)}\n"
    )
    print(f"Machine: {info}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
