"""On PostgreSQL TRUNCATE of the seal usage log is refused too (issue #13)."""

from django.db import migrations

from accord.core.dbtriggers import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("seals", "0003_mediation_agreement_kind"), ("core", "0004_refuse_truncate")]
    operations = [
        refuse_truncate(["seals_sealusage"], "seals_refuse_truncate", label="seal usage log")
    ]
