"""`make bench`: run every benchmark in bench/ and write their sections to docs/benchmarks.md.

Each benchmark is a script that prints one markdown section (its figures beside a baseline
measured in the same run). A benchmark that fails is reported as failed, with its error,
rather than leaving an old figure in place.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks.md"
SCRIPTS = sorted(
    p
    for p in (ROOT / "bench").glob("*.py")
    if p.name not in {"run_all.py", "common.py"}
    and not p.name.startswith("_")
    and not p.name.endswith(("_urls.py", "_settings.py"))
)


def main() -> int:
    only = set(sys.argv[1:])
    sections, failed = [], 0
    for script in SCRIPTS:
        if only and script.stem not in only:
            continue
        print(f"== {script.name}", flush=True)
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(script)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=3600,
        )
        took = time.monotonic() - start
        if proc.returncode == 0:
            sections.append(proc.stdout.strip())
            print(proc.stdout.strip())
        else:
            failed += 1
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            sections.append(
                f"## {script.stem}\n\n**Failed** after {took:.0f} s:\n\n```\n{tail}\n```"
            )
            print(tail, file=sys.stderr)
    header = (
        "# Benchmarks\n\n"
        f"Written by `make bench` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "Every figure sits beside a baseline measured in the same run; the machines are noisy, "
        "so read the ratios.\n"
    )
    OUT.write_text(header + "\n" + "\n\n".join(sections) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
