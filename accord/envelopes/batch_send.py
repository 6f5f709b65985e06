"""Sending a batch at scale: chunks leased to workers, each written in one set-based transaction.

Issue #10 item 5. A started batch is cut into chunks (``BatchChunk``) holding its checked rows,
encrypted, stored once. A task worker leases a chunk (a compare-and-set on ``leased_until`` and
a token, as the core outbox leases deliveries), and then:

1. reads what exists for the chunk's rows in a few queries (batch_plan.py) — the one
   idempotency lookup (``batch:<batch>:<line>``), the people by identity number and phone,
   their accounts, their employments here, their labour contracts here (one contract per
   worker and start, one probation per employer: LCL Art. 19 ¶2);
2. checks every row by the same rules as one envelope (the labour-law checks of
   ``contracts.rules`` with the minimum wage of the start date, the lifecycle fit of an existing
   employment, the person's name and phone, the worker party's phone) — a row that fails is
   reported with its code, article and column, and the others go on;
3. renders the contracts and stores the PDFs, outside any transaction: the chunk's documents
   with contracts.render.render_document, the same call as one envelope sent alone (grouped
   compilation was measured and not kept: docs/decisions/0006-batch-rendering.md);
4. writes, in one transaction and a few inserts, the new people, their accounts and
   employments, the envelopes already sent, their documents and parties in their final state,
   every audit entry (the same entries as the single path: person, account, employment,
   envelope created and sent, enterprise party ready) and the outbox events, and marks the
   chunk done — only while the lease is still its own. A chunk is sent whole or not at all.

A worker killed mid-chunk leaves nothing: its transaction is rolled back, its lease runs out,
and the next worker that looks for work takes the chunk up again. The unique idempotency key
keeps any row from being sent twice even when two workers race on the same chunk.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from accord.contracts.render import render_document
from accord.core import audit, bulk
from accord.core.context import Actor, acting_as
from accord.core.crypto import decrypt, encrypt
from accord.core.events import publish_many
from accord.core.models import AuditEntry
from accord.envelopes import batch_plan
from accord.envelopes.models import Batch, BatchChunk, Envelope, EnvelopeDocument, Party
from accord.identity.models import Employment, Enterprise, Person, User
from accord.signing import providers

CHUNK_ROWS = 250  # rows per chunk: one transaction, a few seconds of one worker
PARALLEL_TASKS = 8  # tasks queued when a batch starts; each sends chunks until none is left
_CONTEXT = b"accord-envelope-batch"
PARTIES = [f"1:{Party.Role.ENTERPRISE}", f"2:{Party.Role.WORKER}"]
idempotency_key = batch_plan.idempotency_key


# ---- chunks: made when the batch starts ----------------------------------------------------------


def chunk_bounds(total: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def make_chunks(batch: Batch, rows: list[dict[str, Any]], size: int | None = None) -> int:
    """Cut the checked rows into chunks, each chunk's rows encrypted once (they carry identity
    numbers and phones). Called in the transaction that starts the batch."""
    BatchChunk.objects.filter(batch=batch).delete()
    chunks = [
        BatchChunk(
            batch=batch,
            index=i,
            first=first,
            last=last,
            rows=encrypt(json.dumps(rows[first:last], ensure_ascii=False), _CONTEXT),
        )
        for i, (first, last) in enumerate(chunk_bounds(len(rows), size or CHUNK_ROWS))
    ]
    BatchChunk.objects.bulk_create(chunks)
    return len(chunks)


def chunk_rows(chunk: BatchChunk) -> list[dict[str, Any]]:
    return json.loads(decrypt(chunk.rows, _CONTEXT))


def load_rows(batch: Batch) -> list[dict[str, Any]]:
    """Every checked row of the batch, in order (for tests and the benchmark)."""
    rows: list[dict[str, Any]] = []
    for chunk in BatchChunk.objects.filter(batch=batch).order_by("index"):
        rows.extend(chunk_rows(chunk))
    return rows


# ---- leases --------------------------------------------------------------------------------------


def _claimable(batch_pk: int, now) -> Q:
    return Q(batch_id=batch_pk, status=BatchChunk.Status.PENDING) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def claim(batch_pk: int) -> BatchChunk | None:
    """Lease the next chunk nobody holds (never leased, or its lease ran out: its worker died)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.ACCORD_BATCH_LEASE_SECONDS)
    token = secrets.token_hex(16)
    candidates = (
        BatchChunk.objects.filter(_claimable(batch_pk, now))
        .order_by("index")
        .values_list("id", flat=True)[:8]
    )
    for chunk_id in list(candidates):
        # Only one worker wins each chunk: the update re-checks the lease.
        if (
            BatchChunk.objects.filter(_claimable(batch_pk, now), id=chunk_id).update(
                leased_until=lease, lease_token=token, attempts=F("attempts") + 1
            )
            == 1
        ):
            return BatchChunk.objects.get(id=chunk_id)
    return None


def claimable_now(batch: Batch) -> bool:
    return BatchChunk.objects.filter(_claimable(batch.pk, timezone.now())).exists()


def stalled(batch: Batch) -> bool:
    """A chunk not sent whose lease ran out: its worker died (or the batch was interrupted)."""
    return BatchChunk.objects.filter(
        batch=batch, status=BatchChunk.Status.PENDING, leased_until__lt=timezone.now()
    ).exists()


def _release(chunk: BatchChunk) -> None:
    BatchChunk.objects.filter(
        pk=chunk.pk, status=BatchChunk.Status.PENDING, lease_token=chunk.lease_token
    ).update(leased_until=None, lease_token="")


class LeaseLost(Exception):
    """Another worker took the chunk over (our lease ran out) or finished it."""


# ---- the work of a task ------------------------------------------------------------------------


def work(batch_pk: int, *, follow_up: Callable[[int, Any], None] | None = None) -> dict[str, int]:
    """Send chunks of the batch until none is left to lease. When chunks remain that other
    workers hold, ``follow_up(batch_pk, when)`` is asked to look again when their leases run
    out (a task deferred to then): if such a worker died, its chunk is taken up then."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    while (chunk := claim(batch_pk)) is not None:
        for k, v in run_chunk(chunk).items():
            counts[k] += v
    if follow_up is not None:
        _watch(batch_pk, follow_up)
    return counts


def _watch(batch_pk: int, follow_up: Callable[[int, Any], None]) -> None:
    now = timezone.now()
    held = BatchChunk.objects.filter(batch_id=batch_pk, status=BatchChunk.Status.PENDING).aggregate(
        until=Min("leased_until")
    )["until"]
    if held is None:
        return  # nothing pending (or nothing leased: the queued tasks will take it)
    when = max(held, now) + timedelta(seconds=1)
    # One follow-up per lease period, however many tasks find the chunks held.
    asked = (
        Batch.objects.filter(pk=batch_pk, status__in=[Batch.Status.QUEUED, Batch.Status.SENDING])
        .filter(Q(watch_until__isnull=True) | Q(watch_until__lt=now))
        .update(watch_until=when)
    )
    if asked:
        follow_up(batch_pk, when)


def _actor(batch: Batch) -> Actor:
    user = batch.created_by
    if user is None:
        return Actor(label="batch", role="system", request_id=f"batch:{batch.public_id}")
    return Actor(
        user_id=user.pk,
        label=user.get_username(),
        role=getattr(user, "primary_role", "") or "",
        request_id=f"batch:{batch.public_id}",
    )


def run_chunk(chunk: BatchChunk) -> dict[str, int]:
    """Check, render and write one leased chunk (see the module docstring)."""
    batch = Batch.objects.select_related(
        "enterprise__street", "enterprise__industry", "template_version__template", "created_by"
    ).get(pk=chunk.batch_id)
    if batch.status not in (Batch.Status.QUEUED, Batch.Status.SENDING):
        _release(chunk)
        return {"sent": 0, "failed": 0, "skipped": chunk.last - chunk.first}
    rows = chunk_rows(chunk)
    with acting_as(_actor(batch)):
        try:
            for attempt in range(3):
                plan = batch_plan.plan(batch, rows)
                render(batch, plan)
                try:
                    return _write(batch, chunk, plan)
                except IntegrityError:
                    # Another worker wrote some of these people or rows meanwhile (a lease that
                    # ran out under a slow worker, another batch with the same person): plan
                    # again from what is there now; the idempotency lookup skips what is sent.
                    if attempt == 2:
                        raise
        except LeaseLost:
            return {"sent": 0, "failed": 0, "skipped": len(rows)}
        except Exception as exc:
            _release(chunk)
            mark_failed(batch, exc)
            raise
    raise AssertionError("unreachable")


def mark_failed(batch: Batch, exc: BaseException) -> None:
    """An unexpected error stopped a chunk: the batch is failed until HR starts it again
    (which resumes: chunks already sent stay sent)."""
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status in (Batch.Status.DONE, Batch.Status.FAILED):
            return
        before = locked.status
        locked.status = Batch.Status.FAILED
        locked.save(update_fields=["status", "updated_at"])
        audit.record(
            "envelopes.batch.failed",
            locked,
            changes={"status": [before, "failed"], "error": [None, type(exc).__name__]},
        )


# ---- 3: render, outside any transaction ---------------------------------------------------------


def render(batch: Batch, plan: batch_plan.Plan) -> None:
    """The planned rows' contracts, rendered and stored under their digests; the page count
    comes from the layout, with no PDF parsing."""
    version = batch.template_version
    footer = f"{version.template.name} v{version.number}"
    for r in plan.rows:
        rendered = render_document(
            version.title, version.sections, r.values, number=r.number, footer=footer
        )
        r.pdf_sha256 = providers.store_document(rendered.pdf)
        r.pdf_size, r.pages = len(rendered.pdf), rendered.pages


# ---- 4: write the chunk in one transaction --------------------------------------------------------


def _employment_payload(job: Employment, enterprise: Enterprise) -> dict[str, Any]:
    # The payload of identity.employment.started (identity.employment._event_payload).
    return {
        "employment": str(job.public_id),
        "enterprise": str(enterprise.public_id),
        "street": enterprise.street.code,
        "industry": enterprise.industry.code,
        "section": enterprise.industry.section,
        "start_date": job.start_date.isoformat(),
    }


def _envelope_payload(envelope: Envelope, enterprise: Enterprise) -> dict[str, Any]:
    # The payload of envelope.sent (services._payload).
    return {
        "envelope": str(envelope.public_id),
        "number": envelope.number,
        "enterprise": str(enterprise.public_id),
        "street": enterprise.street.code,
        "industry": enterprise.industry.code,
        "kind": envelope.kind,
        "status": envelope.status,
    }


def _write(batch: Batch, chunk: BatchChunk, plan: batch_plan.Plan) -> dict[str, int]:
    enterprise = batch.enterprise
    version = batch.template_version
    kind = version.template.kind
    entries: list[AuditEntry] = []
    with transaction.atomic():
        mine = (
            BatchChunk.objects.select_for_update()
            .filter(pk=chunk.pk, status=BatchChunk.Status.PENDING, lease_token=chunk.lease_token)
            .exists()
        )
        if not mine:
            raise LeaseLost()
        now = timezone.now()
        rows = plan.rows

        new_people = [r.person for r in rows if r.new_person]
        bulk.insert(Person, new_people)
        for person in new_people:
            entries.append(
                audit.entry_for(
                    "identity.person.create",
                    person,
                    changes={
                        "name": [None, person.name],
                        "id_number": ["***", "***"],
                        "id_type": [None, person.id_type],
                    },
                )
            )

        accounts = []
        for r in rows:
            if r.needs_account and r.person.phone:
                user = User(
                    username=f"w-{uuid.uuid4().hex[:12]}",
                    person=r.person,
                    password=make_password(None),
                    public_id=uuid.uuid4(),
                )
                accounts.append(user)
                entries.append(
                    audit.entry_for("identity.worker_account.create", r.person, label=r.person.name)
                )
        bulk.insert(User, accounts)

        hires = []
        for r in rows:
            if r.job is None:
                r.job = Employment(
                    person=r.person,
                    enterprise=enterprise,
                    position=str(r.fields.get("job_title") or "").strip()[:100],
                    start_date=date.fromisoformat(str(r.fields["start_date"])[:10]),
                )
                hires.append(r.job)
        bulk.insert(Employment, hires)
        for job in hires:
            entries.append(
                audit.entry_for(
                    "identity.employment.start",
                    job,
                    enterprise_id=enterprise.pk,
                    label=f"{job.person.name} @ {enterprise.name}",
                    changes={
                        "position": [None, job.position],
                        "start_date": [None, job.start_date.isoformat()],
                    },
                )
            )

        deadline = now + timedelta(days=batch.deadline_days)
        envelopes = [
            Envelope(
                enterprise=enterprise,
                person=r.person,
                employment=r.job,
                number=r.number,
                title=f"{version.title}（{r.person.name}）"[:200],
                kind=kind,
                status=Envelope.Status.SENT,
                template_version=version,
                values={
                    k: v
                    for k, v in r.values.items()
                    if k not in ("worker.id_number", "worker.phone")
                },
                created_by=batch.created_by,
                deadline=deadline,
                sent_at=now,
                idempotency_key=r.key,
                batch=batch,
            )
            for r in rows
        ]
        bulk.insert(Envelope, envelopes)
        bulk.insert(
            EnvelopeDocument,
            [
                EnvelopeDocument(
                    envelope=envelope,
                    position=1,
                    name=version.title[:200],
                    kind=kind,
                    original_sha256=r.pdf_sha256,
                    current_sha256=r.pdf_sha256,
                    pages=r.pages,
                    size=r.pdf_size,
                )
                for envelope, r in zip(envelopes, rows, strict=True)
            ],
        )
        # The enterprise seals first (ready, sealed from the batch page: no notice per
        # envelope); the worker waits for the seal.
        sealing = [
            Party(
                envelope=envelope,
                order=1,
                role=Party.Role.ENTERPRISE,
                status=Party.Status.READY,
                notified_at=now,
            )
            for envelope in envelopes
        ]
        signing = [
            Party(envelope=envelope, order=2, role=Party.Role.WORKER, person=envelope.person)
            for envelope in envelopes
        ]
        bulk.insert(Party, sealing + signing)
        for envelope, party in zip(envelopes, sealing, strict=True):
            entries += [
                audit.entry_for(
                    "envelopes.envelope.create",
                    envelope,
                    changes={
                        "status": [None, Envelope.Status.DRAFT],
                        "kind": [None, kind],
                        "documents": [None, 1],
                        "parties": [None, PARTIES],
                    },
                ),
                audit.entry_for(
                    "envelopes.envelope.send",
                    envelope,
                    changes={
                        "status": [Envelope.Status.DRAFT, Envelope.Status.SENT],
                        "deadline": [None, deadline.isoformat()],
                    },
                ),
                audit.entry_for(
                    "envelopes.party.ready",
                    party,
                    enterprise_id=enterprise.pk,
                    changes={"status": [Party.Status.WAITING, Party.Status.READY]},
                ),
            ]
        audit.record_many(entries)
        publish_many(
            "identity.employment.started", [_employment_payload(j, enterprise) for j in hires]
        )
        publish_many("envelope.sent", [_envelope_payload(e, enterprise) for e in envelopes])

        BatchChunk.objects.filter(pk=chunk.pk).update(
            status=BatchChunk.Status.DONE,
            sent=len(rows) + plan.skipped,
            failed=len(plan.failures),
            finished_at=now,
            leased_until=None,
        )
        _record_progress(batch, chunk, plan.failures)
    return {"sent": len(rows), "failed": len(plan.failures), "skipped": plan.skipped}


def _record_progress(
    batch: Batch, chunk: BatchChunk, failures: dict[int, list[dict[str, Any]]]
) -> None:
    """The batch's counters from the truth (its envelopes, its failed rows), in the chunk's
    transaction; the last chunk to finish marks the batch done."""
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    kept = [
        p for p in locked.problems if not (p.get("stage") == "send" and p.get("row") in failures)
    ]
    for problems in failures.values():
        kept.extend(problems)
    locked.problems = kept
    locked.failed = len({p["row"] for p in kept if p.get("stage") == "send"})
    locked.sent = Envelope.objects.filter(batch=locked).count()
    fields = ["problems", "failed", "sent", "updated_at"]
    if locked.status == Batch.Status.QUEUED:
        locked.status = Batch.Status.SENDING
        fields.append("status")
    if (
        locked.status == Batch.Status.SENDING
        and not BatchChunk.objects.filter(batch=locked, status=BatchChunk.Status.PENDING)
        .exclude(pk=chunk.pk)
        .exists()
    ):
        locked.status = Batch.Status.DONE
        locked.finished_at = timezone.now()
        fields += ["status", "finished_at"]
        audit.record(
            "envelopes.batch.done",
            locked,
            changes={
                "status": ["sending", "done"],
                "sent": [None, locked.sent],
                "failed": [None, locked.failed],
            },
        )
    locked.save(update_fields=fields)
