"""Batch sending: a spreadsheet of workers, one labour contract envelope each, by the task worker.

Issue #6 item 6. The rules:

- Every row is checked before anything is sent (contracts/batch.py: identity numbers, dates,
  the labour-law checks of a single draft, LCL Art. 10, 17, 19, 20 …); each problem is kept
  with its row, column, code and article. A file with a bad row sends nothing unless HR chose
  to skip bad rows.
- The same file with the same template version is the same batch (``file_sha256`` unique per
  enterprise and version): uploading it again creates nothing and sends nothing twice.
- Sending runs in the task worker, in chunks leased to whichever worker asks (batch_send.py):
  a chunk is one transaction — its people, employments and sent envelopes whole or absent —
  each row carries the idempotency key ``batch:<batch>:<row>``, and the chunk of a worker that
  died is taken up again by the next one when its lease runs out, so nothing is sent twice
  and nothing is left unsent.
- The uploaded file and the checked rows carry identity numbers and phones: they are stored
  encrypted (AES-GCM, ``core.crypto``), never in clear, and never in the task queue's arguments.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accord.contracts import batch as sheet
from accord.contracts import templates as contract_templates
from accord.contracts.models import LABOUR_CONTRACT_KINDS, DocumentKind, TemplateVersion
from accord.core import audit
from accord.core.context import Actor, acting_as
from accord.core.crypto import decrypt, encrypt
from accord.core.errors import AccordError, NotFound, Problem, forbidden
from accord.core.scoping import get_scoped
from accord.envelopes import batch_send as sending
from accord.envelopes import errors, policy
from accord.envelopes.models import Batch, BatchChunk, Envelope, Party
from accord.envelopes.scoping import ALL_SEEING
from accord.identity import services as identity_services
from accord.identity.errors import TOTP_INVALID
from accord.identity.models import Enterprise
from accord.identity.selectors import may_act_for
from accord.identity.verification import verifier

LCL_12 = "《劳动合同法》第十二条"
CHUNK_ROWS = sending.CHUNK_ROWS  # rows per chunk (one transaction); tests make it smaller
idempotency_key = sending.idempotency_key
load_rows = sending.load_rows
MAX_DEADLINE_DAYS = 60
TERM_OF_KIND = {
    DocumentKind.LABOUR_FIXED: "fixed",
    DocumentKind.LABOUR_OPEN_ENDED: "open_ended",
    DocumentKind.LABOUR_TASK: "task",
    DocumentKind.LABOUR_PART_TIME: "part_time",
}
_CONTEXT = b"accord-envelope-batch"


# ---- who may see and send an enterprise's batches (the one answer of pages and API) ----------


def may_see_batches(user, enterprise: Enterprise) -> bool:
    """Its HR (or an API token of it) and the bureau's readers; not the enterprise's workers
    nor its street officer, who may see the enterprise but not its HR's sending."""
    return may_act_for(user, enterprise) or user.has_role(*ALL_SEEING)


def enterprise_for_batches(user, public_id, *, act: bool = False) -> Enterprise:
    """The enterprise whose batches are asked for: 404 for anyone who may not see them (one
    answer: nothing tells an outsider that batches exist); acting (upload) needs
    ``may_act_for``, else 403 for a reader who sees them (an auditor)."""
    enterprise = get_scoped(Enterprise, user, public_id)
    if not may_see_batches(user, enterprise):
        raise NotFound()
    if act and not may_act_for(user, enterprise):
        raise forbidden()
    return enterprise


def batch_for(user, public_id, *, act: bool = False) -> Batch:
    """A batch the user may see (404 otherwise); acting on it (start, 批量盖章) needs
    ``may_act_for`` its enterprise, else 403."""
    batch = get_scoped(Batch, user, public_id)
    if act and not may_act_for(user, batch.enterprise):
        raise forbidden()
    return batch


# ---- the stored file and rows (encrypted at rest) -------------------------------------------


def _file_path(digest: str) -> str:
    return f"envelopes/batches/{digest[:2]}/{digest}.xlsx.enc"


def _put(path: str, data: bytes) -> None:
    if default_storage.exists(path):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(encrypt(base64.b64encode(data).decode(), _CONTEXT)))


def _get(path: str) -> bytes:
    if not default_storage.exists(path):
        raise errors.BATCH_FILE_MISSING()
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
        raise errors.BATCH_FILE_CORRUPT()
    return data


def _row_dict(row: sheet.BatchRow) -> dict[str, Any]:
    fields: dict[str, Any] = {
        **sheet.draft_fields(row.draft),  # every legal field, checked again when sending
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


# ---- problems ------------------------------------------------------------------------------


def problem_dict(p: Problem, stage: str = "check") -> dict[str, Any]:
    """A problem as the batch keeps it: ``column`` is the spreadsheet's own header (证件号码),
    ``field`` the column's key (``id_number``) for programs."""
    key = p.column or p.field
    return {
        "row": p.row,
        "column": sheet.column_label(key),
        "field": key,
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
                errors.BATCH_TERM_TYPE_MISMATCH.problem(
                    row=row.row,
                    column="term_type",
                    article=LCL_12,
                    kind_zh=version.template.get_kind_display(),
                    kind_en=version.template.kind,
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
    # The one home of which versions an enterprise may use: its own or the platform's, published.
    version = contract_templates.usable_version(enterprise, version.public_id)
    if version.template.kind not in LABOUR_CONTRACT_KINDS:
        raise errors.BATCH_TEMPLATE_NOT_LABOUR_CONTRACT()
    return version


def _deadline_days(value: int | None) -> int:
    days = 7 if value in (None, "") else int(value)
    if not 1 <= days <= MAX_DEADLINE_DAYS:
        raise errors.BATCH_DEADLINE_DAYS_INVALID(most=MAX_DEADLINE_DAYS)
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
        resume(existing)  # the same file again: a stalled batch is taken up, never sent twice
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
        batch.identity = identity_precheck(batch, result.rows)
        batch.save(update_fields=["identity"])
    return batch, True


# ---- the real-name pre-check (ESL Art. 13: a person signs only once their real name is verified)


def identity_precheck(batch: Batch, rows: list[sheet.BatchRow]) -> dict[str, Any]:
    """Ask the IdentityVerifier now, for every row that will be sent, what it will answer when
    the worker signs (``personal.verify_signer``), so that HR sees before sending which rows
    would fail: a name and number the registry does not match, or does not know. Kept on the
    batch as counts and spreadsheet lines only; one audit entry for the check as a whole."""
    failing: dict[str, list[int]] = {"mismatch": [], "unknown": []}
    verified = 0
    for r in rows:
        result = identity_services.precheck_identity(r.name, r.id_type, r.id_number)
        if result == "verified":
            verified += 1
        else:
            failing.setdefault(result, []).append(r.row)
    summary = {
        "verifier": verifier().name,
        "checked": len(rows),
        "verified": verified,
        "mismatch": failing["mismatch"],
        "unknown": failing["unknown"],
        "at": timezone.now().isoformat(),
    }
    audit.record(
        "envelopes.batch.identity_precheck",
        batch,
        changes={
            "checked": [None, len(rows)],
            "will_fail": [None, len(failing["mismatch"]) + len(failing["unknown"])],
        },
    )
    return summary


def good_rows(batch: Batch) -> int:
    return max(batch.total_rows - batch.bad_rows, 0)


def start(batch: Batch, *, user) -> Batch:
    """Queue the sending. The file is checked again (the day may have changed since upload);
    with a bad row and without ``skip_bad_rows`` nothing is sent. Starting a batch that is
    queued or sending again takes up any chunk a dead worker left (``resume``); a done batch
    changes nothing; a failed batch is resumed (chunks already sent stay sent)."""
    batch = Batch.objects.select_related("template_version__template", "enterprise").get(
        pk=batch.pk
    )
    if batch.status in (Batch.Status.QUEUED, Batch.Status.SENDING):
        resume(batch)
        return batch
    if batch.status == Batch.Status.DONE:
        return batch
    if batch.status == Batch.Status.FAILED and batch.chunks.exists():
        return _restart(batch)
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
            refused = errors.BATCH_HAS_BAD_ROWS(problems=result.problems, count=batch.bad_rows)
        elif not result.rows:
            refused = errors.BATCH_NO_GOOD_ROWS()
        else:
            count = sending.make_chunks(batch, [_row_dict(r) for r in result.rows], CHUNK_ROWS)
            batch.status = Batch.Status.QUEUED
            batch.started_at = batch.started_at or timezone.now()
            batch.finished_at = None
            batch.watch_until = None
            fields += ["status", "started_at", "finished_at", "watch_until"]
            audit.record(
                "envelopes.batch.start",
                batch,
                changes={"status": [before, batch.status], "rows": [None, len(result.rows)]},
            )
            pk = batch.pk
            transaction.on_commit(lambda: enqueue_tasks(pk, count))
        batch.save(update_fields=fields)
    if refused is not None:
        raise refused  # after the commit: the problems found today are kept on the batch
    return batch


def _restart(batch: Batch) -> Batch:
    """A failed batch again: its chunks not yet sent are queued; the rows were checked when it
    first started, and each is checked again by the rules when its chunk is sent."""
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != Batch.Status.FAILED:
            return locked
        locked.status = Batch.Status.QUEUED
        locked.finished_at = None
        locked.watch_until = None
        locked.save(update_fields=["status", "finished_at", "watch_until", "updated_at"])
        BatchChunk.objects.filter(batch=locked, status=BatchChunk.Status.PENDING).update(
            leased_until=None, lease_token=""
        )
        audit.record("envelopes.batch.start", locked, changes={"status": ["failed", "queued"]})
        pk, count = locked.pk, locked.chunks.filter(status=BatchChunk.Status.PENDING).count()
        transaction.on_commit(lambda: enqueue_tasks(pk, count))
    return locked


def start_decision(batch: Batch) -> policy.Decision:
    """Whether 开始发送 / 继续发送 has something to do, and if not why (policy.batch_start)."""
    busy = batch.status in (Batch.Status.QUEUED, Batch.Status.SENDING)
    return policy.batch_start(batch, stalled=busy and sending.stalled(batch))


def may_start(batch: Batch) -> bool:
    return bool(start_decision(batch))


def resume(batch: Batch) -> bool:
    """A queued or sending batch with a chunk nobody holds (its worker died, its task is lost):
    queue a task to take it up. True when one was queued."""
    if batch.status not in (Batch.Status.QUEUED, Batch.Status.SENDING):
        return False
    if not sending.claimable_now(batch):
        return False
    enqueue_tasks(batch.pk, 1)
    return True


def enqueue_tasks(batch_pk: int, chunks: int) -> None:
    """Tasks that send the batch's chunks: each leases chunks until none is left, so a few
    tasks keep every worker busy, and a task that dies only loses its lease."""
    from accord.envelopes.batch_tasks import send_batch

    for _ in range(max(1, min(chunks, sending.PARALLEL_TASKS))):
        send_batch.enqueue(batch_pk)


def run_all(batch: Batch) -> dict[str, int]:
    """Send every chunk in this process (the tests, a one-off command)."""
    return sending.work(batch.pk)


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
        raise TOTP_INVALID("otp")
    running = seal_progress(batch) or {}
    if running.get("status") in ("queued", "sealing") and time.time() - running.get("at", 0) < 600:
        raise errors.BATCH_SEALING_IN_PROGRESS()
    _set_seal_progress(
        batch,
        {"status": "queued", "total": 0, "sealed": 0, "refused": 0, "refusals": {}, "error": ""},
    )
    seal_batch.using(priority=90).enqueue(batch.pk, user.pk, otp_token.strip())
