"""On PostgreSQL TRUNCATE of ledger history is refused too (issue #13)."""

from django.db import migrations

from accord.core.dbtriggers import refuse_truncate

TABLES = ["ledger_entry", "ledger_tile", "ledger_checkpoint", "ledger_cosignature", "ledger_logkey"]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_entry_leaf_key"), ("core", "0004_refuse_truncate")]
    operations = [refuse_truncate(TABLES, "ledger_refuse_truncate", label="ledger table")]
