"""HTTP faces of the PKI and the TSA, and the public /verify page. Thin: the rules live elsewhere.

The PKI endpoints are public by design (RFC 5280 / 6960 / 3161 clients fetch them
anonymously) and answer only in the protocols' own formats.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accord.core import ratelimit
from accord.core.errors import AccordError, RateLimited
from accord.core.middleware import client_ip
from accord.ledger import bundle as bundles
from accord.ledger import checkpoints, merkle
from accord.ledger import services as ledger_services
from accord.ledger.models import Witness
from accord.signing import pki, untrusted, verdict
from accord.signing import tsa as tsa_service
from accord.signing.errors import FILE_MISSING, PROTOCOL_RATE_LIMITED, PROVIDER_UNKNOWN
from accord.signing.models import Certificate, Signature

_MAX_PROTOCOL_BODY = 64 * 1024


def _body(request: HttpRequest) -> bytes | None:
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    return body if len(body) <= _MAX_PROTOCOL_BODY else None


def _over_budget(kind: str, request: HttpRequest) -> HttpResponse | None:
    """The public protocol endpoints answer anyone within a per-address budget; past it, a
    plain 429 (their clients read no JSON) with Retry-After."""
    per_minute = getattr(settings, "ACCORD_PROTOCOL_REQUESTS_PER_MINUTE", 120)
    try:
        ratelimit.hit(
            f"{kind}:{client_ip(request) or 'unknown'}", per_minute, 60, code=PROTOCOL_RATE_LIMITED
        )
    except RateLimited as limited:
        response = HttpResponse("too many requests", status=429, content_type="text/plain")
        response["Retry-After"] = str(limited.retry_after)
        return response
    return None


@csrf_exempt
def tsa(request: HttpRequest) -> HttpResponse:
    """RFC 3161 over HTTP: POST application/timestamp-query, answer application/timestamp-reply."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.content_type != "application/timestamp-query":
        return HttpResponse(
            "expected application/timestamp-query", status=415, content_type="text/plain"
        )
    limited = _over_budget("tsa", request)
    if limited is not None:
        return limited
    body = _body(request)
    if body is None:
        return HttpResponse("request too large", status=413, content_type="text/plain")
    return HttpResponse(tsa_service.respond(body), content_type="application/timestamp-reply")


@csrf_exempt
def ocsp(request: HttpRequest, encoded: str = "") -> HttpResponse:
    """RFC 6960: POST application/ocsp-request, or GET with the request base64 in the path."""
    limited = _over_budget("ocsp", request)
    if limited is not None:
        return limited
    if request.method == "POST":
        body = _body(request)
        if body is None:
            return HttpResponse("request too large", status=413, content_type="text/plain")
    elif request.method == "GET" and encoded:
        try:
            body = base64.b64decode(
                encoded.replace("%2F", "/").replace("%2B", "+").replace("%3D", "="), validate=False
            )
        except (binascii.Error, ValueError):
            body = b""
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    response = HttpResponse(pki.ocsp_response_der(body), content_type="application/ocsp-response")
    response["Cache-Control"] = "max-age=300, public, no-transform, must-revalidate"
    return response


def _ca(serial: str) -> Certificate:
    ca = Certificate.objects.filter(
        serial=serial.lower(), kind__in=[Certificate.Kind.ROOT, Certificate.Kind.ISSUING]
    ).first()
    if ca is None:
        raise Http404
    return ca


@require_GET
@cache_control(max_age=3600, public=True)
def crl(request: HttpRequest, serial: str) -> HttpResponse:
    return HttpResponse(pki.crl_der(_ca(serial)), content_type="application/pkix-crl")


@require_GET
@cache_control(max_age=86400, public=True)
def ca_certificate(request: HttpRequest, serial: str) -> HttpResponse:
    return HttpResponse(bytes(_ca(serial).der), content_type="application/pkix-cert")


@require_GET
@cache_control(max_age=86400, public=True)
def root_certificate(request: HttpRequest) -> HttpResponse:
    """The trust anchor to import (also linked from /verify and docs/signing.md)."""
    response = HttpResponse(bytes(pki.root().der), content_type="application/pkix-cert")
    response["Content-Disposition"] = 'attachment; filename="accord-root-ca.cer"'
    return response


def _ledger_proof(index: int) -> dict:
    """The signature's evidence-ledger entry, proved: the same check an outside verifier makes
    with the bundle (docs/ledger.md), here with the keys this server publishes."""
    try:
        bundle = ledger_services.bundle_for(index=index)
        witness_keys = list(Witness.objects.filter(active=True).values_list("vkey", flat=True))
        proved = bundles.verify_bundle(
            bundle, checkpoints.log_verifier().vkey, witness_keys, quorum=0
        )
    except (AccordError, bundles.BundleError) as exc:
        return {"ok": False, "index": index, "reason": getattr(exc, "message_zh", str(exc))}
    leaf = merkle.leaf_hash(proved.data).hex()
    return {
        "ok": True,
        "index": proved.index,
        "tree_size": proved.tree_size,
        "witnesses": sorted(proved.cosigned_by),
        "leaf_hash": leaf,
    }


def report_context(report, *, public: bool = False) -> dict:
    """The verdict of a verified file for people (``signing.verdict``), and its ledger entry
    when we signed it (page and API). ``public``: looked up by number, names masked."""
    record = Signature.objects.filter(output_sha256=report.sha256).first()
    context: dict = {
        "verdict": verdict.build(report, public=public),
        "ledger_index": record.ledger_index if record else None,
    }
    if record is not None and record.ledger_index is not None:
        context["ledger"] = _ledger_proof(record.ledger_index)
    return context


def verify_page(request: HttpRequest) -> HttpResponse:
    """Public verification: upload a PDF, or give a document's number, and see every signature
    and what it proves. By number, the stored signed file is verified; its content is not shown."""
    from accord.signing import lookup
    from accord.signing.verify import verify_pdf

    context: dict = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = FILE_MISSING("file")
        else:
            try:
                untrusted.count_upload(client_ip(request))
                data = untrusted.read_upload(upload)
                untrusted.check_untrusted_pdf(data)
                context["report"] = report = verify_pdf(data)
            except AccordError as exc:
                context["error"] = exc
            else:
                context.update(report_context(report))
    elif request.method == "GET" and "number" in request.GET:
        context["number"] = request.GET["number"]
        try:
            document = lookup.find_for_public(request.GET["number"], client_ip(request))
            context["report"] = report = verify_pdf(document.pdf)
        except AccordError as exc:
            context["error"] = exc
        else:
            context["document"] = document
            context.update(report_context(report, public=True))
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    error = context.get("error")
    status = 200
    if error is not None:
        # An upload that is not a signed PDF answers 422; a number: not found, too many, …
        status = error.status if "number" in context or error.status != 400 else 422
    response = render(request, "signing/verify.html", context, status=status)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, name: str) -> HttpResponse:
    """A remote provider's or a vendor's event; authenticated by its signature, not a session."""
    from accord.signing.remote import remote_providers
    from accord.signing.vendors import VENDORS, vendor

    if name in VENDORS:
        result = vendor(name).handle_webhook(request.body, request.headers)
        return JsonResponse({"code": "0", "msg": "success", "status": result.status})
    remote = remote_providers().get(name)
    if remote is None:
        raise PROVIDER_UNKNOWN()
    result = remote.handle_webhook(request.body, request.headers.get("X-Vendor-Signature", ""))
    return JsonResponse({"request_id": result.request_id, "status": result.status})
