"""On PostgreSQL the database itself refuses UPDATE and DELETE of ledger history.

On SQLite the ORM guard of AppendOnlyModel and ``accord ledger verify`` are the protection.
"""

from django.db import migrations

from accord.core.dbtriggers import append_only

TABLES = ["ledger_entry", "ledger_tile", "ledger_checkpoint", "ledger_cosignature", "ledger_logkey"]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [append_only(TABLES, "ledger_refuse_change", label="ledger table")]
