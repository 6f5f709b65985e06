"""Look entries up by an 8-byte integer key instead of indexing the 32-byte leaf hash.

Existing rows get their key computed here. On PostgreSQL the append-only trigger is switched
off for this one UPDATE (as the table owner, inside the migration's transaction) and back on:
the key is derived from the stored hash, so no history changes.
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx, leaf_hash FROM ledger_entry WHERE leaf_key IS NULL")
        rows = [(int.from_bytes(bytes(h)[:8], "big", signed=True), i) for i, h in cursor.fetchall()]
        if not rows:
            return
        if pg:
            cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_append_only")
        cursor.executemany("UPDATE ledger_entry SET leaf_key = %s WHERE idx = %s", rows)
        if pg:
            cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_append_only")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_tile_interior")]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="leaf_key",
            field=models.BigIntegerField(db_index=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="entry",
            name="leaf_hash",
            field=models.BinaryField(max_length=32),
        ),
    ]
