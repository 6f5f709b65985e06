"""On PostgreSQL TRUNCATE of the audit log and the outbox is refused too (issue #13)."""

from django.db import migrations

from accord.core.dbtriggers import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("core", "0003_append_only_triggers")]
    operations = [
        refuse_truncate(["core_auditentry", "core_outboxevent"], "accord_refuse_truncate")
    ]
