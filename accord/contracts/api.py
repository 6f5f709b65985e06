"""福易签 API."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from accord.contracts import batch, templates
from accord.contracts.checkup import check_up, request_schema
from accord.contracts.errors import CHECK_RATE_LIMITED
from accord.contracts.models import ContractTemplate, TemplateVersion
from accord.contracts.scoping import can_edit
from accord.core import ratelimit
from accord.core.api import principal
from accord.core.errors import FORBIDDEN, INVALID_REQUEST
from accord.core.middleware import client_ip, json_body
from accord.core.pagination import ListMeta, page_response, paginate
from accord.core.roles import BUREAU_ACTS
from accord.core.scoping import get_scoped, scoped
from accord.identity.models import Enterprise
from accord.identity.selectors import managed_enterprise

router = Router(tags=["contracts"])


class ProblemOut(Schema):
    code: str
    article: str
    message_zh: str
    message_en: str
    field: str
    severity: str


class CheckOut(Schema):
    problems: list[ProblemOut]


@router.post(
    "/contracts/check",
    response=CheckOut,
    auth=None,
    summary="Contract check-up (合同体检): the labour-law problems of a draft",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": request_schema()}},
        },
        "responses": {
            "422": {
                "description": "A malformed or unknown field (contract.unknown_field, "
                "core.invalid_value, core.required, contract.term_type_unknown), each in "
                "``problems`` with its ``field``"
            }
        },
    },
)
def check_contract(request: HttpRequest):
    """Public and rate-limited (60 a minute per address). The body's fields are listed in the
    request schema; any other field is refused (422 ``contract.unknown_field`` naming it). An
    empty ``problems`` list means lawful; ``severity`` is ``error`` (unlawful) or ``warning``.
    See docs/contracts-legal-checks.md for every check and its article.
    """
    ratelimit.hit(
        f"contract-check:{client_ip(request)}",
        limit=60,
        window=60,
        code=CHECK_RATE_LIMITED,
    )
    body = json_body(request)
    if not isinstance(body, dict):
        raise INVALID_REQUEST("body")
    return {"problems": check_up(body)}


class VersionOut(Schema):
    id: UUID
    number: int
    status: str
    title: str
    sections: list[dict]
    body_sha256: str
    published_at: dt.datetime | None


class TemplateOut(Schema):
    id: UUID
    kind: str
    name: str
    enterprise: UUID | None
    versions: list[VersionOut]


class TemplateList(ListMeta):
    results: list[TemplateOut]


class TemplateIn(Schema):
    kind: str
    name: str
    title: str = ""
    sections: list[dict]
    enterprise: UUID | None = None


class VersionIn(Schema):
    title: str
    sections: list[dict]


def _version_out(v: TemplateVersion) -> dict:
    return {
        "id": v.public_id,
        "number": v.number,
        "status": v.status,
        "title": v.title,
        "sections": v.sections,
        "body_sha256": v.body_sha256,
        "published_at": v.published_at,
    }


def _template_out(t: ContractTemplate) -> dict:
    return {
        "id": t.public_id,
        "kind": t.kind,
        "name": t.name,
        "enterprise": t.enterprise.public_id if t.enterprise_id else None,
        "versions": [_version_out(v) for v in t.versions.all()],
    }


def _editable(request: HttpRequest, template: ContractTemplate) -> ContractTemplate:
    if not can_edit(principal(request), template):
        raise FORBIDDEN()
    return template


@router.get("/contract-templates", response=TemplateList)
def list_templates(request: HttpRequest, kind: str = "", page: int = 1, page_size: int = 50):
    qs = scoped(ContractTemplate, principal(request)).prefetch_related("versions")
    if kind:
        qs = qs.filter(kind=kind)
    return page_response(
        paginate(qs.order_by("kind", "name", "id"), page, page_size), _template_out
    )


@router.get("/contract-templates/{template_id}", response=TemplateOut)
def get_template(request: HttpRequest, template_id: str):
    return _template_out(get_scoped(ContractTemplate, principal(request), template_id))


@router.post("/contract-templates", response={201: VersionOut})
def create_template(request: HttpRequest, payload: TemplateIn):
    who = principal(request)
    enterprise = None
    if payload.enterprise is not None:
        enterprise = get_scoped(Enterprise, who, payload.enterprise)
        if enterprise.pk not in who.enterprise_ids:
            raise FORBIDDEN("enterprise")
    elif not who.has_role(*BUREAU_ACTS):
        raise FORBIDDEN("enterprise")
    version = templates.create_template(
        enterprise=enterprise,
        kind=payload.kind,
        name=payload.name,
        title=payload.title,
        sections=payload.sections,
    )
    return Status(201, _version_out(version))


@router.post("/contract-templates/{template_id}/versions", response={201: VersionOut})
def add_version(request: HttpRequest, template_id: str, payload: VersionIn):
    template = _editable(request, get_scoped(ContractTemplate, principal(request), template_id))
    return Status(
        201,
        _version_out(
            templates.new_version(template, title=payload.title, sections=payload.sections)
        ),
    )


@router.post("/template-versions/{version_id}/publish", response=VersionOut)
def publish_version(request: HttpRequest, version_id: str):
    version = get_scoped(TemplateVersion, principal(request), version_id)
    _editable(request, version.template)
    return _version_out(templates.publish(version))


@router.get("/template-versions/{version_id}/preview.pdf")
def preview_version(request: HttpRequest, version_id: str):
    version = get_scoped(TemplateVersion, principal(request), version_id)
    response = HttpResponse(templates.preview(version), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="template-{version.public_id}.pdf"'
    return response


class BatchProblemOut(Schema):
    row: int | None
    column: str | None
    code: str
    article: str | None
    message_zh: str
    message_en: str


class BatchCheckOut(Schema):
    total: int
    valid_rows: int
    bad_rows: list[int]
    problems: list[BatchProblemOut]
    warnings: list[BatchProblemOut]


def _problem_out(p) -> dict:
    return {
        "row": p.row,
        "column": p.column,
        "code": p.code,
        "article": p.article,
        "message_zh": p.message_zh,
        "message_en": p.message_en,
    }


@router.get("/contract-batches/template.xlsx")
def batch_template(request: HttpRequest):
    response = HttpResponse(
        batch.template_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="contract-batch-template.xlsx"'
    return response


@router.post("/enterprises/{enterprise_id}/contract-batches/check", response=BatchCheckOut)
def check_batch(request: HttpRequest, enterprise_id: str, file: UploadedFile = File(...)):
    """Validate a batch spreadsheet: every problem by row, column and article; nothing is sent."""
    managed_enterprise(principal(request), enterprise_id)
    result = batch.check_file(file.read(batch.MAX_BYTES + 1))
    return {
        "total": result.total,
        "valid_rows": len(result.rows),
        "bad_rows": sorted(result.bad_rows),
        "problems": [_problem_out(p) for p in result.problems],
        "warnings": [_problem_out(p) for p in result.warnings],
    }
