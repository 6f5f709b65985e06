"""Entries move from one row each into C2SP tlog-tiles entry bundles of 256 (issue #12).

The migration copies every entry, in index order, into bundles (the last one partial), copies
the encrypted disclosures of entries with personal fields as they are, builds the compact
look-up index (one run: one row per hash bucket), and drops the per-entry table. A gap in the
old table stops it (run ``accord ledger verify`` on the old release first). Tiles and
checkpoints are untouched, so every checkpoint and every proof handed out stays valid;
``accord ledger verify`` re-hashes the bundles against them afterwards.

On PostgreSQL the append-only triggers change for tiles and bundles: UPDATE stays refused and
DELETE is allowed only for a partial row whose bytes a wider row of the same tile or bundle
holds as a prefix (tlog-tiles lets a log drop a partial tile once a wider one exists).
The bundle, tile and look-up formats written here are the documented ones (docs/ledger.md).
"""

import hashlib
import json
from collections import defaultdict

import accord.core.crypto
from django.db import migrations, models

from accord.core.dbtriggers import append_only

WIDTH = 256


def _bundle(entries):
    return b"".join(len(e).to_bytes(2, "big") + e for e in entries)


def convert(apps, schema_editor):
    conn = schema_editor.connection
    bundles, disclosures = [], []
    leaf_runs, doc_runs = defaultdict(list), defaultdict(list)
    current, expected = [], 0
    with conn.cursor() as cursor:
        cursor.execute("SELECT idx, data, disclosures FROM ledger_entry ORDER BY idx")
        while True:
            rows = cursor.fetchmany(5000)
            if not rows:
                break
            for idx, data, disclosed in rows:
                if idx != expected:
                    raise RuntimeError(
                        f"ledger_entry has no entry {expected} (next is {idx}): the old log has a "
                        "gap; run `accord ledger verify` on the previous release and repair first"
                    )
                data = bytes(data)
                current.append(data)
                h = hashlib.sha256(b"\x00" + data).digest()
                leaf_runs[int.from_bytes(h[:2], "big")].append((h[:8], idx))
                if b'"document_sha256"' in data:
                    try:
                        doc = bytes.fromhex(json.loads(data)["document_sha256"])
                        doc_runs[int.from_bytes(doc[:2], "big")].append((doc[:8], idx))
                    except (ValueError, KeyError, TypeError):
                        pass
                if disclosed:
                    disclosures.append((idx, disclosed))
                if len(current) == WIDTH:
                    bundles.append((idx // WIDTH, WIDTH, _bundle(current)))
                    current = []
                expected += 1
    if current:
        bundles.append(((expected - 1) // WIDTH, len(current), _bundle(current)))
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO ledger_entrybundle (idx, width, data) VALUES (%s, %s, %s)", bundles
        )
        cursor.executemany(
            "INSERT INTO ledger_entrydisclosure (idx, disclosures) VALUES (%s, %s)", disclosures
        )
        for kind, runs in ((0, leaf_runs), (1, doc_runs)):
            cursor.executemany(
                "INSERT INTO ledger_leafindex (kind, bucket, tier, records) VALUES (%s, %s, 0, %s)",
                [
                    (kind, bucket, b"".join(k + i.to_bytes(6, "big") for k, i in sorted(recs)))
                    for bucket, recs in runs.items()
                ],
            )
        cursor.execute("INSERT INTO ledger_indexstate (indexed_size) VALUES (%s)", [expected])


PARTIAL_ONLY = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.width < 256 AND EXISTS (
      SELECT 1 FROM {table} w WHERE {same} AND w.width > OLD.width
      AND substring(w.{blob} from 1 for octet_length(OLD.{blob})) = OLD.{blob}) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'ledger table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TABLES = {
    "ledger_tile": (
        "ledger_tile_partial_only",
        "w.level = OLD.level AND w.idx = OLD.idx",
        "hashes",
    ),
    "ledger_entrybundle": ("ledger_bundle_partial_only", "w.idx = OLD.idx", "data"),
}


def triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS ledger_tile_append_only ON ledger_tile", params=None
    )
    for table, (function, same, blob) in TABLES.items():
        schema_editor.execute(
            PARTIAL_ONLY.format(function=function, table=table, same=same, blob=blob), params=None
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0006_refuse_truncate"),
    ]

    operations = [
        migrations.CreateModel(
            name="EntryBundle",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("index", models.BigIntegerField(db_column="idx")),
                ("width", models.PositiveSmallIntegerField()),
                ("data", models.BinaryField()),
            ],
            options={
                "verbose_name": "条目包",
            },
        ),
        migrations.CreateModel(
            name="EntryDisclosure",
            fields=[
                (
                    "index",
                    models.BigIntegerField(db_column="idx", primary_key=True, serialize=False),
                ),
                ("disclosures", accord.core.crypto.EncryptedTextField()),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="IndexState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("indexed_size", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="LeafIndex",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.PositiveSmallIntegerField()),
                ("bucket", models.IntegerField()),
                ("tier", models.PositiveSmallIntegerField(default=0)),
                ("records", models.BinaryField()),
            ],
        ),
        migrations.AddConstraint(
            model_name="entrybundle",
            constraint=models.UniqueConstraint(
                fields=("index", "width"), name="ledger_bundle_once"
            ),
        ),
        migrations.AddIndex(
            model_name="leafindex",
            index=models.Index(fields=["kind", "bucket"], name="ledger_leafindex_bucket"),
        ),
        migrations.RunPython(convert, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="Entry",
        ),
        migrations.RunPython(triggers, migrations.RunPython.noop),
        append_only(["ledger_entrydisclosure"], "ledger_refuse_change", label="ledger table"),
    ]
