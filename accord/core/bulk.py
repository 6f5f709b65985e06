"""Many new rows of one model in one statement: PostgreSQL's COPY, else ``bulk_create``.

``bulk_create`` on PostgreSQL builds one INSERT with a placeholder per value, which Django
compiles and psycopg re-parses on the client: for a batch chunk (thousands of audit entries,
envelopes, parties) that cost more than the database's own work. COPY streams the same values,
prepared by each field exactly as ``bulk_create`` prepares them (``pre_save``,
``get_db_prep_save``: timestamps, JSON, encrypted personal data), so the rows are the same.
Primary keys are drawn from the table's sequence first, so the objects have their ids, as
after ``bulk_create`` (their dependants' foreign keys point at them).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)


def insert(model: type[M], objs: Sequence[M]) -> Sequence[M]:
    """Insert ``objs`` (new, unsaved) and give them their primary keys."""
    if not objs:
        return objs
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    pk = meta.pk
    if connection.vendor != "postgresql" or not isinstance(
        pk, models.AutoField | models.BigAutoField
    ):
        return model.objects.using(alias).bulk_create(objs, batch_size=2000)
    table = meta.db_table
    fields = [f for f in meta.concrete_fields if not getattr(f, "generated", False)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objs)],
        )
        for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, value)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        statement = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        # Django's error classes (IntegrityError …), as for any statement through Django.
        began = time.monotonic()
        with connection.wrap_database_errors, raw.copy(statement) as copy:
            for obj in objs:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )
        if connection.queries_logged:  # seen by query counts, as any statement through Django
            connection.queries_log.append(
                {
                    "sql": f"{statement} -- {len(objs)} rows",
                    "time": f"{time.monotonic() - began:.3f}",
                }
            )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
    return objs
