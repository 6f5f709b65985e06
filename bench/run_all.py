"""`make bench`: run the benchmarks in bench/ and write their sections to docs/benchmarks.md.

Each benchmark is a script that prints one markdown section (its figures beside a baseline
measured in the same run). `python bench/run_all.py NAME …` runs only the named ones and keeps
the other sections of docs/benchmarks.md as they were, each dated. A benchmark that fails is
written as failed, with its error, rather than leaving an old figure in place.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
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
MARK = re.compile(r"<!-- bench:(\S+) -->\n(.*?)<!-- /bench:\1 -->", re.S)


def existing_sections() -> dict[str, str]:
    if not OUT.exists():
        return {}
    return {m.group(1): m.group(2).strip() for m in MARK.finditer(OUT.read_text())}


def main() -> int:
    only = set(sys.argv[1:])
    sections = existing_sections()
    failed = 0
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
        stamp = f"_Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {took:.0f} s._"
        if proc.returncode == 0:
            sections[script.stem] = f"{proc.stdout.strip()}\n\n{stamp}"
            print(proc.stdout.strip())
        else:
            failed += 1
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            sections[script.stem] = (
                f"## {script.stem}\n\n**Failed** after {took:.0f} s:\n\n```\n{tail}\n```\n\n{stamp}"
            )
            print(tail, file=sys.stderr)
    header = (
        "# Benchmarks\n\n"
        f"Written by `make bench` (bench/run_all.py) on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Every figure sits beside a baseline measured in the same "
        "run; the machines are shared and noisy, so read the ratios. Each section says when it ran.\n"
    )
    body = "\n\n".join(
        f"<!-- bench:{name} -->\n{text}\n<!-- /bench:{name} -->"
        for name, text in sorted(sections.items())
    )
    OUT.write_text(header + "\n" + body + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
