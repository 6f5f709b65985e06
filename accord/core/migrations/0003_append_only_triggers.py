"""On PostgreSQL the database itself refuses UPDATE and DELETE on append-only tables.

TRUNCATE stays possible for the database owner (test flushes, disaster recovery): it is not
an operation the application ever runs."""

from django.db import migrations

TABLES = ["core_auditentry", "core_outboxevent"]

FUNCTION = """
CREATE OR REPLACE FUNCTION accord_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'table %% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION.replace("%%", "%"), params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION accord_refuse_change()",
            params=None,
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}", params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(create, drop)]
