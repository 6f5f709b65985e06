"""On PostgreSQL the database itself refuses UPDATE and DELETE of the audit log and the outbox."""

from django.db import migrations

from accord.core.dbtriggers import append_only


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [append_only(["core_auditentry", "core_outboxevent"], "accord_refuse_change")]
