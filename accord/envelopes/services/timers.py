"""Time: expiry at the deadline, daily reminders (at most MAX_REMINDERS per envelope), and the
archive timestamps (PAdES B-LTA) of completed documents and their renewal — run by the periodic
checks and the outbox."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.core import audit
from accord.core.events import publish
from accord.envelopes.models import Envelope, EnvelopeDocument, Party
from accord.envelopes.services.base import MAX_REMINDERS, REMINDER_INTERVAL, locked, payload
from accord.envelopes.services.ending import end
from accord.signing import providers
from accord.signing import services as signing


def expire_due(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    ids = list(
        Envelope.objects.filter(status=Envelope.Status.SENT, deadline__lte=now).values_list(
            "pk", flat=True
        )[:1000]
    )
    for pk in ids:
        with transaction.atomic():
            envelope = locked(Envelope(pk=pk))
            if envelope.status == Envelope.Status.SENT and envelope.deadline <= now:
                end(
                    envelope,
                    Envelope.Status.EXPIRED,
                    "签署期限届满 / deadline passed",
                    "envelope.expired",
                )
                count += 1
    return count


def remind_due(now: dt.datetime | None = None) -> int:
    """Remind parties whose turn it is, at most daily and MAX_REMINDERS times per envelope."""
    now = now or timezone.now()
    due = Envelope.objects.filter(
        status=Envelope.Status.SENT,
        sent_at__lte=now - REMINDER_INTERVAL,
        reminders_sent__lt=MAX_REMINDERS,
    ).filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - REMINDER_INTERVAL))
    count = 0
    for pk in list(due.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            envelope = locked(Envelope(pk=pk))
            envelope.reminders_sent += 1
            envelope.last_reminded_at = now
            envelope.save(update_fields=["reminders_sent", "last_reminded_at", "updated_at"])
            for party in envelope.parties.filter(status=Party.Status.READY):
                publish(
                    "envelope.party_ready",
                    payload(envelope, party=str(party.public_id), role=party.role, reminder=True),
                )
            audit.record(
                "envelopes.envelope.remind",
                envelope,
                changes={"reminders_sent": [envelope.reminders_sent - 1, envelope.reminders_sent]},
            )
            count += 1
    return count


def archive_documents(envelope: Envelope) -> int:
    """Give each document of a completed envelope its archive timestamp (B-LTA), or renew it;
    each archived version is recorded in the evidence ledger like a signature."""
    if envelope.status != Envelope.Status.COMPLETED:
        return 0
    done = 0
    for doc in envelope.documents.all():
        pdf = providers.load_document(doc.current_sha256)
        archived = signing.archive_timestamp(pdf, document_kind=doc.kind)
        digest = providers.store_document(archived.pdf)
        with transaction.atomic():
            updated = EnvelopeDocument.objects.filter(
                pk=doc.pk, current_sha256=doc.current_sha256
            ).update(
                current_sha256=digest,
                size=len(archived.pdf),
                archived_at=timezone.now(),
                archive_renew_after=signing.archive_renew_after(),
            )
            if updated:
                audit.record(
                    "envelopes.document.archive_timestamp",
                    envelope,
                    changes={
                        "document": [None, doc.number],
                        "sha256": [doc.current_sha256, digest],
                    },
                )
                done += 1
    return done


def archive_completed(event) -> None:
    envelope = Envelope.objects.filter(public_id=event.payload["envelope"]).first()
    if envelope is not None and not envelope.documents.filter(archived_at__isnull=False).exists():
        archive_documents(envelope)


def renew_archives_due(today: dt.date | None = None, limit: int = 200) -> int:
    today = today or timezone.localdate()
    ids = (
        EnvelopeDocument.objects.filter(archive_renew_after__lte=today)
        .values_list("envelope_id", flat=True)
        .distinct()[:limit]
    )
    return sum(archive_documents(e) for e in Envelope.objects.filter(pk__in=list(ids)))
