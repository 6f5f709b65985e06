"""Batch sending benchmark: a 10,000-row spreadsheet from upload to every envelope sent.

    .venv/bin/python bench/batch_bench.py [--rows 10000] [--workers 2] [--sign 30] [--sqlite]
                                          [--profile 200]

Measured in one run, against a throwaway PostgreSQL database (SQLite with ``--sqlite``):

* **upload → all sent**: ``batches.upload`` (read and check every row), ``batches.start``
  (check again, queue the chunk tasks), then ``--workers`` real ``accord db_worker``
  processes (as ``accord serve`` runs the worker) until the batch is done — every row a
  person, an employment, a rendered contract PDF and a sent envelope. Goal ≤ 60 s on 2 cores.
* **baseline**: the same rows' contract PDFs rendered alone (Typst, the same template and
  values) in the same number of processes — the floor no batch can beat; the ratio is the
  cost of everything else (checks, records, audit, outbox, idempotency).
* **signing throughput**: the built-in provider, ``services.sign_personal`` in a loop (a
  worker's whole signature: SMS-code intent, event certificate, PAdES signature, records).
* ``--profile N``: cProfile of N rows sent in-process, the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import multiprocessing as mp
import os
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    ACCORD,
    PostgresDatabase,
    accord,
    env_for,
    machine_info,
    pg_version,
    table,
    temp_var_dir,
)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(
        {k: env[k] for k in ("DATABASE_URL", "ACCORD_VAR_DIR", "ACCORD_ENV", "LOG_LEVEL")}
    )
    os.environ["ACCORD_DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "accord.settings"
    import django

    django.setup()


def resident_id(n: int) -> str:
    from stdnum.cn import ric

    birth = dt.date(1990, 1, 1) + dt.timedelta(days=n // 900)
    body = f"440304{birth:%Y%m%d}{n % 900 + 100:03d}"
    return body + ric.calc_check_digit(body + "0")


def spreadsheet(rows: int, first: int = 0) -> bytes:
    from openpyxl import Workbook

    from accord.contracts import batch as sheet

    start = dt.date.today() + dt.timedelta(days=14)
    end = start.replace(year=start.year + 3) - dt.timedelta(days=1)
    probation = start + dt.timedelta(days=89)
    book = Workbook(write_only=True)
    ws = book.create_sheet("合同批量发起")
    ws.append([zh for _k, zh, _en, _r in sheet.COLUMNS])
    for n in range(first, first + rows):
        ws.append(
            [
                f"工人{n:05d}",
                "居民身份证",
                resident_id(n),
                f"137{n:08d}",
                "操作工",
                "深圳市福田区",
                "固定期限",
                start.isoformat(),
                end.isoformat(),
                probation.isoformat(),
                "8000",
                "6800",
                "",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def world():
    """An enterprise with its default seals, an HR user with TOTP."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from stdnum.cn import uscc

    from accord.identity import services
    from accord.identity.models import Membership, Role, User
    from accord.seals.services import setup_default_seals
    from accord.signing import pki

    pki.ensure_platform()
    body = "91440304BENCH0001"[:17]
    enterprise = services.create_enterprise(
        name="深圳市福田区批量测试有限公司",
        uscc=body + uscc.calc_check_digit(body),
        legal_representative="王五",
        address="福田区测试路 1 号",
        street="futian",
        industry="65",
    )
    users = []
    for name in ("bench-manager", "bench-hr"):
        user = User.objects.create_user(username=name, password="Correct-horse-42")
        Membership.objects.create(user=user, role=Role.HR, enterprise=enterprise)
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        users.append(User.objects.get(pk=user.pk))
    setup_default_seals(enterprise, manager=users[0], users=[users[1]])
    return enterprise, users[1]


def profile_rows(enterprise, hr, rows: int, first: int):
    """Send ``rows`` rows in this process under cProfile: where a row's time goes."""
    from accord.envelopes import batches
    from accord.envelopes.models import Batch

    batch, _ = batches.upload(
        enterprise,
        data=spreadsheet(rows, first),
        file_name="profile.xlsx",
        version=labour_fixed(),
        user=hr,
    )
    batches.start(batch, user=hr)
    Batch.objects.filter(pk=batch.pk).update(status="sending")
    prof = cProfile.Profile()
    began = time.monotonic()
    prof.enable()
    batches.run_all(batch)
    prof.disable()
    wall = time.monotonic() - began
    stats = pstats.Stats(prof)

    def spent(path_part: str, name: str, own: bool = False) -> float:
        return sum(
            (v[2] if own else v[3])
            for (path, _line, func), v in stats.stats.items()  # type: ignore[attr-defined]
            if path_part in path and func == name
        )

    parts = {
        "Typst compilation (one per document)": spent(
            "", "<method 'compile' of 'typst._typst.Compiler' objects>", True
        ),
        "database round trips (the chunk's reads, and its bulk inserts of people, accounts, "
        "employments, envelopes, documents, parties, audit entries, outbox events)": spent(
            "django/db/backends/utils.py", "_execute"
        ),
        "PDF parsing (pyHanko)": spent("accord/signing/pdf.py", "open_pdf"),
    }
    parts["Python: ORM, rules, values, audit, the rest"] = wall - sum(parts.values())
    return wall / rows, parts


def labour_fixed():
    from accord.contracts.models import TemplateVersion

    return TemplateVersion.objects.select_related("template").get(
        template__code="labour-fixed", status="published"
    )


# ---- the baseline: rendering alone ------------------------------------------------------------


def _render_share(args: tuple[str, list[dict]]) -> tuple[int, float]:
    """Render a share of the rows' contracts as the batch path does (one Typst compilation
    each, contracts.render.render_document); returns the count and the CPU seconds spent."""
    database_url, rows = args
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from accord.contracts import checkup
    from accord.contracts.render import render_document
    from accord.envelopes import drafting, services
    from accord.identity.models import Enterprise, Person

    version = labour_fixed()
    enterprise = Enterprise.objects.get(name="深圳市福田区批量测试有限公司")
    footer = f"{version.template.name} v{version.number}"
    sources = []
    for r in rows:
        person = Person(name=r["name"], id_number=r["id_number"], phone=r["phone"])
        draft = checkup.parse_draft(r["fields"])
        number = services.new_number()
        values = drafting.values_for(
            enterprise=enterprise, person=person, fields=r["fields"], draft=draft, number=number
        )
        sources.append((values, number))
    began = time.process_time()
    for values, number in sources:
        render_document(version.title, version.sections, values, number=number, footer=footer)
    return len(rows), time.process_time() - began


def render_baseline(database_url: str, rows: list[dict], processes: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) to render the rows' contracts in ``processes`` processes."""
    shares = [rows[i::processes] for i in range(processes)]
    ctx = mp.get_context("spawn")
    with ctx.Pool(processes) as pool:
        pool.map(_render_share, [(database_url, shares[0][:5])] * processes)  # warm up
        began = time.monotonic()
        done = pool.map(_render_share, [(database_url, s) for s in shares])
        return time.monotonic() - began, sum(cpu for _n, cpu in done)


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended (workers once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


# ---- signing throughput --------------------------------------------------------------------------


def signing_throughput(batch, hr, count: int) -> tuple[float, float, int]:
    """Seal ``count`` envelopes, then time the worker's signature (sign_personal) on each."""
    import base64
    import re

    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accord.core.models import SmsMessage
    from accord.envelopes import services
    from accord.envelopes.models import Envelope, Party

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )

    def code() -> str:
        device = TOTPDevice.objects.get(user=hr)
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # a fresh 30-s window
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"

    from accord.identity.models import Person

    envelopes = list(Envelope.objects.filter(batch=batch).order_by("id")[:count])
    # As if each worker had passed the registry check (MOHRSS 2021 No. 54: verified identity).
    Person.objects.filter(pk__in=[e.person_id for e in envelopes]).update(
        verification_level=Person.Level.REGISTRY
    )
    for e in envelopes:
        services.seal(e, user=hr, otp_token=code())
    sign_seconds, whole_seconds = 0.0, 0.0
    for e in envelopes:
        began = time.monotonic()
        party = e.parties.get(role=Party.Role.WORKER)
        services.record_view(party, pages_read=e.documents.first().pages)
        services.record_consent(party)
        services.save_signature_image(party, png)
        services.request_code(party)
        sms = SmsMessage.objects.order_by("-id").first().text
        sms_code = re.search(r"验证码 (\d{6})", sms).group(1)
        signing = time.monotonic()
        services.sign_personal(party, code=sms_code, user=None)
        done = time.monotonic()
        sign_seconds += done - signing
        whole_seconds += done - began
    signed = Envelope.objects.filter(pk__in=[e.pk for e in envelopes], status="completed").count()
    return len(envelopes) / sign_seconds, len(envelopes) / whole_seconds, signed


# ---- the run ---------------------------------------------------------------------------------


def run_workers(env: dict[str, str], count: int) -> list[subprocess.Popen]:
    """``count`` task workers; their logs go to files (a pipe nobody reads would fill up and
    block them)."""
    workers = []
    for i in range(count):
        log = open(Path(env["ACCORD_VAR_DIR"]) / f"worker-{i}.log", "w")
        workers.append(
            subprocess.Popen(
                [
                    *ACCORD,
                    "db_worker",
                    "--queue-name",
                    "default",
                    "--interval",
                    "0.2",
                    "--no-reload",
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def worker_log(env: dict[str, str]) -> str:
    return (Path(env["ACCORD_VAR_DIR"]) / "worker-0.log").read_text()[-3000:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sign", type=int, default=30, help="signatures for the throughput")
    parser.add_argument("--profile", type=int, default=0, help="profile N rows in-process")
    parser.add_argument(
        "--profile-rows", type=int, default=200, help="rows profiled in-process for the table"
    )
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--drain", type=float, default=120, help="seconds to wait for the outbox after sending"
    )
    args = parser.parse_args()
    info = machine_info()
    use_pg = not args.sqlite and pg_version() != "PostgreSQL unavailable"

    with temp_var_dir("accord-bench-batch-") as var:
        db = (
            PostgresDatabase(f"accord_bench_batch_{os.getpid()}", keep=args.keep)
            if use_pg
            else None
        )
        url = db.__enter__() if db else f"sqlite:///{var}/bench.sqlite3"
        workers: list[subprocess.Popen] = []
        try:
            env = env_for(url, var)
            env["ACCORD_DEBUG"] = "0"
            accord(env, "migrate", "-v0")
            setup_django(env)
            from django.db import connection

            from accord.envelopes import batches
            from accord.envelopes.models import Batch, Envelope

            enterprise, hr = world()
            began = time.monotonic()
            data = spreadsheet(args.rows)
            made = time.monotonic() - began

            if args.profile:
                small = spreadsheet(args.profile)
                pb, _ = batches.upload(
                    enterprise,
                    data=small,
                    file_name="profile.xlsx",
                    version=labour_fixed(),
                    user=hr,
                )
                batches.start(pb, user=hr)
                Batch.objects.filter(pk=pb.pk).update(status="sending")
                prof = cProfile.Profile()
                kinds: dict[str, int] = {}

                def count(execute, sql, params, many, context):
                    words = sql.split()
                    verb = words[0].upper()
                    table = next(
                        (
                            w.strip('"')
                            for i, w in enumerate(words[:-1])
                            if w.upper() in ("FROM", "INTO", "UPDATE") and i < 40
                            for w in [words[i + 1]]
                        ),
                        "",
                    )
                    key = f"{verb} {table}" if verb in ("SELECT", "INSERT", "UPDATE") else verb
                    kinds[key] = kinds.get(key, 0) + 1
                    return execute(sql, params, many, context)

                t0 = time.monotonic()
                prof.enable()
                with connection.execute_wrapper(count):
                    batches.run_all(pb)
                prof.disable()
                total_q = sum(kinds.values())
                print(f"queries per row: {total_q / args.profile:.1f}", file=sys.stderr)
                for key, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
                    print(f"  {n / args.profile:5.2f}  {key}", file=sys.stderr)
                from accord.core.models import EventDelivery, OutboxEvent

                print(
                    f"events per row: {OutboxEvent.objects.count() / args.profile:.2f}, deliveries "
                    f"per row: {EventDelivery.objects.count() / args.profile:.2f}",
                    file=sys.stderr,
                )
                for topic, sub in (
                    EventDelivery.objects.values_list("event__topic", "subscriber")
                    .distinct()
                    .order_by("event__topic")
                ):
                    print(f"  {topic} -> {sub}", file=sys.stderr)
                per_row = (time.monotonic() - t0) / args.profile
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
                print(f"per row in-process: {per_row * 1000:.1f} ms", file=sys.stderr)
                print(out.getvalue(), file=sys.stderr)
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
                print(out.getvalue(), file=sys.stderr)
                return 0

            per_row, parts = profile_rows(enterprise, hr, args.profile_rows, args.rows + 1000)

            # the workers run already, as under `accord serve`: wait until they take tasks
            connection.close()
            cpu_before = children_cpu()
            workers = run_workers(env, args.workers)
            from accord.core.tasks import deliver_events

            probes = [deliver_events.enqueue() for _ in range(2 * args.workers)]
            while any(p.status not in ("SUCCESSFUL", "FAILED") for p in probes):
                if any(w.poll() is not None for w in workers):
                    raise RuntimeError(worker_log(env))
                time.sleep(0.2)
                for p in probes:
                    p.refresh()

            # upload → all sent
            load_at_start = load()
            t0 = time.monotonic()
            web_cpu0 = time.process_time()
            batch, _ = batches.upload(
                enterprise, data=data, file_name="bench.xlsx", version=labour_fixed(), user=hr
            )
            t_upload = time.monotonic() - t0
            batches.start(batch, user=hr)
            t_start = time.monotonic() - t0
            web_cpu = time.process_time() - web_cpu0
            assert batch.bad_rows == 0, batch.problems[:3]
            while True:
                batch.refresh_from_db()
                if batch.status in (Batch.Status.DONE, Batch.Status.FAILED):
                    break
                if any(w.poll() is not None for w in workers):
                    raise RuntimeError(worker_log(env))
                time.sleep(0.2)
            t_sent = time.monotonic() - t0
            load_at_sent = load()
            print(
                f"sent in {t_sent:.1f} s (upload {t_upload:.1f}, start {t_start:.1f})",
                file=sys.stderr,
            )
            sent = Envelope.objects.filter(batch=batch, status="sent").count()
            # the outbox (events to their subscribers) drains after the envelopes are sent
            from accord.core.models import EventDelivery

            pending_at_sent = EventDelivery.objects.filter(status="pending").count()
            while EventDelivery.objects.filter(status="pending").exists():
                if time.monotonic() - t0 > t_sent + args.drain:
                    break
                time.sleep(0.5)
            t_drained = time.monotonic() - t0
            still_pending = EventDelivery.objects.filter(status="pending").count()
            deliveries = EventDelivery.objects.count()
            print(f"drained at {t_drained:.1f} s", file=sys.stderr)
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(30)
            workers = []
            # the workers' CPU while sending and draining (one process: their sum)
            workers_cpu = children_cpu() - cpu_before

            rows = batches.load_rows(batch)
            t_render, render_cpu = render_baseline(url, rows, args.workers)
            print(f"render baseline {t_render:.1f} s", file=sys.stderr)
            per_s, whole_per_s, signed = signing_throughput(batch, hr, args.sign)
        finally:
            for w in workers:
                w.kill()
            from django.db import connections

            connections.close_all()
            if db:
                db.__exit__(None, None, None)

    database = pg_version() if use_pg else "SQLite"
    goal = "meets" if t_sent <= 60 else "MISSES"
    print("## Batch sending (`bench/batch_bench.py`)\n")
    print(
        table(
            ["figure", "measured", "baseline", "ratio"],
            [
                [
                    f"{args.rows:,}-row spreadsheet, upload → every envelope sent "
                    f"({args.workers} `db_worker` processes, {database}), wall time",
                    f"{t_sent:.1f} s ({args.rows / t_sent:,.0f} rows/s; goal ≤ 60 s: {goal}; "
                    f"load average {load_at_start} at the upload, {load_at_sent} when sent)",
                    f"{t_render:.1f} s: the same {args.rows:,} contract PDFs rendered alone, "
                    f"as the batch renders them (one Typst compilation each), in "
                    f"{args.workers} processes",
                    f"{t_sent / t_render:.2f}×",
                ],
                [
                    "the same, CPU time (the web process's upload and start, and the workers' "
                    "sending and outbox delivery)",
                    f"{web_cpu + workers_cpu:.1f} s ({(web_cpu + workers_cpu) / args.rows * 1000:.1f}"
                    f" ms a row; upload and start {web_cpu:.1f} s, workers {workers_cpu:.1f} s)",
                    f"{render_cpu:.1f} s CPU rendering alone ({render_cpu / args.rows * 1000:.1f} "
                    "ms a row)",
                    f"{(web_cpu + workers_cpu) / render_cpu:.2f}×",
                ],
                [
                    "worker signatures per second, built-in provider (`sign_personal`)",
                    f"{per_s:.1f} /s ({args.sign} signatures, one process)",
                    f"{whole_per_s:.1f} /s the worker's whole turn (view, consent, "
                    "signature image, SMS code, sign)",
                    "",
                ],
            ],
        )
    )
    print(
        f"\nWhere one row's time goes: {args.profile_rows} rows sent in one process under "
        f"cProfile (which adds its own overhead), before the workers started: "
        f"{per_row * 1000:.0f} ms a row.\n"
    )
    print(
        table(
            ["part of a row", "ms a row", "share"],
            [
                [
                    name,
                    f"{sec / args.profile_rows * 1000:.1f}",
                    f"{sec / (per_row * args.profile_rows):.0%}",
                ]
                for name, sec in parts.items()
            ],
        )
    )
    print(
        f"\nOf the {t_sent:.1f} s: reading and checking the {args.rows:,} rows took {t_upload:.1f} s "
        f"(upload), checking again and queueing {t_start - t_upload:.1f} s; the rest is the "
        f"workers sending in chunks of {batches.CHUNK_ROWS} rows ({sent:,} envelopes sent; "
        f"{signed} of {args.sign} sealed and then signed by the worker). The outbox — "
        f"{deliveries:,} event deliveries ({deliveries / max(sent, 1):.1f} a row: employment "
        f"started, envelope sent, to their subscribers) — had {pending_at_sent:,} still pending when the last envelope was "
        f"sent; {pending_at_sent - still_pending:,} of them were delivered in the next "
        f"{t_drained - t_sent:.0f} s"
        + (
            f" ({still_pending:,} left when the benchmark stopped waiting). "
            if still_pending
            else ". "
        )
        + f"Generating the spreadsheet ({made:.1f} s) is not counted. Machine: {info}.\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
