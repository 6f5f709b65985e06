"""The worker on a phone: SMS link → code login → real-name check → read → consent → draw →
code → signed → download; and "my documents" from every employer (LCL Art. 16).

Every step is server state (Party: read_pages, consent_at, signature_image, intent, status), so
a signing interrupted by a dropped connection reopens exactly where it stopped. Pages are thin:
the rules are in ``accord.envelopes.services``; errors are AccordErrors shown inline (zh + en,
with the field), never a 500.
"""

from __future__ import annotations

import itertools
from functools import wraps
from urllib.parse import quote

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import INVALID_NUMBER, AccordError, NotFound
from accord.core.middleware import wants_json
from accord.core.pagination import paginate
from accord.core.scoping import get_scoped, scoped
from accord.envelopes import errors, pages, policy, services
from accord.envelopes.http import pdf_response
from accord.envelopes.models import Envelope, Party
from accord.identity.login_intro import LoginIntro

SESSION_PARTY = "accord_signing_party"
VERIFIED_LEVELS = policy.VERIFIED_LEVELS
STEPS = ("verify", "read", "draw", "code", "done")
STEP_LABELS = {
    "verify": _("实名认证"),
    "read": _("阅读并同意"),
    "draw": _("手写签名"),
    "code": _("验证码确认"),
    "done": _("完成"),
}


def _phone_login(next_url: str) -> HttpResponse:
    return redirect(f"{reverse('web:login_phone')}?next={quote(next_url)}")


def worker_page(view):
    """A logged-in person's page; anyone else is sent to the phone login and comes back."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or (user.needs_totp and not user.is_verified()):
            return _phone_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _my_party(request: HttpRequest, party_id) -> Party:
    """The user's own personal party; anybody else's is a 404 (never leak its existence)."""
    person_id = getattr(request.user, "person_id", None)
    party = (
        Party.objects.select_related("envelope__enterprise", "person", "intent")
        .filter(public_id=party_id, person_id=person_id, role__in=Party.PERSONAL_ROLES)
        .first()
        if person_id
        else None
    )
    if party is None:
        raise NotFound()
    return party


def _sign_url(party: Party) -> str:
    return reverse("envelopes:worker_sign", args=[party.public_id])


# ---- the SMS link ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """``/s/<token>``: the link texted to the signer. A used, ended or unknown link is refused
    with a page that says why; otherwise the signer logs in by phone and lands on the signing
    page. POST logs out whoever is logged in (another person) and starts again."""
    try:
        party = services.party_for_link(token)
    except NotFound:
        return render(request, "envelopes/worker/link_unknown.html", status=404)
    envelope = party.envelope
    state = policy.link_state(party)
    if state == "used":
        # A link reused after completion: the document is in "my documents" (LCL Art. 16).
        return render(
            request, "envelopes/worker/link_used.html", {"envelope": envelope}, status=409
        )
    if state == "ended":
        return render(
            request, "envelopes/worker/link_ended.html", {"envelope": envelope}, status=409
        )
    if request.method == "POST":
        logout(request)
    user = request.user
    if user.is_authenticated:
        if user.person_id is not None and user.person_id == party.person_id:
            return redirect(_sign_url(party))
        # Nobody signs for somebody else (Electronic Signature Law Art. 13): say so plainly.
        return render(request, "envelopes/worker/link_other.html", {"token": token}, status=403)
    request.session[SESSION_PARTY] = str(party.public_id)
    return _phone_login(_sign_url(party))


def login_intro(request: HttpRequest) -> LoginIntro | None:
    """What the phone login names for someone who came by a signing link: the enterprise and
    the document (not the worker's name: whoever holds the phone has not logged in yet)."""
    party_id = request.session.get(SESSION_PARTY)
    if not party_id:
        return None
    party = (
        Party.objects.select_related("envelope__enterprise")
        .filter(public_id=party_id, role__in=Party.PERSONAL_ROLES)
        .first()
    )
    if party is None or policy.link_state(party) != "open":
        return None
    envelope = party.envelope
    first = envelope.documents.order_by("position").first()
    deadline = envelope.deadline
    return LoginIntro(
        enterprise=envelope.enterprise.name,
        document=first.name if first else envelope.get_kind_display(),
        number=envelope.number,
        deadline=timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M") if deadline else "",
    )


# ---- the signing page --------------------------------------------------------------------------


def _context(request: HttpRequest, party: Party, error: AccordError | None = None) -> dict:
    envelope = party.envelope
    documents = list(envelope.documents.all())
    refs = pages.page_refs(documents)
    total = len(refs)
    step = policy.signing_step(party)
    if step == "code" and request.GET.get("redraw"):
        step = "draw"
    next_doc, code_sent = None, False
    if step == "code":
        next_doc = services.next_unsigned_document(party)
        intent = party.intent
        code_sent = (
            intent is not None
            and intent.document_sha256 == next_doc.current_sha256
            and intent.status == intent.Status.PENDING
        )
    texts = services.reading_texts(party, documents)
    # The text to read is the default on a phone; the page images are one tap away.
    view = "pages" if request.GET.get("view") == "pages" or not texts else "text"
    return {
        "party": party,
        "envelope": envelope,
        "enterprise": envelope.enterprise,
        "documents": documents,
        "texts": texts,
        "view": view,
        "pages": refs,
        "total_pages": total,
        "read_pages": min(party.read_pages, total),
        "first_unread": min(party.read_pages + 1, total),
        "step": step,
        "step_index": STEPS.index(step) + 1 if step in STEPS else None,
        "steps": [(key, STEP_LABELS[key]) for key in STEPS],
        "error": error,
        "consent_text": services.CONSENT_TEXT,
        "next_doc": next_doc,
        "doc_count": len(documents),
        "code_sent": code_sent,
        "page_size": pages.A4_SIZE,
        "person": party.person,
    }


def _require_turn_came(party: Party) -> None:
    policy.can_view_signing_page(party).enforce()


@require_GET
@never_cache  # reopening always shows the server's state: where the signing stopped
@worker_page
def sign_page(request: HttpRequest, party_id) -> HttpResponse:
    party = _my_party(request, party_id)
    _require_turn_came(party)
    return render(request, "envelopes/worker/sign.html", _context(request, party))


def _act(request: HttpRequest, party_id, action, anchor: str) -> HttpResponse:
    """Run one step; on success back to the page (POST/redirect/GET), on an error the same page
    again with the error at its step and the error's status."""
    party = _my_party(request, party_id)
    _require_turn_came(party)
    try:
        result = action(party)
    except AccordError as exc:
        if wants_json(request):
            raise
        party = _my_party(request, party_id)
        response = render(
            request, "envelopes/worker/sign.html", _context(request, party, exc), status=exc.status
        )
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(result, HttpResponse):
        return result
    return redirect(f"{_sign_url(party)}#{anchor}")


@require_POST
@worker_page
def verify_identity(request: HttpRequest, party_id) -> HttpResponse:
    """First-time real-name check against the resident registry (the same check as the home
    page's); a person signs only once verified (Electronic Signature Law Art. 13)."""

    def do(party: Party):
        services.verify_signer(party)

    return _act(request, party_id, do, "step-read")


@require_POST
@worker_page
def record_read(request: HttpRequest, party_id) -> HttpResponse:
    """Pages 1..n have been on screen (the page's script posts as the worker scrolls)."""
    party = _my_party(request, party_id)
    if party.status not in (Party.Status.READY, Party.Status.SIGNED):
        raise NotFound()
    try:
        seen = int(request.POST.get("pages", "0"))
    except ValueError:
        raise INVALID_NUMBER("pages") from None
    party = services.record_view(party, seen)
    total = services.total_pages(party.envelope)
    if wants_json(request) or request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse({"read_pages": min(party.read_pages, total), "total": total})
    return redirect(f"{_sign_url(party)}#step-read")


@require_POST
@worker_page
def consent(request: HttpRequest, party_id) -> HttpResponse:
    """The worker agrees to the electronic form (MOHRSS 2021 No. 54), after reading every page."""

    def do(party: Party):
        seen = request.POST.get("pages_seen", "")
        services.record_consent(
            party,
            agree=bool(request.POST.get("agree")),
            # The page's script counts the pages seen; its last report may still be on its way.
            pages_seen=int(seen) if seen.isdigit() else None,
            # Without JavaScript nobody counts the pages seen: the worker says so instead.
            read_all=bool(request.POST.get("read_all")),
        )

    return _act(request, party_id, do, "step-draw")


@require_POST
@worker_page
def save_signature(request: HttpRequest, party_id) -> HttpResponse:
    """The drawn signature (PNG from the canvas) or, without drawing, the typed name rendered."""

    def do(party: Party):
        drawn = request.POST.get("png_base64", "").strip()
        typed = request.POST.get("typed_name", "").strip()
        if drawn:
            services.save_signature_image(party, services.decode_png(drawn, "signature"))
        elif typed:
            services.save_typed_signature(party, typed)
        else:
            raise errors.SIGNATURE_IMAGE_REQUIRED("signature")

    return _act(request, party_id, do, "step-code")


@require_GET
@worker_page
def signature_image(request: HttpRequest, party_id) -> HttpResponse:
    party = _my_party(request, party_id)
    if not party.signature_image:
        raise NotFound()
    response = HttpResponse(bytes(party.signature_image), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@worker_page
def send_code(request: HttpRequest, party_id) -> HttpResponse:
    """A code texted to the signer, bound to the exact document (Electronic Signature Law
    Art. 13); the sending limits are the signing service's."""
    return _act(request, party_id, services.request_code, "step-code")


@require_POST
@worker_page
def sign(request: HttpRequest, party_id) -> HttpResponse:
    def do(party: Party):
        services.sign_personal(party, code=request.POST.get("code", ""), user=request.user)
        return None

    return _act(request, party_id, do, "step-done")


@require_POST
@worker_page
def reject(request: HttpRequest, party_id) -> HttpResponse:
    def do(party: Party):
        services.reject(party, reason=request.POST.get("reason", ""), user=request.user)
        return None

    return _act(request, party_id, do, "main")


@require_GET
@worker_page
def page_png(request: HttpRequest, party_id, number: int) -> HttpResponse:
    """One page image of the document, for a party whose turn has come (may_see_document)."""
    party = _my_party(request, party_id)
    envelope = party.envelope
    if not services.may_see_document(request.user, envelope):
        raise NotFound()
    refs = pages.page_refs(list(envelope.documents.all()))
    if not 1 <= number <= len(refs):
        raise NotFound()
    ref = refs[number - 1]
    data = pages.page_image(ref.document.current_sha256, ref.page)
    response = HttpResponse(data, content_type="image/png")
    # The URL does not change when a new signed version is stored, so keep it private and let
    # the browser ask again after a day at most (the content is the same document's page).
    response["Cache-Control"] = "private, max-age=86400"
    return response


# ---- my documents ------------------------------------------------------------------------------


def _my_envelopes(user):
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return Envelope.objects.none()
    return (
        scoped(Envelope, user)
        .filter(parties__person_id=person_id)
        .distinct()
        .select_related("enterprise")
        .prefetch_related("documents", "parties")
        .order_by("enterprise__name", "enterprise_id", "-created_at", "-id")
    )


@require_GET
@never_cache
@worker_page
def my_documents(request: HttpRequest) -> HttpResponse:
    """Every document from every employer, closed enterprises included, downloadable free at
    any time (LCL Art. 16) and each verifiable by its number at /verify."""
    page = paginate(_my_envelopes(request.user), request.GET.get("page"), 50)
    person_id = request.user.person_id
    rows = []
    for envelope in page.items:
        mine = next(
            (
                p
                for p in envelope.parties.all()
                if p.person_id == person_id and p.role in Party.PERSONAL_ROLES
            ),
            None,
        )
        rows.append(
            {
                "envelope": envelope,
                "party": mine,
                "documents": [
                    {"doc": d, "signed": d.current_sha256 != d.original_sha256}
                    for d in envelope.documents.all()
                ],
                "date": envelope.completed_at or envelope.ended_at or envelope.sent_at,
                "to_sign": mine is not None and policy.can_act_as_party(mine).allowed,
            }
        )
    groups = [
        (enterprise, list(items))
        for enterprise, items in itertools.groupby(rows, key=lambda r: r["envelope"].enterprise)
    ]
    return render(request, "envelopes/worker/documents.html", {"groups": groups, "page": page})


@require_GET
@worker_page
def my_document_pdf(request: HttpRequest, envelope_id, position: int) -> HttpResponse:
    """The worker's copy (LCL Art. 16): the same rules and audit entry as the API download."""
    envelope = get_scoped(Envelope, request.user, envelope_id)
    if services.party_of(request.user, envelope) is None:
        raise NotFound()
    return pdf_response(request, services.document_download(request.user, envelope, position))
