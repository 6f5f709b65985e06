"""On PostgreSQL the database itself refuses UPDATE and DELETE of the seal usage log.

On SQLite the ORM guard of AppendOnlyModel is the protection.
"""

from django.db import migrations

from accord.core.dbtriggers import append_only


class Migration(migrations.Migration):
    dependencies = [("seals", "0001_initial")]
    operations = [append_only(["seals_sealusage"], "seals_refuse_change", label="seal usage log")]
