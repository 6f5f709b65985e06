"""Batch pages: upload a spreadsheet, see every problem by row/column/article, start the sending
and follow it on a progress bar, and seal the batch's envelopes with one code (批量盖章)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accord.contracts import batch as sheet
from accord.contracts.models import LABOUR_CONTRACT_KINDS, TemplateVersion
from accord.core.errors import REQUIRED, AccordError
from accord.core.pages import staff_page
from accord.core.roles import ENTERPRISE_RECORD_READS
from accord.core.scoping import scoped
from accord.envelopes import batches
from accord.envelopes.models import Batch, Envelope
from accord.identity.models import Enterprise
from accord.identity.selectors import may_act_for

BATCH_ROLES = tuple(ENTERPRISE_RECORD_READS)
HTMX_STOP_POLLING = 286  # htmx stops an `every 2s` trigger on this status


def _enterprise(request: HttpRequest, public_id, *, act: bool = False) -> Enterprise:
    return batches.enterprise_for_batches(request.user, public_id, act=act)


def _batch(request: HttpRequest, public_id, *, act: bool = False) -> Batch:
    return batches.batch_for(request.user, public_id, act=act)


def _versions(enterprise: Enterprise):
    return (
        TemplateVersion.objects.filter(
            status=TemplateVersion.Status.PUBLISHED, template__kind__in=LABOUR_CONTRACT_KINDS
        )
        .filter(Q(template__enterprise__isnull=True) | Q(template__enterprise=enterprise))
        .select_related("template")
        .order_by("template__enterprise_id", "template__code", "-number")
    )


@staff_page(*BATCH_ROLES)
def batch_list(request: HttpRequest, public_id) -> HttpResponse:
    enterprise = _enterprise(request, public_id)
    items = scoped(Batch, request.user).filter(enterprise=enterprise).order_by("-created_at")[:100]
    return render(
        request,
        "envelopes/batch/list.html",
        {
            "enterprise": enterprise,
            "batches": [(b, batches.progress(b)) for b in items],
            "can_manage": may_act_for(request.user, enterprise),
        },
    )


@staff_page(*BATCH_ROLES)
def batch_new(request: HttpRequest, public_id) -> HttpResponse:
    enterprise = _enterprise(request, public_id, act=True)
    versions = list(_versions(enterprise))
    error, form = None, {"deadline_days": "7"}
    if request.method == "POST":
        form = {
            "template_version": request.POST.get("template_version", ""),
            "deadline_days": request.POST.get("deadline_days", "7"),
            "skip_bad_rows": request.POST.get("skip_bad_rows") == "on",
        }
        upload = request.FILES.get("file")
        try:
            version = next(
                (v for v in versions if str(v.public_id) == form["template_version"]), None
            )
            if version is None:
                raise REQUIRED("template_version")
            if upload is None:
                raise REQUIRED("file")
            try:
                days = int(form["deadline_days"] or 7)
            except ValueError:
                days = 0  # refused below with the allowed range
            batch, created = batches.upload(
                enterprise,
                data=upload.read(batches.sheet.MAX_BYTES + 1),
                file_name=upload.name or "",
                version=version,
                user=request.user,
                skip_bad_rows=form["skip_bad_rows"],
                deadline_days=days,
            )
        except AccordError as exc:
            error = exc
        else:
            if not created:
                messages.info(
                    request,
                    _("这个文件已经上传过（同一模板版本），以下是当时的批次，不会重复发送。"),
                )
            return redirect("envelopes:batch_detail", public_id=batch.public_id)
    return render(
        request,
        "envelopes/batch/new.html",
        {"enterprise": enterprise, "versions": versions, "error": error, "form": form},
        status=error.status if error else 200,
    )


RESULT_ROWS = 200  # envelopes listed on the page; the API lists them all


def _detail_context(request: HttpRequest, batch: Batch) -> dict:
    progress = batches.progress(batch)
    can_manage = may_act_for(request.user, batch.enterprise)
    polling = _polling(batch)
    sending = batch.status in (Batch.Status.QUEUED, Batch.Status.SENDING)
    results = list(
        Envelope.objects.filter(batch=batch)
        .select_related("person")
        .order_by("id")[: RESULT_ROWS + 1]
    )
    return {
        "batch": batch,
        "p": progress,
        "started": batch.status != Batch.Status.CHECKED or batch.started_at is not None,
        "problems": [
            p | {"column_label": sheet.column_label(p.get("column"))}
            for p in batches.sorted_problems(batch)[:1000]
        ],
        "problems_count": len(batch.problems),
        "can_manage": can_manage,
        # The button is drawn from the policy's decision: disabled, with the reason, when the
        # batch cannot be sent (policy.batch_start).
        "start": batches.start_decision(batch) if can_manage else None,
        # The seal form once sending has finished (typing a code into a polled fragment would
        # lose it); while sending, the count of contracts already waiting.
        "ready_to_seal": batches.ready_to_seal(batch).count() if can_manage and batch.sent else 0,
        "seal_form": can_manage and not polling and not sending,
        "seal": batches.seal_progress(batch),
        "polling": polling,
        "results": results[:RESULT_ROWS],
        "results_more": len(results) > RESULT_ROWS,
        "identity": batch.identity or {},
        "identity_rows": sorted(
            [(line, "mismatch") for line in (batch.identity or {}).get("mismatch", [])]
            + [(line, "unknown") for line in (batch.identity or {}).get("unknown", [])]
        )[:1000],
    }


def _polling(batch: Batch) -> bool:
    seal = batches.seal_progress(batch) or {}
    return batch.status in (Batch.Status.QUEUED, Batch.Status.SENDING) or seal.get("status") in (
        "queued",
        "sealing",
    )


@staff_page(*BATCH_ROLES)
def batch_detail(request: HttpRequest, public_id) -> HttpResponse:
    batch = _batch(request, public_id)
    return render(request, "envelopes/batch/detail.html", _detail_context(request, batch))


@staff_page(*BATCH_ROLES)
def batch_progress(request: HttpRequest, public_id) -> HttpResponse:
    """The progress fragment polled every 2 s; answers 286 (htmx: stop polling) once finished."""
    batch = _batch(request, public_id)
    ctx = _detail_context(request, batch)
    response = render(request, "envelopes/batch/_progress.html", ctx)
    if not ctx["polling"]:
        response.status_code = HTMX_STOP_POLLING
    return response


@staff_page(*BATCH_ROLES)
@require_POST
def batch_start(request: HttpRequest, public_id) -> HttpResponse:
    batch = _batch(request, public_id, act=True)
    try:
        batches.start(batch, user=request.user)
    except AccordError as exc:
        batch.refresh_from_db()
        ctx = _detail_context(request, batch) | {"error": exc}
        return render(request, "envelopes/batch/detail.html", ctx, status=exc.status)
    return redirect("envelopes:batch_detail", public_id=batch.public_id)


@staff_page(*BATCH_ROLES)
@require_POST
def batch_seal(request: HttpRequest, public_id) -> HttpResponse:
    batch = _batch(request, public_id, act=True)
    try:
        batches.start_seal_all(batch, user=request.user, otp_token=request.POST.get("otp", ""))
    except AccordError as exc:
        ctx = _detail_context(request, batch) | {"seal_error": exc}
        return render(request, "envelopes/batch/detail.html", ctx, status=exc.status)
    return redirect("envelopes:batch_detail", public_id=batch.public_id)
