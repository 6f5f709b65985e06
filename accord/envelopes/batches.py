"""Batch sending: a spreadsheet of workers, one labour contract envelope each, by the task worker.

Issue #6 item 6. The rules:

- Every row is checked before anything is sent (contracts/batch.py: identity numbers, dates,
  the labour-law checks of a single draft, LCL Art. 10, 17, 19, 20 …); each problem is kept
  with its row, column, code and article. A file with a bad row sends nothing unless HR chose
  to skip bad rows.
- The same file with the same template version is the same batch (``file_sha256`` unique per
  enterprise and version): uploading it again creates nothing and sends nothing twice.
- Sending runs in the task worker, in chunks (several tasks, so that several worker processes
  share a large file). Each row is one transaction — the person, the employment and the sent
  envelope are whole or absent — and carries the idempotency key ``batch:<batch>:<row>``, so a
  crashed or restarted task continues where it stopped and never sends a row twice.
- The uploaded file and the checked rows carry identity numbers and phones: they are stored
  encrypted (AES-GCM, ``core.crypto``), never in clear, and never in the task queue's arguments.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.contracts import batch as sheet
from accord.contracts.models import LABOUR_CONTRACT_KINDS, DocumentKind, TemplateVersion
from accord.core import audit
from accord.core.context import Actor, acting_as
from accord.core.crypto import decrypt, encrypt
from accord.core.errors import AccordError, Conflict, InvalidInput, NotFound, Problem
from accord.envelopes import drafting
from accord.envelopes.models import Batch, Envelope, Party
from accord.identity import employment as employments
from accord.identity.models import Employment, Enterprise, Person
from accord.identity.services import person_index

LCL_12 = "《劳动合同法》第十二条"
CHUNK_ROWS = 250  # rows per task: small enough for two workers to share a file evenly
GROUP_ROWS = 25  # rows per transaction inside a chunk (each row its own savepoint)
PROGRESS_EVERY = 1.0  # seconds between progress writes while a chunk runs
MAX_DEADLINE_DAYS = 60
TERM_OF_KIND = {
    DocumentKind.LABOUR_FIXED: "fixed",
    DocumentKind.LABOUR_OPEN_ENDED: "open_ended",
    DocumentKind.LABOUR_TASK: "task",
    DocumentKind.LABOUR_PART_TIME: "part_time",
}
_CONTEXT = b"accord-envelope-batch"


# ---- the stored file and rows (encrypted at rest) -------------------------------------------


def _file_path(digest: str) -> str:
    return f"envelopes/batches/{digest[:2]}/{digest}.xlsx.enc"


def _rows_path(batch: Batch) -> str:
    return f"envelopes/batches/rows/{batch.public_id}.json.enc"


def _put(path: str, data: bytes) -> None:
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(encrypt(base64.b64encode(data).decode(), _CONTEXT)))


def _get(path: str) -> bytes:
    if not default_storage.exists(path):
        raise NotFound("batch.file_missing")
    with default_storage.open(path, "rb") as f:
        return base64.b64decode(decrypt(f.read().decode(), _CONTEXT))


def store_file(data: bytes) -> str:
    """Keep the uploaded spreadsheet under its SHA-256 (idempotent), encrypted."""
    digest = hashlib.sha256(data).hexdigest()
    if not default_storage.exists(_file_path(digest)):
        _put(_file_path(digest), data)
    return digest


def load_file(batch: Batch) -> bytes:
    data = _get(_file_path(batch.file_sha256))
    if hashlib.sha256(data).hexdigest() != batch.file_sha256:
        raise Conflict("batch.file_corrupt", "存储的表格已损坏。", "The stored file is damaged.")
    return data


def _row_dict(row: sheet.BatchRow) -> dict[str, Any]:
    d = row.draft
    fields: dict[str, Any] = {
        "term_type": d.term_type,
        "start_date": d.start_date.isoformat(),
        "end_date": d.end_date.isoformat() if d.end_date else "",
        "probation_end_date": d.probation_end_date.isoformat() if d.probation_end_date else "",
        "monthly_wage": str(d.monthly_wage) if d.monthly_wage is not None else "",
        "probation_wage": str(d.probation_wage) if d.probation_wage is not None else "",
        "hourly_wage": str(d.hourly_wage) if d.hourly_wage is not None else "",
        "job_title": row.job_title,
        "place": row.place,
    }
    return {
        "line": row.row,
        "name": row.name,
        "id_type": row.id_type,
        "id_number": row.id_number,
        "phone": row.phone,
        "fields": fields,
    }


def save_rows(batch: Batch, rows: list[sheet.BatchRow]) -> None:
    _put(_rows_path(batch), json.dumps([_row_dict(r) for r in rows], ensure_ascii=False).encode())


def load_rows(batch: Batch) -> list[dict[str, Any]]:
    return json.loads(_get(_rows_path(batch)))


# ---- problems ------------------------------------------------------------------------------


def problem_dict(p: Problem, stage: str = "check") -> dict[str, Any]:
    return {
        "row": p.row,
        "column": p.column or p.field,
        "code": p.code,
        "article": p.article,
        "message_zh": p.message_zh,
        "message_en": p.message_en,
        "stage": stage,
    }


def _term_problems(check: sheet.BatchCheck, version: TemplateVersion) -> None:
    """A row's term type must be the template's (LCL Art. 12: the three kinds of term, and
    part-time work); such rows become bad rows."""
    wanted = TERM_OF_KIND.get(version.template.kind)
    keep = []
    for row in check.rows:
        if row.draft.term_type != wanted:
            check.problems.append(
                Problem(
                    "batch.term_type_mismatch",
                    f"合同期限类型与所选模板（{version.template.get_kind_display()}）不一致。",
                    f"The term type does not match the chosen template ({version.template.kind}).",
                    "term_type",
                    row=row.row,
                    column="term_type",
                    article=LCL_12,
                )
            )
        else:
            keep.append(row)
    check.rows = keep


def check(data: bytes, version: TemplateVersion) -> sheet.BatchCheck:
    result = sheet.check_file(data)
    _term_problems(result, version)
    result.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    return result


# ---- upload and start ----------------------------------------------------------------------


def _version_for(enterprise: Enterprise, version: TemplateVersion) -> TemplateVersion:
    if version.template.enterprise_id not in (None, enterprise.pk):
        raise NotFound("contracts.template_not_found", "template_version")
    if version.status != TemplateVersion.Status.PUBLISHED:
        raise InvalidInput(
            "envelope.template_not_published",
            "只能使用已发布的模板版本。",
            "Only a published template version can be used.",
            "template_version",
        )
    if version.template.kind not in LABOUR_CONTRACT_KINDS:
        raise InvalidInput(
            "batch.template_not_labour_contract",
            "批量发起只能使用劳动合同模板。",
            "A batch sends labour contracts: choose a labour contract template.",
            "template_version",
        )
    return version


def _deadline_days(value: int | None) -> int:
    days = 7 if value in (None, "") else int(value)
    if not 1 <= days <= MAX_DEADLINE_DAYS:
        raise InvalidInput(
            "batch.deadline_days_invalid",
            f"签署期限应为 1–{MAX_DEADLINE_DAYS} 天。",
            f"The signing period is 1 to {MAX_DEADLINE_DAYS} days.",
            "deadline_days",
        )
    return days


def upload(
    enterprise: Enterprise,
    *,
    data: bytes,
    file_name: str,
    version: TemplateVersion,
    user,
    skip_bad_rows: bool = False,
    deadline_days: int | None = 7,
) -> tuple[Batch, bool]:
    """Check the spreadsheet and keep it as a batch (status ``checked``); nothing is sent.

    Returns ``(batch, created)``: the same file with the same template version is the batch
    made before (created False), so nothing can be sent twice by uploading it again. A file
    that cannot be read, or lacks required columns, raises InvalidInput and keeps nothing."""
    version = _version_for(enterprise, version)
    days = _deadline_days(deadline_days)
    digest = hashlib.sha256(data).hexdigest()
    existing = Batch.objects.filter(
        enterprise=enterprise, file_sha256=digest, template_version=version
    ).first()
    if existing is not None:
        if existing.status == Batch.Status.CHECKED and (
            existing.skip_bad_rows != skip_bad_rows or existing.deadline_days != days
        ):
            with transaction.atomic():
                before = {
                    "skip_bad_rows": existing.skip_bad_rows,
                    "deadline_days": existing.deadline_days,
                }
                Batch.objects.filter(pk=existing.pk).update(
                    skip_bad_rows=skip_bad_rows, deadline_days=days, updated_at=timezone.now()
                )
                existing.refresh_from_db()
                audit.record(
                    "envelopes.batch.update",
                    existing,
                    changes={
                        k: [v, getattr(existing, k)]
                        for k, v in before.items()
                        if v != getattr(existing, k)
                    },
                )
        return existing, False
    result = check(data, version)  # raises for an unreadable file or missing columns
    store_file(data)
    with transaction.atomic():
        batch = Batch.objects.create(
            enterprise=enterprise,
            template_version=version,
            file_sha256=digest,
            file_name=(file_name or "")[:200],
            skip_bad_rows=skip_bad_rows,
            total_rows=result.total,
            bad_rows=len(result.bad_rows),
            problems=[problem_dict(p) for p in result.problems],
            deadline_days=days,
            created_by=user,
        )
        audit.record(
            "envelopes.batch.create",
            batch,
            changes={
                "status": [None, batch.status],
                "total_rows": [None, batch.total_rows],
                "bad_rows": [None, batch.bad_rows],
                "template_version": [None, str(version.public_id)],
            },
        )
    return batch, True


def good_rows(batch: Batch) -> int:
    return max(batch.total_rows - batch.bad_rows, 0)


def chunks(total: int, size: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def start(batch: Batch, *, user) -> Batch:
    """Queue the sending. The file is checked again (the day may have changed since upload);
    with a bad row and without ``skip_bad_rows`` nothing is sent. Starting a batch that is
    already queued, sending or done changes nothing; a failed batch is resumed (rows already
    sent are skipped by their idempotency keys)."""
    batch = Batch.objects.select_related("template_version__template", "enterprise").get(
        pk=batch.pk
    )
    if batch.status in (Batch.Status.QUEUED, Batch.Status.SENDING, Batch.Status.DONE):
        return batch
    version = _version_for(batch.enterprise, batch.template_version)
    result = check(load_file(batch), version)
    refused: AccordError | None = None
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.status not in (Batch.Status.CHECKED, Batch.Status.FAILED):
            return batch
        before = batch.status
        batch.problems = [problem_dict(p) for p in result.problems] + [
            p for p in batch.problems if p.get("stage") == "send"
        ]
        batch.bad_rows = len(result.bad_rows)
        batch.total_rows = result.total
        fields = ["problems", "bad_rows", "total_rows", "updated_at"]
        if result.problems and not batch.skip_bad_rows:
            refused = InvalidInput.from_problems(result.problems, code="batch.has_bad_rows")
            refused.message_zh = f"有 {batch.bad_rows} 行存在问题，未发送任何合同；请修改后重新上传，或选择跳过错误行。"
            refused.message_en = (
                f"{batch.bad_rows} rows have problems; nothing was sent. Fix the file and "
                "upload it again, or choose to skip bad rows."
            )
            refused.field = "file"
        elif not result.rows:
            refused = Conflict(
                "batch.no_good_rows", "没有可发送的行。", "There is no row to send.", "file"
            )
        else:
            save_rows(batch, result.rows)
            batch.status = Batch.Status.QUEUED
            batch.started_at = batch.started_at or timezone.now()
            batch.finished_at = None
            fields += ["status", "started_at", "finished_at"]
            audit.record(
                "envelopes.batch.start",
                batch,
                changes={"status": [before, batch.status], "rows": [None, len(result.rows)]},
            )
            pk, count = batch.pk, len(result.rows)
            transaction.on_commit(lambda: enqueue_chunks(pk, count))
        batch.save(update_fields=fields)
    if refused is not None:
        raise refused  # after the commit: the problems found today are kept on the batch
    return batch


def enqueue_chunks(batch_pk: int, count: int) -> None:
    from accord.envelopes.batch_tasks import send_chunk

    for first, last in chunks(count):
        send_chunk.enqueue(batch_pk, first, last)


# ---- sending (the task worker) --------------------------------------------------------------


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


def idempotency_key(batch: Batch, line: int) -> str:
    return f"batch:{batch.public_id}:{line}"


@dataclass
class _Known:
    people: dict[str, Person]
    jobs: dict[int, Employment]
    done: set[str]


def _known(batch: Batch, rows: list[dict[str, Any]]) -> _Known:
    """What already exists for these rows, in three queries instead of several per row."""
    indexes = {person_index(r["id_type"], r["id_number"]): r for r in rows}
    people = {
        p.id_number_index: p
        for p in Person.objects.filter(id_number_index__in=list(indexes)).select_related("user")
    }
    jobs = {
        e.person_id: e
        for e in Employment.objects.filter(
            enterprise_id=batch.enterprise_id,
            person_id__in=[p.pk for p in people.values()],
            end_date__isnull=True,
        ).order_by("start_date")
    }
    done = set(
        Envelope.objects.filter(
            enterprise_id=batch.enterprise_id,
            idempotency_key__in=[idempotency_key(batch, r["line"]) for r in rows],
        ).values_list("idempotency_key", flat=True)
    )
    return _Known(people, jobs, done)


def _name_mismatch() -> Conflict:
    return Conflict(
        "identity.person_name_mismatch",
        "该证件号码已登记在另一姓名下，请核对姓名与证件。",
        "This document number is registered under another name; check both.",
        "name",
    )


def send_row(
    batch: Batch, row: dict[str, Any], known: _Known | None = None, *, remember: bool = True
) -> Envelope:
    """One row: find or register the person and the employment, then create and send the
    contract — in one transaction, so the envelope is whole or absent."""
    key = idempotency_key(batch, row["line"])
    known = known or _known(batch, [row])
    with transaction.atomic():
        index = person_index(row["id_type"], row["id_number"])
        person = known.people.get(index)
        job = known.jobs.get(person.pk) if person is not None else None
        if person is not None and person.name != row["name"]:
            raise _name_mismatch()
        if job is None:
            job = employments.register_employee(
                batch.enterprise,
                name=row["name"],
                id_number=row["id_number"],
                id_type=row["id_type"],
                phone=row["phone"],
                position=row["fields"]["job_title"],
                start_date=row["fields"]["start_date"],
            )
            person = job.person
        elif key not in known.done:
            _refuse_second_contract(batch, person, row["fields"].get("start_date"), key)
        envelope = drafting.create_from_template(
            enterprise=batch.enterprise,
            person=person,
            version=batch.template_version,
            fields=row["fields"],
            created_by=batch.created_by,
            employment=job,
            deadline=timezone.now() + dt.timedelta(days=batch.deadline_days),
            idempotency_key=key,
            batch=batch,
            send=True,
        )
    if remember:
        known.people[index] = person
        known.jobs[person.pk] = job
        known.done.add(key)
    return envelope


def _refuse_second_contract(batch: Batch, person: Person, start_date, key: str) -> None:
    """The same worker must not be sent a second labour contract for the same start date (for
    instance the same file uploaded again with another template version)."""
    if Envelope.objects.filter(enterprise=batch.enterprise, idempotency_key=key).exists():
        return  # this very row, sent before: create_from_template returns it
    others = Envelope.objects.filter(
        enterprise=batch.enterprise,
        person=person,
        kind__in=LABOUR_CONTRACT_KINDS,
        status__in=[Envelope.Status.DRAFT, Envelope.Status.SENT, Envelope.Status.COMPLETED],
    )
    day = str(start_date or "")[:10]
    if any(v.get("term.start_date") == day for v in others.values_list("values", flat=True)):
        raise Conflict(
            "batch.contract_exists",
            f"该劳动者已有自 {day} 起的劳动合同（签署中或已签署），本行不再发送。",
            f"This worker already has a labour contract from {day} (being signed or signed); "
            "this row is not sent again.",
            "id_number",
        )


def _failure(row: dict[str, Any], exc: AccordError) -> list[dict[str, Any]]:
    problems = exc.problems or [Problem(exc.code, exc.message_zh, exc.message_en, exc.field)]
    return [
        {
            "row": row["line"],
            "column": p.column or p.field or exc.field,
            "code": p.code if exc.problems else exc.code,
            "article": p.article,
            "message_zh": p.message_zh,
            "message_en": p.message_en,
            "stage": "send",
        }
        for p in problems
    ]


def _record_progress(
    batch: Batch, failures: dict[int, list[dict[str, Any]]], succeeded: set[int]
) -> Batch:
    """Write the counters from the truth (envelopes of the batch, failed rows), so that a
    re-run chunk never counts a row twice; the last chunk to finish marks the batch done."""
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        kept = [
            p
            for p in locked.problems
            if not (
                p.get("stage") == "send" and (p.get("row") in failures or p.get("row") in succeeded)
            )
        ]
        for rows in failures.values():
            kept.extend(rows)
        locked.problems = kept
        locked.failed = len({p["row"] for p in kept if p.get("stage") == "send"})
        locked.sent = Envelope.objects.filter(batch=locked).count()
        fields = ["problems", "failed", "sent", "updated_at"]
        if locked.status == Batch.Status.QUEUED:
            locked.status = Batch.Status.SENDING
            fields.append("status")
        if locked.status == Batch.Status.SENDING and locked.sent + locked.failed >= good_rows(
            locked
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
    return locked


def _one_delivery_hook() -> None:
    """Each published event asks, on commit, for one outbox delivery task; a group of rows
    publishes dozens. One task delivers every pending event, so keep the first request and
    drop its duplicates (they would be dozens of inserts into the task queue, and as many
    no-op task runs competing with the sending). Called at the end of the group's outermost
    transaction, when every savepoint is settled."""
    from accord.core.events import _enqueue_delivery

    connection = transaction.get_connection()
    hooks, seen = [], False
    for hook in connection.run_on_commit:
        if hook[1] is _enqueue_delivery:
            if seen:
                continue
            seen = True
        hooks.append(hook)
    connection.run_on_commit[:] = hooks


def _send_group(
    batch: Batch, rows: list[dict[str, Any]], known: _Known
) -> tuple[dict[int, list[dict[str, Any]]], set[int], dict[str, int]]:
    """Send a few rows in one transaction (one commit, one fsync), each row in its own
    savepoint: a row that fails leaves nothing, and the others still commit."""
    failures: dict[int, list[dict[str, Any]]] = {}
    succeeded: set[int] = set()
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    added: list[tuple[str, Person, Employment]] = []
    with transaction.atomic():
        for row in rows:
            key = idempotency_key(batch, row["line"])
            if key in known.done:
                counts["skipped"] += 1
                succeeded.add(row["line"])
                continue
            try:
                envelope = send_row(batch, row, known, remember=False)
            except AccordError as exc:
                failures[row["line"]] = _failure(row, exc)
                counts["failed"] += 1
            except IntegrityError:
                # Another worker sent this row at the same moment (a duplicate task): its
                # envelope is there now; anything else is a real error.
                if not Envelope.objects.filter(
                    enterprise_id=batch.enterprise_id, idempotency_key=key
                ).exists():
                    raise
                counts["skipped"] += 1
                succeeded.add(row["line"])
            else:
                added.append((key, envelope.person, envelope.employment))
                succeeded.add(row["line"])
                counts["sent"] += 1
        _one_delivery_hook()
    for key, person, job in added:  # committed: what later rows may reuse
        known.people[person.id_number_index] = person
        if job is not None:
            known.jobs[person.pk] = job
        known.done.add(key)
    return failures, succeeded, counts


def send_chunk(batch_pk: int, first: int, last: int) -> dict[str, int]:
    """Send rows ``first``..``last``-1 of the checked rows (the task body; also callable
    directly). Rows already sent are skipped by their idempotency key, so a chunk run again —
    after a crash, or delivered twice — sends nothing twice."""
    batch = Batch.objects.select_related(
        "enterprise__street", "enterprise__industry", "template_version__template", "created_by"
    ).get(pk=batch_pk)
    if batch.status not in (Batch.Status.QUEUED, Batch.Status.SENDING):
        return {"sent": 0, "failed": 0, "skipped": last - first}
    rows = load_rows(batch)[first:last]
    known = _known(batch, rows)
    failures: dict[int, list[dict[str, Any]]] = {}
    succeeded: set[int] = set()
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    last_write = time.monotonic()
    with acting_as(_actor(batch)):
        try:
            for at in range(0, len(rows), GROUP_ROWS):
                f, ok, c = _send_group(batch, rows[at : at + GROUP_ROWS], known)
                failures.update(f)
                succeeded |= ok
                for k, v in c.items():
                    counts[k] += v
                if time.monotonic() - last_write >= PROGRESS_EVERY:
                    _record_progress(batch, failures, succeeded)
                    failures, succeeded = {}, set()
                    last_write = time.monotonic()
        except Exception as exc:
            _record_progress(batch, failures, succeeded)
            mark_failed(batch, exc)
            raise
        _record_progress(batch, failures, succeeded)
    return counts


def mark_failed(batch: Batch, exc: BaseException) -> None:
    """An unexpected error stopped a chunk: the batch is failed until HR starts it again
    (which resumes: rows already sent are skipped)."""
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


def run_all(batch: Batch) -> dict[str, int]:
    """Send every chunk in this process (the tests, a one-off command)."""
    total = {"sent": 0, "failed": 0, "skipped": 0}
    count = len(load_rows(batch))
    for first, last in chunks(count):
        for k, v in send_chunk(batch.pk, first, last).items():
            total[k] += v
    return total


# ---- progress and problems -------------------------------------------------------------------


def progress(batch: Batch) -> dict[str, Any]:
    goal = good_rows(batch)
    return {
        "id": str(batch.public_id),
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "total_rows": batch.total_rows,
        "bad_rows": batch.bad_rows,
        "to_send": goal,
        "sent": batch.sent,
        "failed": batch.failed,
        "done": batch.sent + batch.failed,
        "percent": round(100 * (batch.sent + batch.failed) / goal) if goal else 0,
        "started_at": batch.started_at.isoformat() if batch.started_at else None,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "finished": batch.status in (Batch.Status.DONE, Batch.Status.FAILED),
    }


def sorted_problems(batch: Batch) -> list[dict[str, Any]]:
    return sorted(batch.problems, key=lambda p: (p.get("row") or 0, p.get("column") or ""))


# ---- 批量盖章: seal the batch's envelopes that wait for the enterprise seal ---------------------


def ready_to_seal(batch: Batch) -> Iterable[Envelope]:
    return (
        Envelope.objects.filter(
            batch=batch,
            status=Envelope.Status.SENT,
            parties__role=Party.Role.ENTERPRISE,
            parties__status=Party.Status.READY,
        )
        .select_related("enterprise")
        .order_by("id")
    )


SEAL_PROGRESS_KEY = "envelopes:batch-seal:{}"


def seal_progress(batch: Batch) -> dict[str, Any] | None:
    from django.core.cache import cache

    return cache.get(SEAL_PROGRESS_KEY.format(batch.public_id))


def _set_seal_progress(batch: Batch, value: dict[str, Any]) -> None:
    from django.core.cache import cache

    value["at"] = time.time()  # a state not updated for ten minutes no longer blocks a new run
    cache.set(SEAL_PROGRESS_KEY.format(batch.public_id), value, 24 * 3600)


def seal_all(batch: Batch, *, user, otp_token: str) -> dict[str, Any]:
    """批量盖章: every envelope of the batch waiting for the enterprise seal, with one TOTP code
    (services.seal_many; Electronic Signature Law Art. 13 — the code is the user's own act and
    is checked once, before the first seal). Progress is kept for the batch page."""
    from accord.envelopes import services

    envelopes = list(ready_to_seal(batch))
    state: dict[str, Any] = {
        "status": "sealing",
        "total": len(envelopes),
        "sealed": 0,
        "refused": 0,
        "refusals": {},
        "error": "",
    }
    _set_seal_progress(batch, state)

    def counted() -> Iterable[Envelope]:
        for i, envelope in enumerate(envelopes):
            if i and i % 10 == 0:
                _count(state, envelopes[:i])
                _set_seal_progress(batch, state)
            yield envelope

    try:
        with acting_as(_user_actor(user, batch)):
            result = services.seal_many(counted(), user=user, otp_token=otp_token)
    except AccordError as exc:
        state.update(status="refused", error=exc.code)
        _set_seal_progress(batch, state)
        raise
    except Exception:
        state.update(status="failed", error="internal")
        _set_seal_progress(batch, state)
        raise
    state.update(
        status="done",
        sealed=len(result.sealed),
        refused=len(result.refused),
        refusals=dict(list(result.refused.items())[:200]),
    )
    _set_seal_progress(batch, state)
    with transaction.atomic():
        audit.record(
            "envelopes.batch.seal_all",
            batch,
            changes={"sealed": [None, state["sealed"]], "refused": [None, state["refused"]]},
        )
    return state


def _count(state: dict[str, Any], handled: list[Envelope]) -> None:
    sealed = Party.objects.filter(
        envelope__in=[e.pk for e in handled],
        role=Party.Role.ENTERPRISE,
        status=Party.Status.SIGNED,
    ).count()
    state["sealed"] = sealed
    state["refused"] = len(handled) - sealed


def _user_actor(user, batch: Batch) -> Actor:
    return Actor(
        user_id=user.pk,
        label=user.get_username(),
        role=getattr(user, "primary_role", "") or "",
        request_id=f"batch-seal:{batch.public_id}",
    )


def start_seal_all(batch: Batch, *, user, otp_token: str) -> None:
    """Queue 批量盖章 at a high priority: the TOTP code is only good for a minute or so."""
    from accord.envelopes.batch_tasks import seal_batch

    if not (otp_token or "").strip().isdigit():
        raise InvalidInput(
            "auth.totp_invalid", "动态口令错误或已过期。", "Wrong or expired one-time code.", "otp"
        )
    running = seal_progress(batch) or {}
    if running.get("status") in ("queued", "sealing") and time.time() - running.get("at", 0) < 600:
        raise Conflict(
            "batch.sealing_in_progress",
            "本批次正在批量盖章，请等待完成。",
            "This batch is being sealed already; wait until it finishes.",
            "otp",
        )
    _set_seal_progress(
        batch,
        {"status": "queued", "total": 0, "sealed": 0, "refused": 0, "refusals": {}, "error": ""},
    )
    seal_batch.using(priority=90).enqueue(batch.pk, user.pk, otp_token.strip())
