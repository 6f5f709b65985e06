"""Identity's pages: login (password, TOTP, phone code), enterprises and people, their API
tokens, employees, the registry import and staff accounts. Thin: scope, parse, one service call,
render."""

from __future__ import annotations

import base64
import time

import segno
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accord.core.errors import REQUIRED, AccordError, NotFound, RateLimited
from accord.core.middleware import client_ip
from accord.core.models import AuditEntry
from accord.core.pages import next_url, object_list, page_links, staff_page
from accord.core.roles import (
    AUTHENTICATOR_ROLES,
    BUREAU_ACTS,
    PERSONAL_DATA_ROLES,
    REGISTER_READS,
    Role,
)
from accord.core.scoping import get_scoped, scoped
from accord.identity import accounts, employment, login_intro, services
from accord.identity import auth as auth_services
from accord.identity.errors import IMPORT_TOO_LARGE
from accord.identity.filters import EnterpriseFilter, PersonFilter
from accord.identity.models import ApiToken, Employment, Enterprise, Person, Street, User
from accord.identity.scoping import can_see_personal_data
from accord.identity.selectors import may_act_for

PENDING_TOTP = "accord_pending_totp"
#: Slots of the pages below where higher apps add their links (accord.site.navigation).
ENTERPRISE_LINKS = "identity.enterprise"
EMPLOYMENT_LINKS = "identity.employment"


def login_view(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            user = auth_services.check_password_login(
                request.POST.get("username", ""),
                request.POST.get("password", ""),
                client_ip(request),
            )
        except AccordError as exc:
            error = exc
        else:
            if user.needs_totp:
                request.session[PENDING_TOTP] = {"user": user.pk, "at": time.time()}
                step = "web:login_otp" if auth_services.totp_device(user) else "web:login_enrol"
                return redirect(f"{reverse(step)}?next={next_url(request)}")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            auth_services.record_login(user, "password")
            return redirect(next_url(request))
    return render(
        request,
        "identity/login.html",
        {"error": error, "next": next_url(request)},
        status=error.status if error else 200,
    )


def _pending_totp_user(request: HttpRequest, max_age: int) -> User | None:
    """The user who passed the password step and still owes a one-time code, if recent."""
    pending = request.session.get(PENDING_TOTP)
    if not pending or time.time() - pending["at"] > max_age:
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


def _finish_totp_login(request: HttpRequest, user: User, device, method: str) -> HttpResponse:
    request.session.pop(PENDING_TOTP, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    auth_services.record_login(user, method)
    return redirect(next_url(request))


def login_otp_view(request: HttpRequest) -> HttpResponse:
    user = _pending_totp_user(request, max_age=300)
    if user is None:
        return redirect("web:login")
    error = None
    if request.method == "POST":
        try:
            device = auth_services.check_totp(user, request.POST.get("otp_token", ""))
        except AccordError as exc:
            error = exc
        else:
            return _finish_totp_login(request, user, device, "password+totp")
    return render(
        request,
        "identity/login_otp.html",
        {"error": error, "next": next_url(request)},
        status=error.status if error else 200,
    )


def login_enrol_view(request: HttpRequest) -> HttpResponse:
    """First login of a role that needs TOTP: scan the QR code, prove it with a code."""
    user = _pending_totp_user(request, max_age=600)
    if user is None:
        return redirect("web:login")
    if auth_services.totp_device(user):
        return redirect("web:login_otp")
    device = auth_services.enrolment_device(user)
    error = None
    if request.method == "POST":
        try:
            device = auth_services.confirm_enrolment(user, request.POST.get("otp_token", ""))
        except AccordError as exc:
            error = exc
        else:
            return _finish_totp_login(request, user, device, "password+totp-enrolment")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "identity/login_enrol.html",
        {
            "error": error,
            "next": next_url(request),
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4, title="TOTP"),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
        status=error.status if error else 200,
    )


def phone_login_view(request: HttpRequest) -> HttpResponse:
    """Workers: phone number, then the code texted to it. Works without JavaScript too."""
    error, sent, phone = None, False, request.POST.get("phone", "")
    if request.method == "POST":
        try:
            if "code" in request.POST:
                user = auth_services.login_with_code(phone, request.POST["code"])
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect(next_url(request))
            auth_services.send_login_code(phone, client_ip(request))
            sent = True
        except AccordError as exc:
            error = exc
            # A wrong code, or "resend" tapped too early (429: the code sent before is still
            # valid): the code field stays, with the message beside it.
            sent = (
                "code" in request.POST
                or bool(request.POST.get("resend"))
                or isinstance(exc, RateLimited)
            )
    response = render(
        request,
        "identity/login_phone.html",
        {
            "error": error,
            "sent": sent,
            "phone": phone,
            "next": next_url(request),
            "intro": login_intro.intro_for(request),
        },
        status=error.status if error else 200,
    )
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


@staff_page(*REGISTER_READS)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    return object_list(
        request,
        model=Enterprise,
        filterset_class=EnterpriseFilter,
        title=_("企业"),
        columns=[
            ("name", _("名称")),
            ("uscc", _("统一社会信用代码")),
            ("street", _("街道")),
            ("industry", _("行业")),
            ("size", _("规模")),
        ],
        row_template="identity/rows/enterprise.html",
        detail_url="web:enterprise_detail",
    )


@staff_page(*REGISTER_READS)
def enterprise_detail(request: HttpRequest, public_id) -> HttpResponse:
    return enterprise_detail_page(request, get_scoped(Enterprise, request.user, public_id))


def enterprise_detail_page(
    request: HttpRequest, enterprise: Enterprise, error=None, form=None
) -> HttpResponse:
    user = request.user
    employees = Employment.objects.filter(
        enterprise=enterprise, end_date__isnull=True
    ).select_related("person", "enterprise")[:20]
    history = scoped(AuditEntry, request.user).filter(object_id=str(enterprise.public_id))[:20]
    return render(
        request,
        "identity/enterprise_detail.html",
        {
            "object": enterprise,
            "employees": [(em, page_links(EMPLOYMENT_LINKS, user, em)) for em in employees],
            "history": history,
            "is_hr": may_act_for(user, enterprise, in_its_name=True),
            "links": page_links(ENTERPRISE_LINKS, user, enterprise),
            "can_register": may_act_for(user, enterprise),
            "error": error,
            "form": form or {},
            "today": timezone.localdate(),
            "id_types": Person.IdType.choices,
        },
        status=error.status if error else 200,
    )


@staff_page(*REGISTER_READS)
def person_list(request: HttpRequest) -> HttpResponse:
    return object_list(
        request,
        model=Person,
        filterset_class=PersonFilter,
        title=_("人员"),
        columns=[
            ("name", _("姓名")),
            ("id_number", _("证件号码")),
            ("phone", _("手机")),
            ("level", _("实名认证")),
        ],
        row_template="identity/rows/person.html",
        detail_url="web:person_detail",
    )


@staff_page()
def person_detail(request: HttpRequest, public_id) -> HttpResponse:
    person = get_scoped(Person, request.user, public_id)
    employments = scoped(Employment, request.user).filter(person=person)
    return render(
        request,
        "identity/person_detail.html",
        {
            "object": person,
            "employments": [
                (e, page_links(EMPLOYMENT_LINKS, request.user, e)) for e in employments
            ],
            "verifications": person.verifications.all()[:10],
            "can_reveal": can_see_personal_data(request.user, person),
        },
    )


@staff_page()
@require_POST
def person_reveal(request: HttpRequest, public_id) -> HttpResponse:
    person = get_scoped(Person, request.user, public_id)
    data = services.reveal_personal_data(person, request.user)
    return render(request, "identity/fragments/personal_data.html", {"data": data})


@staff_page()
@require_POST
def person_verify(request: HttpRequest, public_id) -> HttpResponse:
    person = get_scoped(Person, request.user, public_id)
    if not (request.user.has_role(*PERSONAL_DATA_ROLES) or request.user.person_id == person.pk):
        raise NotFound()
    services.verify_person(person)
    return redirect("web:person_detail", public_id=person.public_id)


@staff_page(Role.HR)
def enterprise_tokens(request: HttpRequest, public_id) -> HttpResponse:
    """HR manages the API tokens of its own enterprise; a new token is shown once."""
    enterprise = get_scoped(Enterprise, request.user, public_id)
    if not may_act_for(request.user, enterprise, in_its_name=True):
        raise NotFound()
    created, error = None, None
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                token = get_scoped(
                    ApiToken,
                    request.user,
                    request.POST["revoke"],
                    queryset=enterprise.api_tokens.all(),
                )
                auth_services.revoke_api_token(token)
            else:
                _, created = auth_services.create_api_token(
                    enterprise=enterprise,
                    name=request.POST.get("name", ""),
                    created_by=request.user,
                )
        except AccordError as exc:
            error = exc
    return render(
        request,
        "identity/enterprise_tokens.html",
        {
            "object": enterprise,
            "tokens": enterprise.api_tokens.all(),
            "created": created,
            "error": error,
        },
        status=error.status if error else 200,
    )


@staff_page(*BUREAU_ACTS)
def registry_import(request: HttpRequest) -> HttpResponse:
    """Officers import the trusted resident registry; every bad row is listed, nothing half-imported."""
    result, error = None, None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise REQUIRED(field="file")
            if upload.size > 20 * 1024 * 1024:
                raise IMPORT_TOO_LARGE(field="file")
            result = services.import_registry(
                upload.read(),
                source=upload.name,
                skip_bad_rows=request.POST.get("skip_bad_rows") == "on",
            )
        except AccordError as exc:
            error = exc
    return render(
        request,
        "identity/registry_import.html",
        {"result": result, "error": error},
        status=error.status if error else 200,
    )


@staff_page(Role.HR, *BUREAU_ACTS)
@require_POST
def enterprise_register_employee(request: HttpRequest, public_id) -> HttpResponse:
    enterprise = get_scoped(Enterprise, request.user, public_id)
    if not may_act_for(request.user, enterprise):
        raise NotFound()
    fields = ("name", "id_type", "id_number", "phone", "position", "start_date")
    data = {f: request.POST.get(f, "").strip() for f in fields}
    try:
        employment.register_employee(enterprise, **data)
    except AccordError as exc:
        return enterprise_detail_page(request, enterprise, error=exc, form=data)
    messages.success(request, _("已登记员工 %(name)s。") % {"name": data["name"]})
    return redirect("web:enterprise_detail", public_id=enterprise.public_id)


@staff_page(Role.HR, *BUREAU_ACTS)
@require_POST
def employment_end(request: HttpRequest, public_id) -> HttpResponse:
    record = get_scoped(Employment, request.user, public_id)
    enterprise = record.enterprise
    if not may_act_for(request.user, enterprise):
        raise NotFound()
    try:
        if request.POST.get("confirm") != "on":  # the page asks HR to confirm the date it typed
            raise REQUIRED("confirm")
        employment.end_employment(
            record, request.POST.get("end_date", ""), request.POST.get("reason", "")
        )
    except AccordError as exc:
        return enterprise_detail_page(request, enterprise, error=exc)
    return redirect("web:enterprise_detail", public_id=enterprise.public_id)


@staff_page(Role.ADMIN)
def staff_accounts(request: HttpRequest) -> HttpResponse:
    """Administrators manage staff accounts: create with a role and scope, deactivate, reset TOTP."""
    error, created = None, None
    form = {
        k: request.POST.get(k, "").strip()
        for k in ("username", "name", "role", "enterprise", "street", "organisation")
    }
    if request.method == "POST":
        try:
            target = request.POST.get("user")
            if target:
                user = (
                    User.objects.filter(public_id=target).exclude(memberships__isnull=True).first()
                )
                if user is None or user.pk == request.user.pk:
                    raise NotFound()
                if request.POST.get("op") == "reset_totp":
                    accounts.reset_authenticator(user)
                else:
                    accounts.set_active(user, request.POST.get("op") == "activate")
            else:
                user, password = accounts.create_staff(
                    username=form["username"],
                    role=form["role"],
                    full_name=form["name"],
                    enterprise=form["enterprise"],
                    street=form["street"],
                    organisation=form["organisation"],
                )
                created = {"username": user.username, "password": password}
                form = {}
        except AccordError as exc:
            error = exc
    staff = (
        User.objects.filter(memberships__isnull=False)
        .distinct()
        .order_by("username")
        .prefetch_related(
            "memberships__enterprise", "memberships__street", "memberships__organisation"
        )
    )
    return render(
        request,
        "identity/staff_accounts.html",
        {
            "staff": staff[:500],
            "error": error,
            "created": created,
            "form": form,
            "roles": [(r, Role(r).label) for r in accounts.STAFF_ROLES],
            "streets": Street.objects.all(),
        },
        status=error.status if error else 200,
    )


@staff_page(*AUTHENTICATOR_ROLES)
def account_authenticator(request: HttpRequest) -> HttpResponse:
    """Staff without an authenticator (HR who seal) bind one while logged in: sealing needs a
    fresh second factor (Electronic Signature Law Art. 13, sole control)."""
    user = request.user
    if auth_services.totp_device(user):
        return render(request, "identity/account_authenticator.html", {"enrolled": True})
    device = auth_services.enrolment_device(user)
    error = None
    if request.method == "POST":
        try:
            auth_services.confirm_enrolment(user, request.POST.get("otp_token", ""))
        except AccordError as exc:
            error = exc
        else:
            messages.success(request, _("身份验证器已绑定，盖章时请输入其动态口令。"))
            return redirect(next_url(request))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "identity/account_authenticator.html",
        {
            "enrolled": False,
            "error": error,
            "next": next_url(request),
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4, title="TOTP"),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
        status=error.status if error else 200,
    )
