"""Batch sending API: upload a spreadsheet (checked at once), start it, follow its progress.

POST /api/v1/enterprises/{id}/batches      multipart: file, template_version, skip_bad_rows,
                                           deadline_days → 201 (new) or 200 (the same file
                                           and template version as before: that batch)
POST /api/v1/batches/{id}/start            → the batch, queued (422 batch.has_bad_rows)
GET  /api/v1/batches/{id}                  → progress
GET  /api/v1/batches/{id}/problems         → every problem by row, column and article
POST /api/v1/batches/{id}/seal {otp}       → 202: 批量盖章 queued (a person, not a token)
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from accord.contracts import batch as sheet
from accord.contracts import templates as contract_templates
from accord.core.api import principal
from accord.core.pagination import ListMeta, page_response, paginate
from accord.core.scoping import scoped
from accord.envelopes import batches
from accord.envelopes.models import Batch
from accord.seals import services as seal_services

router = Router(tags=["envelopes"])


class BatchRowProblemOut(Schema):
    row: int | None
    column: str | None  # the spreadsheet's own header (证件号码)
    field: str | None = None  # the column's key (id_number)
    code: str
    article: str | None
    message_zh: str
    message_en: str
    stage: str


class BatchOut(Schema):
    id: UUID
    enterprise: UUID
    template_version: UUID
    file_name: str
    file_sha256: str
    status: str
    status_label: str
    skip_bad_rows: bool
    deadline_days: int
    total_rows: int
    bad_rows: int
    to_send: int
    sent: int
    failed: int
    done: int
    percent: int
    finished: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    problems_count: int
    problems: list[BatchRowProblemOut]  # the first 100; all of them at /problems
    seal: dict | None = None


class ProblemList(ListMeta):
    results: list[BatchRowProblemOut]


class BatchList(ListMeta):
    results: list[BatchOut]


class SealIn(Schema):
    otp: str


def _problem(p: dict) -> dict:
    return {
        "row": p.get("row"),
        "column": sheet.column_label(p.get("column")),
        "field": p.get("field") or p.get("column"),
        "code": p.get("code", ""),
        "article": p.get("article"),
        "message_zh": p.get("message_zh", ""),
        "message_en": p.get("message_en", ""),
        "stage": p.get("stage", "check"),
    }


def batch_out(batch: Batch) -> dict:
    problems = batches.sorted_problems(batch)
    return {
        **batches.progress(batch),
        "id": batch.public_id,
        "enterprise": batch.enterprise.public_id,
        "template_version": batch.template_version.public_id,
        "file_name": batch.file_name,
        "file_sha256": batch.file_sha256,
        "skip_bad_rows": batch.skip_bad_rows,
        "deadline_days": batch.deadline_days,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "problems_count": len(problems),
        "problems": [_problem(p) for p in problems[:100]],
        "seal": batches.seal_progress(batch),
    }


def _user_of(who):
    """The user recorded as acting: an API token acts for the user who created it."""
    token = getattr(who, "token", None)
    return token.created_by if token is not None else who


def _get(request: HttpRequest, batch_id, *, act: bool = False) -> Batch:
    return batches.batch_for(principal(request), batch_id, act=act)


@router.post("/enterprises/{enterprise_id}/batches", response={201: BatchOut, 200: BatchOut})
def upload_batch(
    request: HttpRequest,
    enterprise_id: str,
    file: UploadedFile = File(...),
    template_version: UUID = Form(...),
    skip_bad_rows: bool = Form(False),
    deadline_days: int = Form(7),
):
    """Check a spreadsheet (every problem by row, column and article) and keep it as a batch;
    nothing is sent until the batch is started."""
    who = principal(request)
    enterprise = batches.enterprise_for_batches(who, enterprise_id, act=True)
    version = contract_templates.usable_version(enterprise, template_version)
    batch, created = batches.upload(
        enterprise,
        data=file.read(sheet.MAX_BYTES + 1),
        file_name=file.name or "",
        version=version,
        user=_user_of(who),
        skip_bad_rows=skip_bad_rows,
        deadline_days=deadline_days,
    )
    return Status(201 if created else 200, batch_out(_get(request, batch.public_id)))


@router.get("/enterprises/{enterprise_id}/batches", response=BatchList)
def list_batches(request: HttpRequest, enterprise_id: str, page: int = 1, page_size: int = 50):
    who = principal(request)
    enterprise = batches.enterprise_for_batches(who, enterprise_id)
    qs = scoped(Batch, who).filter(enterprise=enterprise).order_by("-created_at", "-id")
    return page_response(paginate(qs, page, page_size), batch_out)


@router.get("/batches/{batch_id}", response=BatchOut)
def get_batch(request: HttpRequest, batch_id: str):
    return batch_out(_get(request, batch_id))


@router.get("/batches/{batch_id}/problems", response=ProblemList)
def batch_problems(request: HttpRequest, batch_id: str, page: int = 1, page_size: int = 200):
    batch = _get(request, batch_id)
    problems = batches.sorted_problems(batch)
    return page_response(paginate(problems, page, page_size, max_size=1000), _problem)


@router.post("/batches/{batch_id}/start", response=BatchOut)
def start_batch(request: HttpRequest, batch_id: str):
    """Queue the sending (422 ``batch.has_bad_rows`` with every problem, nothing sent, when a
    row is bad and the batch does not skip bad rows). Starting again changes nothing."""
    batch = _get(request, batch_id, act=True)
    batches.start(batch, user=_user_of(principal(request)))
    return batch_out(_get(request, batch_id))


@router.post("/batches/{batch_id}/seal", response={202: BatchOut})
def seal_batch(request: HttpRequest, batch_id: str, payload: SealIn):
    """批量盖章: seal every envelope of the batch waiting for the enterprise seal, with one TOTP
    code, in the task worker (progress in ``seal``)."""
    batch = _get(request, batch_id, act=True)
    who = principal(request)
    seal_services.require_person_for_sealing(who)  # Electronic Signature Law Art. 13
    batches.start_seal_all(batch, user=who, otp_token=payload.otp)
    return Status(202, batch_out(_get(request, batch_id)))
