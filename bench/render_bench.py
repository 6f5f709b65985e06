"""Rendering benchmark: prints a markdown section for docs/benchmarks.md.

    .venv/bin/python bench/render_bench.py [--samples 40]

One shipped fixed-term labour contract, filled with realistic values, measured in one run:

* **render_document** — what drafting and batches call: the words from the template
  (``content``: optional sentences left out, the /verify QR code of the number), the Typst
  compile (the layout attaches the places of the seal and signature), the places read back with
  ``typst query``, the page count;
* **baseline**: the Typst compile alone of the same content (prepared once, outside the loop);
* the text a worker reads on a phone (``document_text``), for scale.

Medians (and p95) of interleaved runs, so a busy machine slows both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VALUES = {
    "employer.name": "深圳市福田区福易科技有限公司",
    "employer.uscc": "91440300MA5G8XXX1T",
    "employer.address": "深圳市福田区福华三路 100 号",
    "employer.legal_representative": "王五",
    "worker.name": "张三",
    "worker.id_number": "440304198209044742",
    "worker.address": "深圳市福田区香蜜湖街道",
    "worker.phone": "13900001111",
    "term": "固定期限，自 2026年01月01日 起至 2028年12月31日 止",
    "probation": "自 2026年01月01日 起至 2026年03月31日 止（包含在劳动合同期限内）",
    "probation.wage": "5,000.00",
    "job.title": "仓库管理员",
    "job.place": "深圳市福田区",
    "hours.system": "标准工时制",
    "pay.monthly_wage": "6,000.00",
    "pay.day": "10",
    "document.date": "2026年12月04日",
}


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(samples) * 1000:.1f} ms (p95 {p95 * 1000:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="accord-render-bench-")
    os.environ["ACCORD_VAR_DIR"] = var_dir
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    os.environ.setdefault("ACCORD_ENV", "development")
    import django

    django.setup()
    from accord.contracts import render
    from accord.contracts.shipped import TEMPLATES

    _code, _kind, _name, title, sections = TEMPLATES[0]
    number = "FY20261204-7K3Q9D2M"
    data = json.dumps(
        render.content(title, sections, VALUES, number=number, footer="v2"), ensure_ascii=False
    )
    compiler = render._compiler()

    def baseline() -> None:
        compiler.compile(sys_inputs={"data": data})

    def full() -> None:
        render.render_document(title, sections, VALUES, number=number, footer="v2")

    def text() -> None:
        render.document_text(title, sections, VALUES, number=number)

    runs = {baseline: [], full: [], text: []}
    for fn in runs:
        fn()  # warm: fonts loaded, compiler made
    load = os.getloadavg()
    for _ in range(args.samples):
        for fn, samples in runs.items():
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
    ratio = statistics.median(runs[full]) / statistics.median(runs[baseline])
    print("## Rendering a contract (Typst)\n")
    print(
        "The shipped fixed-term labour contract with realistic values (2 A4 pages, Noto CJK), "
        f"the document number and its /verify QR code on every page; load average before the run "
        f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}. Medians of {args.samples} interleaved runs.\n"
    )
    print("| measure | figure | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    print(
        f"| `render_document` (words from the template, QR code, compile, places of the marks, "
        f"page count) | {_ms(runs[full])} | the Typst compile alone of the same content: "
        f"{_ms(runs[baseline])} | **{ratio:.2f}×** |"
    )
    print(f"| `document_text` (the text a worker reads on a phone) | {_ms(runs[text])} | — | — |")


if __name__ == "__main__":
    main()
