"""The ledger's periodic work: yesterday's audit digest is recorded once."""

import pytest

from accord.core.models import AuditEntry
from accord.ledger import storage
from accord.ledger.tasks import record_yesterdays_audit_digest
from tests.ledger import helpers

pytestmark = pytest.mark.django_db


def test_daily_audit_digest_is_recorded_once():
    first = record_yesterdays_audit_digest.call()
    assert first >= 0 and storage.get_entry(first).kind == "audit.daily_digest"
    assert record_yesterdays_audit_digest.call() == -1
    assert helpers.entry_kinds().count("audit.daily_digest") == 1
    assert AuditEntry.objects.filter(action="ledger.audit_digest").count() == 1
