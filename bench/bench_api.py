"""API list throughput beside a bare Django view doing the same query, and list query counts.

One gunicorn serves both ``GET /api/v1/enterprises?page_size=50`` (django-ninja, auth, scoping,
filters, schemas) and ``GET /bare/enterprises`` (bench/bare_urls.py: a plain view with the same
queries); both get the same logged-in bureau session and the same middleware, so the ratio is
the cost of the API layer. Requests come from a bounded thread pool over keep-alive-less
http.client connections, alternating between the two endpoints in short rounds.

    python bench/bench_api.py [--seconds 10] [--sqlite]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    PostgresDatabase,
    accord,
    env_for,
    machine_info,
    pg_version,
    table,
    temp_var_dir,
)

API = "/api/v1/enterprises?page_size=50"
BARE = "/bare/enterprises"
EXTRA_ENTERPRISES = 20_000
EXTRA_PEOPLE = 20_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(
        {k: env[k] for k in ("DATABASE_URL", "ACCORD_VAR_DIR", "ACCORD_ENV", "LOG_LEVEL")}
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare_settings"
    import django

    django.setup()


def bureau_session_cookie() -> str:
    """A session as the login page leaves it for the bureau user: password and TOTP passed."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accord.identity.models import User

    user = User.objects.get(username="bureau")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def add_enterprises(n: int) -> None:
    from accord.identity import demo_gen
    from accord.identity.models import Enterprise, IndustryDivision, Street

    streets = dict(Street.objects.values_list("code", "pk"))
    industries = dict(IndustryDivision.objects.values_list("code", "section"))
    industry_pks = dict(IndustryDivision.objects.values_list("code", "pk"))
    gen = demo_gen.Generator(4242, industries)
    taken = set(Enterprise.objects.values_list("uscc", flat=True))
    Enterprise.objects.bulk_create(
        (
            Enterprise(
                name=s.name,
                uscc=s.uscc,
                legal_representative=s.legal_representative,
                address=s.address,
                street_id=streets[s.street],
                industry_id=industry_pks[s.industry],
            )
            for s in gen.enterprises(n + 2)[2:]
            if s.uscc not in taken
        ),
        batch_size=2000,
    )


def add_people(n: int) -> None:
    """``n`` more people, drawn and stored the way the demo load stores them."""
    from accord.identity import demo, demo_gen
    from accord.identity.models import Enterprise, IndustryDivision, Person

    gen = demo_gen.Generator(4343, dict(IndustryDivision.objects.values_list("code", "section")))
    planner = demo_gen.PeoplePlanner(gen, gen.enterprises(2), n)
    first_pk = (Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    planner.set_keys(Enterprise.objects.order_by("pk").values_list("pk", flat=True)[0], first_pk)
    taken = set(Person.objects.values_list("id_number_index", flat=True))
    people = []
    for start in range(0, n, demo.CHUNK):
        chunk, _ = planner.chunk(start, demo.CHUNK)
        planner.claim(chunk)
        people += [p for p in chunk if p.name != demo_gen.WORKER_NAME]
    Person.objects.bulk_create(
        (
            Person(
                pk=p.pk,
                public_id=p.public_id,
                name=p.name,
                id_number=p.id_number,
                id_number_index=index,
                id_number_masked=demo.mask_id_number(p.id_number),
                phone=p.phone,
                phone_index=demo.blind_index(p.phone, "phone"),
                phone_masked=demo.mask_phone(p.phone),
                birth_date=p.birth_date,
                gender=p.gender,
            )
            for p in people
            if (index := demo.id_index("resident", p.id_number)) not in taken
        ),
        batch_size=2000,
    )


def query_counts(cookie: str) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_COOKIE=cookie)
    out = {}
    for url in (API, "/api/v1/people?page_size=50", BARE):
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        out[url] = len(ctx.captured_queries)
    return out


def wait_for(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {proc.stderr.read()[-2000:] if proc.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def drive(
    port: int, path: str, cookie: str, seconds: float, threads: int
) -> tuple[int, int, float]:
    """(good responses, bad responses, elapsed) of ``threads`` clients hammering ``path``."""
    stop = time.monotonic() + seconds
    good = bad = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal good, bad
        g = b = 0
        while time.monotonic() < stop:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
                response = conn.getresponse()
                body = response.read()
                if response.status == 200 and body.startswith(b"{"):
                    g += 1
                else:
                    b += 1
            except OSError:
                b += 1
            finally:
                conn.close()
        with lock:
            good += g
            bad += b

    start = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(client)
    return good, bad, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--server-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database afterwards"
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="SQLite instead of a throwaway PostgreSQL"
    )
    args = parser.parse_args()
    info = machine_info()
    use_pg = not args.sqlite and pg_version() != "PostgreSQL unavailable"

    with temp_var_dir("accord-bench-api-") as var:
        db = PostgresDatabase(f"accord_bench_api_{os.getpid()}", keep=args.keep) if use_pg else None
        url = db.__enter__() if db else f"sqlite:///{var}/bench.sqlite3"
        try:
            env = env_for(url, var)
            env["DJANGO_SETTINGS_MODULE"] = "bench.bare_settings"
            env["ACCORD_DEBUG"] = "0"  # as in production: no query log, no autoreload
            env["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
            accord(env, "migrate", "-v0")
            accord(env, "demo_data", "--scale", "small", "--quiet")
            setup_django(env)
            from accord.identity.models import Enterprise

            cookie = bureau_session_cookie()
            from accord.identity.models import Person

            small_rows = (Enterprise.objects.count(), Person.objects.count())
            small_counts = query_counts(cookie)
            add_enterprises(EXTRA_ENTERPRISES)
            add_people(EXTRA_PEOPLE)
            large_rows = (Enterprise.objects.count(), Person.objects.count())
            large_counts = query_counts(cookie)

            port = free_port()
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "accord.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    str(args.server_workers),
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                wait_for(port, server)
                for path in (API, BARE):  # warm both workers' caches and connections
                    drive(port, path, cookie, 1.0, args.threads)
                totals = {API: [0, 0, 0.0], BARE: [0, 0, 0.0]}
                rounds = 4
                for _ in range(rounds):
                    for path in (BARE, API):
                        g, b, t = drive(port, path, cookie, args.seconds / rounds, args.threads)
                        totals[path][0] += g
                        totals[path][1] += b
                        totals[path][2] += t
            finally:
                server.terminate()
                server.wait(10)
        finally:
            from django.db import connections

            connections.close_all()
            if db:
                db.__exit__(None, None, None)

    api_rps = totals[API][0] / totals[API][2]
    bare_rps = totals[BARE][0] / totals[BARE][2]
    errors = totals[API][1] + totals[BARE][1]
    database = pg_version() if use_pg else "SQLite"
    rows = [
        [
            f"`GET {API}` through django-ninja ({large_rows[0]:,} enterprises, {database})",
            f"{api_rps:,.0f} req/s",
            f"{bare_rps:,.0f} req/s bare Django view, same queries (`{BARE}`)",
            f"{api_rps / bare_rps:.0%} (goal ≥ 50 %)",
        ],
    ]
    qrows = [
        [
            f"`GET {path}`",
            str(small_counts[path]),
            str(large_counts[path]),
            "flat" if small_counts[path] == large_counts[path] else "GROWS",
        ]
        for path in small_counts
    ]
    print("## API list throughput (`bench/bench_api.py`)\n")
    print(table(["figure", "measured", "baseline", "ratio"], rows))
    print(
        f"\ngunicorn with {args.server_workers} sync workers, {args.threads} client threads on the same "
        f"machine, {args.seconds:.0f} s per endpoint in {rounds} alternating rounds, logged-in bureau "
        f"session (password + TOTP), DEBUG off; {errors} failed requests.\n"
    )
    print("### Queries per list request as the tables grow\n")
    print(
        table(
            [
                "endpoint",
                "{:,} enterprises, {:,} people".format(*small_rows),
                "{:,} enterprises, {:,} people".format(*large_rows),
                "",
            ],
            qrows,
        )
    )
    print(f"\nMachine: {info}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
