import pytest
from django.db import DatabaseError, connection, transaction

from accord.core import audit
from accord.core.context import Actor, acting_as
from accord.core.models import AppendOnlyError, AuditEntry

pytestmark = pytest.mark.django_db


def test_entry_records_actor_ip_user_agent_and_changes(make_enterprise):
    with acting_as(
        Actor(user_id=42, label="bureau", role="bureau_officer", ip="10.1.2.3", user_agent="UA/1")
    ):
        enterprise = make_enterprise(name="审计测试有限公司")
    entry = AuditEntry.objects.get(action="identity.enterprise.create")
    assert (entry.actor_id, entry.actor_label, entry.role) == (42, "bureau", "bureau_officer")
    assert (entry.ip, entry.user_agent) == ("10.1.2.3", "UA/1")
    assert entry.object_id == str(enterprise.public_id)
    assert entry.changes["name"] == [None, "审计测试有限公司"]


def test_personal_fields_never_enter_the_log_in_clear():
    changes = audit.diff({"id_number": "440304199001011234"}, {"id_number": "440304199001015678"})
    assert changes == {"id_number": ["***", "***"]}


def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    entry = audit.record("test.action", None, object_type="x", object_id="1")
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL (CI)"
)
def test_database_refuses_update_and_delete_of_audit_rows_on_postgresql():
    audit.record("test.action", None, object_type="x", object_id="1")
    for sql in ("UPDATE core_auditentry SET action = 'tampered'", "DELETE FROM core_auditentry"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute(sql)
    assert AuditEntry.objects.filter(action="test.action").count() == 1
