"""Background tasks of the ledger (DEP 14 task API). The operator's scheduler enqueues them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from accord.core import audit, schedule
from accord.core.models import AuditEntry


@task()
def cosign_latest() -> list[str]:
    """Ask every witness to cosign the latest checkpoint; returns the witnesses that refused."""
    from accord.ledger.checkpoints import collect_cosignatures

    return [o.witness for o in collect_cosignatures() if not o.ok]


@task()
def record_yesterdays_audit_digest() -> int:
    """Append yesterday's (Asia/Shanghai) audit-log digest once; returns the entry index (-1 when
    it was recorded before)."""
    from django.db import transaction

    from accord.ledger.services import record_audit_digest

    day = timezone.localdate() - timedelta(days=1)
    if AuditEntry.objects.filter(action="ledger.audit_digest", object_id=day.isoformat()).exists():
        return -1
    entry = record_audit_digest(day)
    with transaction.atomic():
        audit.record(
            "ledger.audit_digest",
            None,
            object_type="ledger.entry",
            object_id=day.isoformat(),
            label=f"ledger entry {entry.index}",
            changes={"index": [None, entry.index]},
        )
    return entry.index


def register_periodic_checks() -> None:
    """What `accord serve` checks: a checkpoint some active witness has not cosigned (every
    minute), and yesterday's audit digest not yet in the ledger (every ten minutes)."""

    @schedule.every(60, "ledger.cosign")
    def cosign_check() -> None:
        from accord.ledger.models import Checkpoint, Witness

        latest = Checkpoint.objects.order_by("-tree_size").first()
        if latest is None:
            return
        active = set(Witness.objects.filter(active=True).values_list("name", flat=True))
        if active - set(latest.cosignatures.values_list("witness_name", flat=True)):
            cosign_latest.enqueue()

    @schedule.every(600, "ledger.audit_digest")
    def digest_check() -> None:
        day = (timezone.localdate() - timedelta(days=1)).isoformat()
        if not AuditEntry.objects.filter(action="ledger.audit_digest", object_id=day).exists():
            record_yesterdays_audit_digest.enqueue()
