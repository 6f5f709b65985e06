"""TRUNCATE of the entry bundles and their disclosures is refused too (issue #13; the per-entry
table that 0006 guarded is gone since 0007)."""

from django.db import migrations

from accord.core.dbtriggers import refuse_truncate

TABLES = ["ledger_entrybundle", "ledger_entrydisclosure"]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_entry_bundles")]
    operations = [refuse_truncate(TABLES, "ledger_bundles_refuse_truncate", label="ledger table")]
