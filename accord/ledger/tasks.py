"""Background tasks of the ledger (DEP 14 task API). The operator's scheduler enqueues them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task


@task()
def cosign_latest() -> list[str]:
    """Ask every witness to cosign the latest checkpoint; returns the witnesses that refused."""
    from accord.ledger.checkpoints import collect_cosignatures

    return [o.witness for o in collect_cosignatures() if not o.ok]


@task()
def record_yesterdays_audit_digest() -> int:
    """Append yesterday's (Asia/Shanghai) audit-log digest; returns the entry index."""
    from accord.ledger.services import record_audit_digest

    return record_audit_digest(timezone.localdate() - timedelta(days=1)).index
