"""Service functions other apps call: the audit log's daily digest."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accord.core.models import AuditEntry
from accord.ledger import services, storage

pytestmark = pytest.mark.django_db


def test_daily_audit_digest_is_recorded_and_detects_an_edit(capsys):
    for i in range(3):
        AuditEntry.objects.create(action=f"test.action{i}", object_type="x", object_id=str(i))
    today = timezone.localdate()
    fields = services.audit_digest(today)
    assert fields["entry_count"] == 3
    call_command("ledger", "audit-digest", "--day", today.isoformat())
    assert "recorded as entry 0" in capsys.readouterr().out
    body = json.loads(storage.get_entry(0).data)
    assert body["type"] == "audit.daily_digest" and body["digest_sha256"] == fields["digest_sha256"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only"
            )
        cursor.execute("UPDATE core_auditentry SET action = 'forged' WHERE object_id = '1'")
    assert services.audit_digest(today)["digest_sha256"] != body["digest_sha256"]
