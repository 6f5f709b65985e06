"""The ledger's periodic work: yesterday's audit digest is recorded once."""

import pytest

from accord.core.models import AuditEntry
from accord.ledger.models import Entry
from accord.ledger.tasks import record_yesterdays_audit_digest

pytestmark = pytest.mark.django_db


def test_daily_audit_digest_is_recorded_once():
    first = record_yesterdays_audit_digest.call()
    assert first >= 0 and Entry.objects.get(index=first).kind == "audit.daily_digest"
    assert record_yesterdays_audit_digest.call() == -1
    assert Entry.objects.filter(kind="audit.daily_digest").count() == 1
    assert AuditEntry.objects.filter(action="ledger.audit_digest").count() == 1
