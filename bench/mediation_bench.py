"""Mediation statistics on 100,000 cases (issue #14 item 7: p95 ≤ 300 ms), on PostgreSQL, beside
the same aggregate as one raw SQL query measured in the same run.

A fresh database gets the small demo data (26 organisations, 135 mediators, 2,000 people) and
then 100,000 cases in every state (``accord.mediation.demo.make_cases``). Each request goes
through Django's test client in this process (middleware, session, login guard, scoping, the
grouped queries, the template or schema), as the bureau officer; the ``since`` day rotates so
no figure is one answer from a cache. Baseline: the by-street table as one hand-written
``GROUP BY`` in SQL, through the same connection.

    python bench/mediation_bench.py
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PostgresDatabase, accord, env_for, machine_info, table, temp_var_dir

CASES = 100_000
ROUNDS = 30
GOAL_MS = 300
RAW = """
SELECT s.name_zh, COUNT(*),
       COUNT(*) FILTER (WHERE c.status NOT IN ('applied', 'declined', 'withdrawn')),
       COUNT(*) FILTER (WHERE c.status = 'agreed'),
       COUNT(*) FILTER (WHERE c.status IN ('agreed', 'ended', 'expired', 'referred')),
       SUM(c.claimed_fen), SUM(c.recovered_fen) FILTER (WHERE c.status = 'agreed'),
       SUM(c.closed_on - c.received_on) FILTER (WHERE c.closed_on IS NOT NULL)
FROM mediation_case c LEFT JOIN identity_street s ON s.id = c.street_id
WHERE c.received_on >= %s
GROUP BY s.name_zh ORDER BY s.name_zh
"""


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> int:
    name = f"accord_bench_mediation_{os.getpid()}"
    with PostgresDatabase(name) as url, temp_var_dir("accord-bench-mediation-") as var:
        env = env_for(url, var)
        accord(env, "migrate", "--noinput")
        accord(env, "demo-data", "--scale", "small")
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "ACCORD_VAR_DIR", "ACCORD_ENV")})
        os.environ["DJANGO_SETTINGS_MODULE"] = "accord.settings"
        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accord.identity.models import User
        from accord.mediation import demo
        from accord.mediation.models import Case

        started = time.perf_counter()
        demo.make_cases(CASES - Case.objects.count())
        load_s = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        total = Case.objects.count()
        user = User.objects.get(username="bureau")
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
        today = dt.date.today()
        days = [today - dt.timedelta(days=400 + i) for i in range(ROUNDS)]

        def get(url: str):
            def run():
                r = client.get(url)
                assert r.status_code == 200, (url, r.status_code)

            return run

        def raw(day):
            def run():
                with connection.cursor() as cursor:
                    cursor.execute(RAW, [day])
                    cursor.fetchall()

            return run

        rows = []
        for label, make in (
            (
                "statistics page (4 tables, charts)",
                lambda d: get(f"/mediation/statistics?since={d}"),
            ),
            ("API by street", lambda d: get(f"/api/v1/mediation/statistics?by=street&since={d}")),
            ("API by month", lambda d: get(f"/api/v1/mediation/statistics?by=month&since={d}")),
            ("baseline: by street as one raw SQL query", raw),
        ):
            make(days[0])()  # warm
            ms = [timed(make(d)) for d in days]
            rows.append([label, f"{p(ms, 50):.0f}", f"{p(ms, 95):.0f}"])
        base = float(rows[-1][2]) or 1.0
        for row in rows:
            row.append(f"{float(row[2]) / base:.1f}×")
        worst = max(float(r[2]) for r in rows[:-1])
    print("## Mediation statistics (issue #14)\n")
    print(
        f"{total:,} cases on PostgreSQL (small demo people; cases made in {load_s:.0f} s), "
        f"{ROUNDS} requests each with a different `since`, as the bureau officer. "
        f"Goal p95 ≤ {GOAL_MS} ms: {'met' if worst <= GOAL_MS else 'NOT met'} "
        f"(worst p95 {worst:.0f} ms).\n"
    )
    print(table(["request", "p50 ms", "p95 ms", "p95 / raw SQL"], rows))
    print(f"\n{machine_info()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
