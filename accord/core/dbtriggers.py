"""Append-only tables, refused UPDATE and DELETE by the database itself on PostgreSQL.

Used by the migrations of every app with history that must never change (audit log, outbox,
ledger). SQLite, the embedded default, skips it: there the ORM guard of AppendOnlyModel is the
protection. TRUNCATE, which row triggers do not see, is refused by a statement trigger
(``refuse_truncate``) unless the session says ``SET accord.allow_truncate = 'on'`` — what the
test database does for its flushes and an operator may do, deliberately and in their own
session, in a disaster recovery. The application never runs it.
"""

from __future__ import annotations

from django.db import migrations


def append_only(tables: list[str], function: str, label: str = "table") -> migrations.RunPython:
    """A migration operation creating (and, reversed, dropping) ``<table>_append_only`` triggers."""
    body = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '{label} % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(body, params=None)
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()",
                params=None,
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}", params=None
            )

    return migrations.RunPython(create, drop)


def refuse_truncate(tables: list[str], function: str, label: str = "table") -> migrations.RunPython:
    """A migration operation creating (and, reversed, dropping) ``<table>_no_truncate``."""
    body = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
  IF coalesce(current_setting('accord.allow_truncate', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION '{label} % is append-only: TRUNCATE refused', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(body, params=None)
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
                params=None,
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}", params=None
            )

    return migrations.RunPython(create, drop)
