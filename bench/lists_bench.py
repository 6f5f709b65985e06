"""List pages and API list endpoints at district scale on PostgreSQL: p50 and p95 of each, with
a filter and a search, beside a baseline measured in the same run.

The district demo data (300,000 enterprises, 2.2 million people: ``accord demo-data --scale
district``, as bench/bench_demo_load.py loads it) goes into a fresh PostgreSQL database; then
every request goes through Django's test client in this process (middleware, session, login
guard, scoping, FilterSet, pagination, templates or schemas; no network), as the user who
would make it. Searches rotate over terms drawn from the loaded data (surnames, full names,
parts of enterprise names, random enterprises), so no figure is one term answered from cache.
Baselines: the same list without its search or filter, and a primary-key lookup.

    python bench/lists_bench.py                          # load the district (~8 min), measure
    python bench/lists_bench.py --database-url postgres://…/db --var-dir DIR   # already loaded
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PostgresDatabase, accord, env_for, machine_info, table, temp_var_dir

GOAL_MS = 300
ROUNDS = 30
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(
        {k: env[k] for k in ("DATABASE_URL", "ACCORD_VAR_DIR", "ACCORD_ENV", "LOG_LEVEL")}
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "accord.settings"
    import django

    django.setup()


def client_for(username: str):
    """A test client logged in as ``username`` as the login page leaves it (TOTP passed)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accord.identity.models import User

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def sample(model, n: int, seed: int) -> list:
    """``n`` rows spread over the table, found by primary key (``ORDER BY random()`` would sort
    millions of rows)."""
    from django.db.models import Max, Min

    bounds = model.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    rng = random.Random(seed)
    rows: list = []
    while len(rows) < n:
        ids = [rng.randint(bounds["lo"], bounds["hi"]) for _ in range(n * 2)]
        rows += list(model.objects.filter(pk__in=ids)[: n - len(rows)])
    return rows


def world() -> dict:
    """Terms and objects to ask for, drawn from the loaded data."""
    from accord.identity.models import Enterprise, Person, User

    rng = random.Random(7)
    people = sample(Person, 60, 1)
    enterprises = sample(Enterprise, 60, 2)

    def part(name: str, length: int) -> str:
        start = rng.randrange(0, max(1, len(name) - length))
        return name[start : start + length]

    hr = User.objects.get(username="hr")
    return {
        "surnames": list(SURNAMES),
        "full_names": [p.name for p in people[:30]],
        "phones": [p.phone for p in people[30:45]],
        "id_numbers": [p.id_number for p in people[45:60]],
        "person_ids": [p.public_id for p in people],
        "enterprise_ids": [e.public_id for e in enterprises],
        "name_parts_2": [part(e.name, 2) for e in enterprises[:30]],
        "name_parts_4": [part(e.name, 4) for e in enterprises[30:]],
        "usccs": [e.uscc for e in enterprises[:20]],
        "largest": Enterprise.objects.order_by("-employee_count").values_list(
            "public_id", flat=True
        )[0],
        "hr_enterprise": Enterprise.objects.filter(pk__in=hr.enterprise_ids)[0].public_id,
    }


def measure(client, urls: list[str], rounds: int, before=None) -> tuple[float, float]:
    """p50 and p95 in ms of ``rounds`` requests cycling through ``urls`` (one warm-up first)."""
    for url in urls[:1]:
        if before:
            before()
        client.get(url)
    took = []
    for i in range(rounds):
        url = urls[i % len(urls)]
        if before:
            before()
        start = time.perf_counter()
        response = client.get(url)
        took.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    took.sort()
    return statistics.median(took), took[max(0, round(0.95 * len(took)) - 1)]


def cases(w: dict) -> list[tuple[str, str, list[str], str]]:
    """(label, user, urls, baseline label); a baseline label names another case."""
    from urllib.parse import quote

    def each(template: str, values) -> list[str]:
        return [template.format(quote(str(v))) for v in values]

    street_enterprises = "/enterprises/?street=futian"
    hr_e = w["hr_enterprise"]
    return [
        # Baselines.
        ("API enterprise by id", "bureau", each("/api/v1/enterprises/{}", w["enterprise_ids"]), ""),
        ("API person by id", "bureau", each("/api/v1/people/{}", w["person_ids"]), ""),
        # The bureau home.
        ("page home (bureau), figures cached", "bureau", ["/"], "page home, cache cleared"),
        # Enterprises.
        ("page enterprises", "bureau", ["/enterprises/"], "API enterprise by id"),
        ("page enterprises, street", "bureau", [street_enterprises], "page enterprises"),
        (
            "page enterprises, section + size",
            "bureau",
            ["/enterprises/?section=C&size=small"],
            "page enterprises",
        ),
        (
            "page enterprises, name contains (2 chars)",
            "bureau",
            each("/enterprises/?q={}", w["name_parts_2"]),
            "page enterprises",
        ),
        (
            "page enterprises, name contains (4 chars)",
            "bureau",
            each("/enterprises/?q={}", w["name_parts_4"]),
            "page enterprises",
        ),
        (
            "page enterprises, credit code",
            "bureau",
            each("/enterprises/?q={}", w["usccs"]),
            "page enterprises",
        ),
        (
            "page enterprises, street + name (2 chars)",
            "bureau",
            each("/enterprises/?street=futian&q={}", w["name_parts_2"]),
            "page enterprises, street",
        ),
        ("page enterprises (street officer)", "street", ["/enterprises/"], "page enterprises"),
        ("page enterprises (HR)", "hr", ["/enterprises/"], "page enterprises"),
        (
            "API enterprises, name contains (4 chars)",
            "bureau",
            each("/api/v1/enterprises?q={}", w["name_parts_4"]),
            "API enterprises",
        ),
        ("API enterprises", "bureau", ["/api/v1/enterprises"], "API enterprise by id"),
        # People.
        ("page people", "bureau", ["/people/"], "API person by id"),
        (
            "page people, surname prefix",
            "bureau",
            each("/people/?q={}", w["surnames"]),
            "page people",
        ),
        (
            "page people, full name",
            "bureau",
            each("/people/?q={}", w["full_names"]),
            "page people",
        ),
        ("page people, phone", "bureau", each("/people/?q={}", w["phones"]), "page people"),
        (
            "page people, ID number",
            "bureau",
            each("/people/?q={}", w["id_numbers"]),
            "page people",
        ),
        (
            "page people, verification level (none match)",
            "bureau",
            ["/people/?verification_level=registry"],
            "page people",
        ),
        (
            "page people, of an enterprise (random)",
            "bureau",
            each("/people/?enterprise={}", w["enterprise_ids"]),
            "page people",
        ),
        (
            "page people, of the largest enterprise",
            "bureau",
            [f"/people/?enterprise={w['largest']}"],
            "page people",
        ),
        (
            "page people, largest enterprise + surname",
            "bureau",
            each(f"/people/?enterprise={w['largest']}&q={{}}", w["surnames"]),
            "page people, of the largest enterprise",
        ),
        ("page people (street officer)", "street", ["/people/"], "page people"),
        (
            "page people (street officer), surname",
            "street",
            each("/people/?q={}", w["surnames"]),
            "page people (street officer)",
        ),
        ("page people (HR)", "hr", ["/people/"], "page people"),
        ("API people", "bureau", ["/api/v1/people"], "API person by id"),
        (
            "API people, surname prefix",
            "bureau",
            each("/api/v1/people?q={}", w["surnames"]),
            "API people",
        ),
        # Other lists: audit, employees, and the enterprise's own lists.
        ("page audit (auditor)", "auditor", ["/audit/"], "API person by id"),
        (
            "page audit, action prefix",
            "auditor",
            ["/audit/?action=identity."],
            "page audit (auditor)",
        ),
        (
            "API audit, action prefix",
            "auditor",
            ["/api/v1/audit?action=identity."],
            "page audit (auditor)",
        ),
        (
            "API employees of the largest enterprise",
            "bureau",
            [f"/api/v1/enterprises/{w['largest']}/employees"],
            "API enterprise by id",
        ),
        (
            "API employees of an enterprise, all (random)",
            "bureau",
            each("/api/v1/enterprises/{}/employees?current=false", w["enterprise_ids"]),
            "API enterprise by id",
        ),
        ("page envelopes (HR)", "hr", ["/envelopes/"], "API enterprise by id"),
        ("page envelopes (HR), search", "hr", ["/envelopes/?q=张"], "page envelopes (HR)"),
        (
            "API envelopes (HR), status",
            "hr",
            ["/api/v1/envelopes?status=sent"],
            "API enterprise by id",
        ),
        (
            "API contract templates, kind",
            "hr",
            ["/api/v1/contract-templates?kind=labour_fixed"],
            "API enterprise by id",
        ),
        ("API tokens (HR)", "hr", [f"/api/v1/enterprises/{hr_e}/tokens"], "API enterprise by id"),
        ("API batches (HR)", "hr", [f"/api/v1/enterprises/{hr_e}/batches"], "API enterprise by id"),
        ("API seals (HR)", "hr", [f"/api/v1/enterprises/{hr_e}/seals"], "API enterprise by id"),
        (
            "API webhooks (HR)",
            "hr",
            [f"/api/v1/enterprises/{hr_e}/webhooks"],
            "API enterprise by id",
        ),
        ("API webhook topics", "hr", ["/api/v1/webhook-topics"], "API enterprise by id"),
    ]


def run(rounds: int) -> tuple[list[list[str]], str]:
    from django.core.cache import cache

    from accord.identity.models import Enterprise, Person

    scale = f"{Enterprise.objects.count():,} enterprises, {Person.objects.count():,} people"

    w = world()
    clients = {name: client_for(name) for name in ("bureau", "street", "hr", "auditor")}
    figures: dict[str, tuple[float, float]] = {}
    figures["page home, cache cleared"] = measure(
        clients["bureau"], ["/"], max(5, rounds // 3), before=cache.clear
    )
    todo = cases(w)
    for label, user, urls, _baseline in todo:
        figures[label] = measure(clients[user], urls, rounds)
        print(
            f"{label}: p50 {figures[label][0]:.1f} ms, p95 {figures[label][1]:.1f} ms",
            file=sys.stderr,
        )
    rows = []
    for label, _user, urls, baseline in [("page home, cache cleared", "bureau", ["/"], ""), *todo]:
        p50, p95 = figures[label]
        b50, b95 = figures[baseline] if baseline else (None, None)
        rows.append(
            [
                f"{label} (`{urls[0]}`{' …' if len(urls) > 1 else ''})",
                f"{p50:.0f} ms",
                f"{p95:.0f} ms",
                f"{baseline}: {b50:.0f} / {b95:.0f} ms" if baseline else "(baseline)",
                f"{p95 / b95:.1f}×" if baseline else "",
                "yes" if p95 <= GOAL_MS else "**no**",
            ]
        )
    return rows, scale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="an already loaded database (with --var-dir)")
    parser.add_argument("--var-dir", help="the ACCORD_VAR_DIR it was loaded with (its keys)")
    parser.add_argument("--enterprises", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    info = machine_info()
    load = ""
    if args.database_url:
        env = env_for(args.database_url, args.var_dir or os.environ["ACCORD_VAR_DIR"])
        accord(env, "migrate", "-v0")
        setup_django(env)
        rows, scale = run(args.rounds)
        load = "an already loaded database"
    else:
        extra = []
        if args.enterprises:
            extra += ["--enterprises", str(args.enterprises)]
        if args.workers:
            extra += ["--workers", str(args.workers)]
        name = f"accord_bench_lists_{os.getpid()}"
        with PostgresDatabase(name) as url, temp_var_dir("accord-bench-lists-") as var:
            env = env_for(url, var)
            accord(env, "migrate", "-v0")
            start = time.perf_counter()
            accord(env, "demo_data", "--scale", "district", *extra)
            load = f"loaded in {time.perf_counter() - start:.0f} s"
            setup_django(env)
            rows, scale = run(args.rounds)
            from django.db import connections

            connections.close_all()
    print(
        "## List pages and API lists at district scale\n\n"
        f"PostgreSQL, district demo data ({scale}; {load}); "
        f"{args.rounds} requests a row through Django's test client, searches rotating over terms "
        f"from the data. Goal: p95 ≤ {GOAL_MS} ms.\n\n"
        f"{table(['list', 'p50', 'p95', 'baseline p50 / p95', 'p95 ratio', f'p95 ≤ {GOAL_MS} ms'], rows)}\n"
    )
    print(f"Machine: {info}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
