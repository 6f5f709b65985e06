"""Evidence ledger benchmark: prints a markdown section for docs/benchmarks.md.

    .venv/bin/python bench/ledger_bench.py [--leaves 100000] [--big 10000000] [--pymerkle-big 1000000]

Measured in one run, each figure beside its baseline:

* append throughput with durable storage (every entry, every tile, a signed checkpoint per
  batch, one transaction per batch) beside raw ``hashlib`` hashing of the same leaves, and
  beside pymerkle's ``SqliteTree`` on the same leaves (one by one, and ``append_entries``);
* inclusion and consistency proof time on a 10,000,000-leaf log, beside pymerkle's
  ``SqliteTree`` proofs at 1,000,000 leaves;
* ``accord ledger verify`` rate.

The 10M-leaf log is built with the same tile code (``TileAppender``) but written with bulk
inserts of 102,400 leaves (400 bundles) at a time instead of through ``storage.append`` (whose batches are
capped at 10,000 and sign a checkpoint each); it holds synthetic 8-byte entries. Everything
else goes through the code paths the application uses.

Each part runs in its own process against its own fresh database: a SQLite file in a
temporary directory by default (the embedded configuration: WAL, synchronous=NORMAL), or
PostgreSQL when ``BENCH_DATABASE_URL`` names a server database to create (e.g.
``postgres://postgres@127.0.0.1:5432/accord_ledger_bench``; it is dropped afterwards).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# --- helpers ---------------------------------------------------------------------------------


def _django(env_db: str, var_dir: str) -> None:
    os.environ["DATABASE_URL"] = env_db
    os.environ["ACCORD_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    os.environ.setdefault("ACCORD_ENV", "development")
    os.environ.setdefault("ACCORD_DEBUG", "0")  # as in production: no SQL recording
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
    }


def _demo_data(n: int) -> list[bytes]:
    from accord.ledger.entries import prepare

    return [prepare("test.demo", {"n": i, "note": "bench"}).data for i in range(n)]


def _sqlite_pragmas(con) -> None:
    # The same durability settings as Accord's own SQLite database, so the comparison is fair.
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")


# --- parts (each in its own process) -----------------------------------------------------------


def part_append(args, db_url: str, var_dir: str) -> dict:
    _django(db_url, var_dir)
    from django.db import connection

    from accord.ledger import merkle, storage
    from accord.ledger.entries import PreparedEntry
    from accord.ledger.verification import verify_log

    n = args.leaves
    batches = [int(b) for b in args.batch.split(",")]
    datas = _demo_data(n)

    t = time.perf_counter()
    for d in datas:
        merkle.leaf_hash(d)
    raw = time.perf_counter() - t

    batched = {}
    for batch in batches:
        items = [PreparedEntry("test.demo", d, {}) for d in datas]
        t = time.perf_counter()
        for start in range(0, n, batch):
            storage.append(items[start : start + batch])
        batched[batch] = n / (time.perf_counter() - t)

    ones = args.one_by_one
    extra = [PreparedEntry("test.demo", d, {}) for d in _demo_data(ones)]
    t = time.perf_counter()
    for item in extra:
        storage.append([item])
    one_by_one = time.perf_counter() - t

    report = verify_log()
    assert report.ok, report.problems[:3]
    return {
        "vendor": connection.vendor,
        "leaves": n,
        "raw_hashlib_per_s": n / raw,
        "append_batched_per_s": batched,
        "append_one_by_one_per_s": ones / one_by_one,
        "one_by_one_count": ones,
        "verify_per_s": report.tree_size / report.seconds,
        "verify_size": report.tree_size,
    }


def part_pymerkle(args, var_dir: str) -> dict:
    from pymerkle import SqliteTree

    n, ones = args.leaves, args.one_by_one
    # The same leaves as part_append (canonical JSON of the demo entries), without Django.
    datas = [
        json.dumps(
            {"n": i, "note": "bench", "type": "test.demo", "v": 1},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        for i in range(n)
    ]
    out: dict = {}
    tree = SqliteTree(str(Path(var_dir) / "pm-batched.sqlite3"))
    _sqlite_pragmas(tree.con)
    t = time.perf_counter()
    tree.append_entries(datas)
    out["append_entries_per_s"] = n / (time.perf_counter() - t)
    tree.close()

    tree = SqliteTree(str(Path(var_dir) / "pm-ones.sqlite3"))
    _sqlite_pragmas(tree.con)
    t = time.perf_counter()
    for d in datas[:ones]:
        tree.append_entry(d)
    out["append_entry_per_s"] = ones / (time.perf_counter() - t)
    tree.close()

    big = args.pymerkle_big
    tree = SqliteTree(str(Path(var_dir) / "pm-big.sqlite3"))
    _sqlite_pragmas(tree.con)
    chunk = 200_000
    for start in range(0, big, chunk):
        tree.append_entries([i.to_bytes(8, "big") for i in range(start, min(big, start + chunk))])
    rng = random.Random(1)
    samples = []
    for _ in range(args.pymerkle_samples):
        index = rng.randrange(1, big + 1)  # pymerkle counts leaves from 1
        t = time.perf_counter()
        tree.prove_inclusion(index, big)
        samples.append(time.perf_counter() - t)
    out["pm_inclusion"] = _ms(samples)
    samples = []
    for _ in range(args.pymerkle_samples):
        first = rng.randrange(1, big)
        t = time.perf_counter()
        tree.prove_consistency(first, big)
        samples.append(time.perf_counter() - t)
    out["pm_consistency"] = _ms(samples)
    out["pm_big"] = big
    tree.close()
    return out


def part_big(args, db_url: str, var_dir: str) -> dict:
    _django(db_url, var_dir)
    from django.db import connection, transaction

    from accord.ledger import merkle, storage
    from accord.ledger.checkpoints import sign_checkpoint
    from accord.ledger.tiles import TILE_WIDTH, TileAppender, encode_bundle
    from accord.ledger.verification import verify_log

    n = args.big
    chunk = 256 * 400  # whole bundles per chunk
    appender = TileAppender()
    t = time.perf_counter()
    sample_hashes: dict[int, bytes] = {}
    rng = random.Random(2)
    wanted = set(rng.sample(range(n), min(n, args.samples)))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        datas = [i.to_bytes(8, "big") for i in range(start, stop)]
        hashes = [merkle.leaf_hash(d) for d in datas]
        for i in range(start, stop):
            if i in wanted:
                sample_hashes[i] = hashes[i - start]
        tiles = appender.append(hashes)
        last = stop == n
        with transaction.atomic():
            storage._insert(
                storage.BUNDLE_TABLE,
                storage.BUNDLE_COLUMNS,
                [
                    (
                        b // TILE_WIDTH,
                        min(TILE_WIDTH, stop - b),
                        encode_bundle(datas[b - start : b - start + TILE_WIDTH]),
                    )
                    for b in range(start, stop, TILE_WIDTH)
                ],
            )
            storage._insert(
                storage.TILE_TABLE,
                storage.TILE_COLUMNS,
                [
                    (x.level, x.index, x.width, x.hashes, x.interior)
                    for x in tiles
                    if x.width == TILE_WIDTH or last
                ],
            )
            if last:
                sign_checkpoint(n, appender.root())
    build = time.perf_counter() - t
    t = time.perf_counter()
    while storage.catch_up_index() < n:
        pass
    index_build = time.perf_counter() - t
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    assert storage.root_at(n) == appender.root()
    incl, cons, queries = [], [], []
    for index, leaf in sample_hashes.items():
        t = time.perf_counter()
        got, proof = storage.inclusion_proof(leaf, n)
        incl.append(time.perf_counter() - t)
        assert got == index
    root = appender.root()
    # Check a few of them, outside the timing.
    for index, leaf in list(sample_hashes.items())[:20]:
        _, proof = storage.inclusion_proof(leaf, n)
        assert merkle.verify_inclusion(leaf, index, n, proof, root)
    for _ in range(len(sample_hashes)):
        first = rng.randrange(1, n)
        t = time.perf_counter()
        storage.consistency_proof(first, n)
        cons.append(time.perf_counter() - t)
    leaf = next(iter(sample_hashes.values()))
    calls = []
    real_read = storage._read
    storage._read = lambda sql, params=(): calls.append(sql) or real_read(sql, params)  # type: ignore[misc]
    try:
        storage.inclusion_proof(leaf, n)
    finally:
        storage._read = real_read  # type: ignore[misc]
    queries.append(len(calls))
    out = {
        "vendor": connection.vendor,
        "big": n,
        "build_s": build,
        "index_build_s": index_build,
        "inclusion": _ms(incl),
        "consistency": _ms(cons),
        "samples": len(incl),
        "queries_per_inclusion_proof": queries[0],
    }
    if not args.skip_big_verify:
        report = verify_log()
        assert report.ok, report.problems[:3]
        out["verify_per_s"] = report.tree_size / report.seconds
    return out


def part_client(args, db_url: str, var_dir: str) -> dict:
    """One of the concurrent writers: single-entry appends through services.record, as the
    signing service makes them, each returning only once its entry is durable."""
    os.environ["ACCORD_LEDGER_SEQUENCER"] = "socket"
    os.environ["ACCORD_LEDGER_SOCKET"] = str(Path(var_dir) / "sequencer.sock")
    os.environ["DATABASE_URL"] = db_url
    os.environ["ACCORD_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    os.environ.setdefault("ACCORD_ENV", "development")
    os.environ.setdefault("ACCORD_DEBUG", "0")
    import django

    django.setup()
    from accord.ledger import services

    me = args.client_id
    latencies = []
    services.record(
        "test.demo", {"n": me * 1_000_000_000 - 1, "note": "warm-up"}, wait_checkpoint=False
    )
    print("ready", flush=True)
    sys.stdin.readline()  # the parent starts every client at once
    stop_at = time.time() + args.seconds
    i = 0
    while True:
        t = time.perf_counter()
        if time.time() >= stop_at:
            break
        services.record(
            "test.demo", {"n": me * 1_000_000_000 + i, "note": "bench"}, wait_checkpoint=False
        )
        latencies.append(time.perf_counter() - t)
        i += 1
    return {"count": i, "latencies": latencies}


def run_concurrent(args, db_url: str, var_dir: str) -> dict:
    """8 client processes -> the sequencer process, for ``--seconds``; then verify the log."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        ACCORD_VAR_DIR=var_dir,
        ACCORD_ENV="development",
        ACCORD_DEBUG="0",
        DJANGO_SETTINGS_MODULE="accord.settings",
    )
    subprocess.run(
        [sys.executable, "-m", "accord", "migrate", "--verbosity", "0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    sock = Path(var_dir) / "sequencer.sock"
    server = subprocess.Popen(
        [sys.executable, "-m", "accord", "ledger", "sequencer", "--socket", str(sock)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline()  # "listening on ...": ready
        assert "listening" in line, line
        clients = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--part",
                    "client",
                    "--db-url",
                    db_url,
                    "--var-dir",
                    var_dir,
                    "--client-id",
                    str(c + 1),
                    "--seconds",
                    str(args.seconds),
                ],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for c in range(args.clients)
        ]
        for proc in clients:  # every client has imported Django and appended once
            assert proc.stdout.readline().strip() == "ready"
        for proc in clients:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        load = []
        results = []
        for proc in clients:
            out, _ = proc.communicate(timeout=args.seconds + 120)
            if not load:
                load.append(os.getloadavg())
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        server.terminate()
        server.wait(timeout=60)
    total = sum(r["count"] for r in results)
    lat = sorted(x for r in results for x in r["latencies"])
    verify = subprocess.run(
        [sys.executable, "-m", "accord", "ledger", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stderr
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "entries": total,
        "per_s": total / args.seconds,
        "p50_ms": lat[len(lat) // 2] * 1000,
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
        "max_ms": lat[-1] * 1000,
        "load": load[0] if load else os.getloadavg(),
        "verify": verify.stdout.strip(),
    }


# --- driver -------------------------------------------------------------------------------------


def _fresh_database(tmp: str, name: str) -> tuple[str, callable]:
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        return f"sqlite:///{Path(tmp) / (name + '.sqlite3')}", lambda: None
    import psycopg

    server, _, _ = base.rpartition("/")
    dbname = f"accord_ledger_bench_{name}_{uuid.uuid4().hex[:6]}"
    admin = server + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    return f"{server}/{dbname}", drop


def _run_part(part: str, argv: list[str], db_url: str, var_dir: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--part", part, "--db-url", db_url, "--var-dir", var_dir, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"bench part {part} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaves", type=int, default=100_000)
    parser.add_argument("--batch", default="1000,10000", help="batch sizes, comma-separated")
    parser.add_argument("--one-by-one", type=int, default=2000)
    parser.add_argument("--big", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--pymerkle-big", type=int, default=1_000_000)
    parser.add_argument("--pymerkle-samples", type=int, default=20)
    parser.add_argument("--skip-big-verify", action="store_true")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--client-id", type=int, default=0)
    parser.add_argument("--only", default="", help="run only this part: append, concurrent, big")
    parser.add_argument("--part")
    parser.add_argument("--db-url")
    parser.add_argument("--var-dir")
    args = parser.parse_args()

    if args.part:
        fn = {"append": part_append, "big": part_big, "client": part_client}.get(args.part)
        result = (
            part_pymerkle(args, args.var_dir)
            if args.part == "pymerkle"
            else fn(args, args.db_url, args.var_dir)
        )
        print(json.dumps(result))
        return

    passthrough = [a for a in sys.argv[1:]]
    if args.only == "concurrent":
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
            db_c, drop_c = _fresh_database(tmp, "concurrent")
            try:
                print(json.dumps(run_concurrent(args, db_c, tmp)))
            finally:
                drop_c()
        return
    if args.only == "append":
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
            db_a, drop_a = _fresh_database(tmp, "append")
            try:
                print(json.dumps(_run_part("append", passthrough, db_a, tmp)))
            finally:
                drop_a()
        return
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        db_c, drop_c = _fresh_database(tmp, "concurrent")
        try:
            concurrent = run_concurrent(args, db_c, tmp)
        finally:
            drop_c()
        db_a, drop_a = _fresh_database(tmp, "append")
        try:
            append = _run_part("append", passthrough, db_a, tmp)
        finally:
            drop_a()
        pm = _run_part("pymerkle", passthrough, "", tmp)
        db_b, drop_b = _fresh_database(tmp, "big")
        try:
            big = _run_part("big", passthrough, db_b, tmp)
        finally:
            drop_b()
    print(render(args, append, pm, big, concurrent))


def render(args, a: dict, pm: dict, big: dict, c: dict) -> str:
    raw = a["raw_hashlib_per_s"]
    best = max(a["append_batched_per_s"].values())
    batch_rows = [
        f"| Accord ledger, batches of {int(b):,} | {v:,.0f} | {v / raw:.1%} of raw |"
        for b, v in a["append_batched_per_s"].items()
    ]
    lines = [
        "## Evidence ledger",
        "",
        f"`bench/ledger_bench.py` on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, database: **{a['vendor']}** "
        f"({time.strftime('%Y-%m-%d')}).",
        "",
        "### Append throughput (durable: entries + every tile + signed checkpoint, one transaction a batch)",
        "",
        "| what | leaves/s | ratio |",
        "|---|---:|---:|",
        f"| raw `hashlib` leaf hashing of the same {a['leaves']:,} leaves (baseline) | {a['raw_hashlib_per_s']:,.0f} | 1 |",
        *batch_rows,
        f"| pymerkle `SqliteTree.append_entries` (same leaves) | {pm['append_entries_per_s']:,.0f} | "
        f"Accord (best batch) is {best / pm['append_entries_per_s']:.2f}× |",
        f"| Accord ledger, one entry per transaction ({a['one_by_one_count']:,}) | {a['append_one_by_one_per_s']:,.0f} | |",
        f"| pymerkle `SqliteTree.append_entry`, one by one ({a['one_by_one_count']:,}) | {pm['append_entry_per_s']:,.0f} | "
        f"Accord is {a['append_one_by_one_per_s'] / pm['append_entry_per_s']:.2f}× |",
        "",
        "pymerkle stores leaves only (no interior hashes) and signs nothing; both SQLite databases use WAL "
        "with synchronous=NORMAL.",
        "",
        f"### Grouped appends: {c['clients']} client processes, single-entry `services.record`, {c['seconds']:.0f} s",
        "",
        "Each client appends one entry at a time the way the signing service does and waits until it is "
        "durable (committed with its bundle and tiles; checkpoints every 100 ms) before the next; the "
        "sequencer process (`accord ledger sequencer`) groups what arrives while it commits.",
        "",
        "| what | value |",
        "|---|---:|",
        f"| durable entries/s, sustained over {c['seconds']:.0f} s | {c['per_s']:,.0f} |",
        f"| latency to a durable index, median / p99 / max | {c['p50_ms']:.1f} / {c['p99_ms']:.1f} / {c['max_ms']:.0f} ms |",
        f"| load average during the run (1/5/15 min) | {c['load'][0]:.1f} / {c['load'][1]:.1f} / {c['load'][2]:.1f} |",
        f"| `accord ledger verify` afterwards | {c['verify']} |",
        "",
        f"### Proofs at {big['big']:,} leaves ({big['samples']} random samples each)",
        "",
        "| what | median | p95 |",
        "|---|---:|---:|",
        f"| Accord inclusion proof by leaf hash (lookup + tiles), {big['big']:,} leaves | "
        f"{big['inclusion']['median_ms']:.3f} ms | {big['inclusion']['p95_ms']:.3f} ms |",
        f"| Accord consistency proof, {big['big']:,} leaves | {big['consistency']['median_ms']:.3f} ms | "
        f"{big['consistency']['p95_ms']:.3f} ms |",
        f"| pymerkle `SqliteTree.prove_inclusion`, {pm['pm_big']:,} leaves ({args.pymerkle_samples} samples) | "
        f"{pm['pm_inclusion']['median_ms']:.1f} ms | {pm['pm_inclusion']['p95_ms']:.1f} ms |",
        f"| pymerkle `SqliteTree.prove_consistency`, {pm['pm_big']:,} leaves | "
        f"{pm['pm_consistency']['median_ms']:.1f} ms | {pm['pm_consistency']['p95_ms']:.1f} ms |",
        "",
        f"An inclusion proof at {big['big']:,} leaves costs {big['queries_per_inclusion_proof']} SQL queries. "
        f"The {big['big']:,}-leaf log was written with bulk inserts of 102,400 leaves through the same "
        f"`TileAppender` (synthetic 8-byte entries) in {big['build_s']:.0f} s; its look-up index was built "
        f"afterwards in {big['index_build_s']:.0f} s.",
        "",
        "### Full verification (`accord ledger verify`)",
        "",
        "| log | entries/s |",
        "|---|---:|",
        f"| {a['verify_size']:,} entries (appended above, one checkpoint per batch) | {a['verify_per_s']:,.0f} |",
    ]
    if "verify_per_s" in big:
        lines.append(f"| {big['big']:,} entries | {big['verify_per_s']:,.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
