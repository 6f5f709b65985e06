"""The gaps in the append-only record (issue #13): TRUNCATE passed the row triggers, and the
daily audit digest left out the actor's label (a token's prefix), address and user agent."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accord.core import audit
from accord.core.context import Actor, reset_actor, set_actor
from accord.core.models import AuditEntry
from accord.ledger import services as ledger

pytestmark = pytest.mark.django_db
APPEND_ONLY = [
    "core_auditentry",
    "core_outboxevent",
    "ledger_entrybundle",
    "ledger_entrydisclosure",
    "ledger_tile",
    "ledger_checkpoint",
    "ledger_cosignature",
    "ledger_logkey",
    "seals_sealusage",
]


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_truncate_of_an_append_only_table_is_refused_by_postgresql(table):
    if connection.vendor != "postgresql":
        pytest.skip("the database triggers are PostgreSQL's (SQLite: the ORM guard)")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL accord.allow_truncate = 'off'")
        with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic():
            cursor.execute(f"TRUNCATE {table} CASCADE")


def _entry_by(label: str, ip: str, agent: str) -> AuditEntry:
    token = set_actor(Actor(label=label, role="hr", ip=ip, user_agent=agent, request_id="r1"))
    try:
        return audit.record("identity.thing.changed", object_type="thing", object_id="1")
    finally:
        reset_actor(token)


@pytest.mark.parametrize(
    "column,value",
    [("actor_label", "acc_other"), ("ip", "10.9.9.9"), ("user_agent", "forged/1.0")],
)
def test_editing_who_did_it_changes_the_audit_digest(column, value):
    entry = _entry_by("acc_1a2b3c", "203.0.113.7", "HR-System/2.1")
    day = timezone.localtime(entry.at).date()
    before = ledger.audit_digest(day)["digest_sha256"]
    before_13 = ledger.audit_digest(day, ledger.DIGEST_FIELDS_BEFORE_13)["digest_sha256"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
        cursor.execute(f"UPDATE core_auditentry SET {column} = %s WHERE id = %s", [value, entry.pk])  # noqa: S608
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER USER")
    assert ledger.audit_digest(day)["digest_sha256"] != before
    # The digest of the fields before issue 13 did not see the edit: the gap this closes.
    assert ledger.audit_digest(day, ledger.DIGEST_FIELDS_BEFORE_13)["digest_sha256"] == before_13
