"""Sending a batch at scale: chunks leased to workers, each written in one set-based transaction.

Issue #10 item 5. A started batch is cut into chunks (``BatchChunk``) holding its checked rows,
encrypted, stored once. A task worker leases a chunk (a compare-and-set on ``leased_until`` and
a token, as the core outbox leases deliveries), and then:

1. reads what exists for the chunk's rows in a few queries — the one idempotency lookup
   (``batch:<batch>:<line>``), the people by identity number and phone, their accounts, their
   employments here, their labour contracts here (one contract per worker and start, one
   probation per employer: LCL Art. 19 ¶2);
2. checks every row by the same rules as one envelope (the labour-law checks of
   ``contracts.rules`` with the minimum wage of the start date, the lifecycle fit of an existing
   employment, the person's name and phone, the worker party's phone) — a row that fails is
   reported with its code, article and column, and the others go on;
3. renders the contracts (Typst) and stores the PDFs, outside any transaction;
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
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from accord.contracts import checkup, rules
from accord.contracts.models import LABOUR_CONTRACT_KINDS, TemplateVersion
from accord.contracts.render import render_document
from accord.core import audit
from accord.core.context import Actor, acting_as
from accord.core.crypto import blind_index, decrypt, encrypt, mask_id_number, mask_phone
from accord.core.errors import AccordError, Conflict, InvalidInput, Problem
from accord.core.events import publish_many
from accord.core.models import AuditEntry
from accord.envelopes import drafting, lifecycle, services
from accord.envelopes.models import Batch, BatchChunk, Envelope, EnvelopeDocument, Party
from accord.identity.models import Employment, Enterprise, Person, User
from accord.identity.services import person_index
from accord.identity.validators import clean_id_document
from accord.signing import providers

CHUNK_ROWS = 250  # rows per chunk: one transaction, a few seconds of one worker
PARALLEL_TASKS = 8  # tasks queued when a batch starts; each sends chunks until none is left
_CONTEXT = b"accord-envelope-batch"
MAX_START_AHEAD = timedelta(days=366)  # identity.employment.register_employee's rule
PARTIES = [f"1:{Party.Role.ENTERPRISE}", f"2:{Party.Role.WORKER}"]
OPEN_OR_SIGNED = [Envelope.Status.DRAFT, Envelope.Status.SENT, Envelope.Status.COMPLETED]


def idempotency_key(batch: Batch, line: int) -> str:
    return f"batch:{batch.public_id}:{line}"


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
                plan = _plan(batch, rows)
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


# ---- 1–3: read, check and render (outside the transaction) ---------------------------------------


@dataclass
class _Row:
    line: int
    key: str
    fields: dict[str, Any]
    person: Person
    new_person: bool
    needs_account: bool
    job: Employment | None
    number: str
    values: dict[str, str]
    pdf_sha256: str = ""
    pdf_size: int = 0
    pages: int = 0


@dataclass
class _Plan:
    rows: list[_Row]
    failures: dict[int, list[dict[str, Any]]]
    skipped: int


@dataclass
class _Known:
    """What exists for a chunk's rows, read in a few queries."""

    done: set[str]
    people: dict[str, Person]
    phone_owners: dict[str, int]
    accounts: set[int]
    jobs: dict[int, Employment]
    contract_starts: dict[int, set[str]]
    had_probation: set[int]


def _known(enterprise: Enterprise, rows: list[dict[str, Any]], keys: list[str]) -> _Known:
    # The one idempotency lookup of the chunk (services.find_by_idempotency_key, for many keys).
    done = set(
        Envelope.objects.filter(enterprise=enterprise, idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    indexes = [person_index(r["id_type"], r["id_number"]) for r in rows]
    people = {p.id_number_index: p for p in Person.objects.filter(id_number_index__in=indexes)}
    phones = [blind_index(r["phone"], "phone") for r in rows if r["phone"]]
    phone_owners = dict(
        Person.objects.filter(phone_index__in=phones).values_list("phone_index", "pk")
    )
    ids = [p.pk for p in people.values()]
    accounts = set(User.objects.filter(person_id__in=ids).values_list("person_id", flat=True))
    jobs: dict[int, Employment] = {}
    for job in Employment.objects.filter(
        enterprise=enterprise, person_id__in=ids, end_date__isnull=True
    ).order_by("start_date"):
        jobs[job.person_id] = job  # the latest active one, as register_employee keeps one
    starts: dict[int, set[str]] = {}
    probation: set[int] = set()
    for person_id, status, values in Envelope.objects.filter(
        enterprise=enterprise,
        person_id__in=ids,
        kind__in=LABOUR_CONTRACT_KINDS,
        status__in=OPEN_OR_SIGNED,
    ).values_list("person_id", "status", "values"):
        values = values or {}
        starts.setdefault(person_id, set()).add(str(values.get("term.start_date", ""))[:10])
        # LCL Art. 19 ¶2: one probation per employer and worker, from the platform's records
        # (drafting.legal_problems reads the same: completed labour contracts with a probation).
        if status == Envelope.Status.COMPLETED and values.get("probation.end_date"):
            probation.add(person_id)
    return _Known(done, people, phone_owners, accounts, jobs, starts, probation)


def _name_mismatch() -> Conflict:
    return Conflict(
        "identity.person_name_mismatch",
        "该证件号码已登记在另一姓名下，请核对姓名与证件。",
        "This document number is registered under another name; check both.",
        "name",
    )


def _phone_taken() -> Conflict:
    return Conflict(
        "identity.phone_duplicate",
        "该手机号码已被其他人员使用。",
        "This phone number belongs to another person.",
        "phone",
    )


def _contract_exists(day: str) -> Conflict:
    return Conflict(
        "batch.contract_exists",
        f"该劳动者已有自 {day} 起的劳动合同（签署中或已签署），本行不再发送。",
        f"This worker already has a labour contract from {day} (being signed or signed); "
        "this row is not sent again.",
        "id_number",
    )


class _Checker:
    """The rules one envelope goes through (drafting.create_from_template, services.create_
    envelope, identity's register_employee and create_person), for a chunk's rows at once."""

    def __init__(self, batch: Batch, known: _Known) -> None:
        self.batch = batch
        self.enterprise = batch.enterprise
        self.version: TemplateVersion = batch.template_version
        self.kind = self.version.template.kind
        self.known = known
        self.today = timezone.localdate()
        self._minimum: dict[date, Any] = {}
        self._phones_taken: set[str] = set()

    def minimum_wage(self, day: date):
        # Resolved once per date for the chunk, not once per row.
        if day not in self._minimum:
            self._minimum[day] = checkup.minimum_wage_on(day)
        return self._minimum[day]

    def person_for(self, row: dict[str, Any]) -> tuple[Person, bool]:
        index = person_index(row["id_type"], row["id_number"])
        person = self.known.people.get(index)
        if person is not None:
            if person.name != row["name"]:
                raise _name_mismatch()  # a number known under another name: never merged
            return person, False
        number, birth, gender = clean_id_document(row["id_type"], row["id_number"])
        phone = row["phone"]
        phone_index = blind_index(phone, "phone") if phone else ""
        if phone_index and (
            phone_index in self.known.phone_owners or phone_index in self._phones_taken
        ):
            raise _phone_taken()
        return (
            Person(
                name=row["name"],
                id_type=row["id_type"],
                id_number=number,
                id_number_index=index,
                id_number_masked=mask_id_number(number),
                phone=phone,
                phone_index=phone_index,
                phone_masked=mask_phone(phone) if phone else "",
                birth_date=birth,
                gender=gender or "",
                # The number passed its check digit (or format) test: the lowest level.
                verification_level=Person.Level.CHECKSUM,
            ),
            True,
        )

    def check(self, row: dict[str, Any], key: str) -> _Row:
        fields = dict(row["fields"])
        person, new = self.person_for(row)
        job = None if new else self.known.jobs.get(person.pk)
        start = str(fields.get("start_date") or "")[:10]
        if job is None:
            if date.fromisoformat(start) > self.today + MAX_START_AHEAD:
                raise InvalidInput(
                    "identity.start_date_too_far",
                    "入职日期不能晚于一年之后。",
                    "The start date cannot be more than a year ahead.",
                    "start_date",
                )
        if not new and start in self.known.contract_starts.get(person.pk, ()):
            # One labour contract per worker and start (services.existing_labour_contract).
            raise _contract_exists(start)
        if job is not None:
            lifecycle.require_fits(job, self.kind)  # the step must fit the employment
        fields["had_probation_with_employer"] = (not new) and person.pk in self.known.had_probation
        draft = checkup.parse_draft(fields)
        minimum = self.minimum_wage(max(draft.start_date, self.today))
        problems = [
            Problem(f.code, f.message_zh, f.message_en, f.field, article=f.article)
            for f in rules.check(draft, minimum, today=self.today)
            if f.severity == "error"
        ]
        if problems:
            raise InvalidInput.from_problems(problems, code="contract.unlawful_draft")
        if not person.phone:  # services._check_parties: a signer needs a phone for link and code
            raise InvalidInput(
                "envelope.party_phone_missing",
                "签署人未登记手机号，无法接收签署通知和验证码。",
                "The signer has no phone number for the signing link and code.",
                "phone",
            )
        if new and person.phone_index:
            self._phones_taken.add(person.phone_index)  # a later row may not take it again
        number = services.new_number()
        fields.pop("had_probation_with_employer")
        values = drafting.values_for(
            enterprise=self.enterprise, person=person, fields=fields, draft=draft, number=number
        )
        return _Row(
            line=row["line"],
            key=key,
            fields=fields,
            person=person,
            new_person=new,
            needs_account=new or person.pk not in self.known.accounts,
            job=job,
            number=number,
            values=values,
        )


def _failure(line: int, exc: AccordError) -> list[dict[str, Any]]:
    problems = exc.problems or [Problem(exc.code, exc.message_zh, exc.message_en, exc.field)]
    return [
        {
            "row": line,
            "column": p.column or p.field or exc.field,
            "code": p.code if exc.problems else exc.code,
            "article": p.article,
            "message_zh": p.message_zh,
            "message_en": p.message_en,
            "stage": "send",
        }
        for p in problems
    ]


def _plan(batch: Batch, rows: list[dict[str, Any]]) -> _Plan:
    keys = [idempotency_key(batch, r["line"]) for r in rows]
    known = _known(batch.enterprise, rows, keys)
    checker = _Checker(batch, known)
    planned: list[_Row] = []
    failures: dict[int, list[dict[str, Any]]] = {}
    skipped = 0
    for row, key in zip(rows, keys, strict=True):
        if key in known.done:
            skipped += 1  # sent before: nothing is sent twice
            continue
        try:
            planned.append(checker.check(row, key))
        except AccordError as exc:
            failures[row["line"]] = _failure(row["line"], exc)
    version = batch.template_version
    footer = f"{version.template.name} v{version.number}"
    for r in planned:
        # Our own rendering: its page count comes from Typst's output, with no PDF parsing.
        rendered = render_document(
            version.title, version.sections, r.values, number=r.number, footer=footer
        )
        r.pdf_sha256 = providers.store_document(rendered.pdf)
        r.pdf_size, r.pages = len(rendered.pdf), rendered.pages
    return _Plan(planned, failures, skipped)


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


def _write(batch: Batch, chunk: BatchChunk, plan: _Plan) -> dict[str, int]:
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
        Person.objects.bulk_create(new_people)
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
        User.objects.bulk_create(accounts)

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
        Employment.objects.bulk_create(hires)
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
        Envelope.objects.bulk_create(envelopes)
        EnvelopeDocument.objects.bulk_create(
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
            ]
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
        Party.objects.bulk_create(sealing + signing)
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
