"""Pages. Thin: they call services and scoping, and render templates."""

from __future__ import annotations

import base64
import time
from functools import wraps

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login

from accord.core.errors import AccordError, NotFound, PermissionDenied
from accord.core.middleware import client_ip
from accord.core.models import AuditEntry, Notification, SmsMessage
from accord.core.pagination import paginate
from accord.core.scoping import get_scoped, scoped
from accord.identity import accounts, employment, services
from accord.identity import auth as auth_services
from accord.identity.filters import EnterpriseFilter, PersonFilter
from accord.identity.models import ApiToken, Employment, Enterprise, Person, Role, Street, User
from accord.identity.scoping import can_see_personal_data, manages_enterprise
from accord.identity.summary import bureau_summary

PENDING_TOTP = "accord_pending_totp"


def staff_page(*roles: str):
    """A page for logged-in users (with TOTP passed where the role needs it), optionally by role."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or (user.needs_totp and not user.is_verified()):
                return redirect(f"{reverse('web:login')}?next={request.get_full_path()}")
            if roles and not user.has_role(*roles):
                raise NotFound()
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"


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
                return redirect(f"{reverse(step)}?next={_next_url(request)}")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            auth_services.record_login(user, "password")
            return redirect(_next_url(request))
    return render(
        request,
        "web/login.html",
        {"error": error, "next": _next_url(request)},
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
    return redirect(_next_url(request))


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
        "web/login_otp.html",
        {"error": error, "next": _next_url(request)},
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
        "web/login_enrol.html",
        {
            "error": error,
            "next": _next_url(request),
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
                return redirect(_next_url(request))
            auth_services.send_login_code(phone, client_ip(request))
            sent = True
        except AccordError as exc:
            error = exc
            sent = "code" in request.POST
    return render(
        request,
        "web/login_phone.html",
        {"error": error, "sent": sent, "phone": phone, "next": _next_url(request)},
        status=error.status if error else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


@staff_page()
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    ctx: dict = {"role": user.primary_role}
    if user.has_role(Role.ADMIN, Role.BUREAU_OFFICER, Role.AUDITOR, Role.STREET_OFFICER):
        ctx.update(bureau_summary(user, get_language()))
    if user.has_role(Role.HR):
        ctx["my_enterprises"] = Enterprise.objects.filter(
            pk__in=user.enterprise_ids
        ).select_related("street")
        ctx["employee_count"] = Employment.objects.filter(
            enterprise_id__in=user.enterprise_ids, end_date__isnull=True
        ).count()
    if user.person_id:
        ctx["my_employments"] = (
            Employment.objects.filter(person_id=user.person_id)
            .select_related("enterprise")
            .order_by("-start_date")
        )
        ctx["me"] = user.person
    if user.has_role(Role.MEDIATOR):
        ctx["organisations"] = [m.organisation for m in user.memberships_list if m.organisation_id]
    if user.has_role(Role.AUDITOR, Role.ADMIN):
        ctx["recent_audit"] = AuditEntry.objects.all()[:10]
    ctx["unread"] = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return render(request, "web/home.html", ctx)


LIST_ROLES = (Role.ADMIN, Role.BUREAU_OFFICER, Role.AUDITOR, Role.STREET_OFFICER, Role.HR)


def object_list(
    request: HttpRequest,
    *,
    model,
    filterset_class,
    title: str,
    columns: list[tuple[str, str]],
    row_template: str,
    detail_url: str,
) -> HttpResponse:
    """The one shape of every list page: filter form, table (cards on a phone), pagination."""
    fs = filterset_class(request.GET, queryset=scoped(model, request.user))
    page = paginate(fs.qs if fs.is_valid() else model.objects.none(), request.GET.get("page"), 50)
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "title": title,
        "filter": fs,
        "page": page,
        "columns": columns,
        "row_template": row_template,
        "detail_url": detail_url,
        "query": query.urlencode(),
    }
    template = "web/object_list_rows.html" if request.htmx else "web/object_list.html"
    return render(request, template, ctx)


@staff_page(*LIST_ROLES)
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
        row_template="web/rows/enterprise.html",
        detail_url="web:enterprise_detail",
    )


@staff_page(*LIST_ROLES)
def enterprise_detail(request: HttpRequest, public_id) -> HttpResponse:
    return enterprise_detail_page(request, get_scoped(Enterprise, request.user, public_id))


def enterprise_detail_page(
    request: HttpRequest, enterprise: Enterprise, error=None, form=None
) -> HttpResponse:
    employees = Employment.objects.filter(
        enterprise=enterprise, end_date__isnull=True
    ).select_related("person")[:20]
    history = scoped(AuditEntry, request.user).filter(object_id=str(enterprise.public_id))[:20]
    return render(
        request,
        "web/enterprise_detail.html",
        {
            "object": enterprise,
            "employees": employees,
            "history": history,
            "is_hr": enterprise.pk in request.user.enterprise_ids,
            "can_read_workspace": enterprise.pk in request.user.enterprise_ids
            or request.user.has_role(Role.ADMIN, Role.BUREAU_OFFICER, Role.AUDITOR),
            "can_register": manages_enterprise(request.user, enterprise),
            "error": error,
            "form": form or {},
            "today": timezone.localdate(),
            "id_types": Person.IdType.choices,
        },
        status=error.status if error else 200,
    )


@staff_page(*LIST_ROLES)
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
        row_template="web/rows/person.html",
        detail_url="web:person_detail",
    )


@staff_page()
def person_detail(request: HttpRequest, public_id) -> HttpResponse:
    person = get_scoped(Person, request.user, public_id)
    employments = scoped(Employment, request.user).filter(person=person)
    return render(
        request,
        "web/person_detail.html",
        {
            "object": person,
            "employments": employments,
            "timeline_ids": {
                e.pk
                for e in employments
                if e.enterprise_id in request.user.enterprise_ids
                or request.user.has_role(Role.ADMIN, Role.BUREAU_OFFICER, Role.AUDITOR)
            },
            "verifications": person.verifications.all()[:10],
            "can_reveal": can_see_personal_data(request.user, person),
        },
    )


@staff_page()
@require_POST
def person_reveal(request: HttpRequest, public_id) -> HttpResponse:
    person = get_scoped(Person, request.user, public_id)
    if not can_see_personal_data(request.user, person):
        raise PermissionDenied(
            "auth.forbidden",
            "您的角色无权查看完整证件号码。",
            "Your role may not see the full document number.",
        )
    data = services.reveal_personal_data(person)
    return render(request, "web/fragments/personal_data.html", {"data": data})


@staff_page()
@require_POST
def person_verify(request: HttpRequest, public_id) -> HttpResponse:
    person = get_scoped(Person, request.user, public_id)
    if not (
        request.user.has_role(Role.ADMIN, Role.BUREAU_OFFICER, Role.HR)
        or request.user.person_id == person.pk
    ):
        raise NotFound()
    services.verify_person(person)
    return redirect("web:person_detail", public_id=person.public_id)


@staff_page(Role.ADMIN, Role.AUDITOR, Role.HR)
def audit_list(request: HttpRequest) -> HttpResponse:
    qs = scoped(AuditEntry, request.user)
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    page = paginate(qs, request.GET.get("page"), 50)
    return render(request, "web/audit_list.html", {"page": page, "action": action})


@staff_page()
def inbox(request: HttpRequest) -> HttpResponse:
    notes = Notification.objects.filter(recipient=request.user)[:100]
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return render(request, "web/inbox.html", {"notes": notes})


@require_GET
def dev_sms(request: HttpRequest) -> HttpResponse:
    """The local SMS gateway's phone screen: only when DEBUG, so developers can log in as workers."""
    if not settings.DEBUG:
        raise Http404
    return render(request, "web/dev_sms.html", {"messages_list": SmsMessage.objects.all()[:50]})


@require_POST
def large_type(request: HttpRequest) -> HttpResponse:
    response = redirect(_next_url(request))
    on = request.COOKIES.get("large_type") != "1"
    response.set_cookie("large_type", "1" if on else "0", max_age=365 * 86400, samesite="Lax")
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers, and the task queue can be reached."""
    status: dict = {"database": "ok", "queue": "ok"}
    code = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        status["database"], code = f"error: {type(exc).__name__}", 503
    try:
        status["queue_detail"] = _queue_status()
    except Exception as exc:
        status["queue"], code = f"error: {type(exc).__name__}", 503
    status["streets"] = Street.objects.count() if status["database"] == "ok" else None
    return JsonResponse(status, status=code)


def _queue_status() -> dict:
    backend = settings.TASKS["default"]["BACKEND"]
    if backend.startswith("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        ready = DBTaskResult.objects.filter(status="READY")
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        return {
            "backend": "database",
            "ready": ready.count(),
            "oldest_ready_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
        }
    if backend.startswith("django_tasks_rq"):
        import django_rq

        conn = django_rq.get_connection("default")
        conn.ping()
        return {"backend": "rq", "ready": django_rq.get_queue("default").count}
    return {"backend": backend.rsplit(".", 1)[-1]}


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    from accord.core.middleware import error_response

    return error_response(request, NotFound())


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "web/500.html", status=500)


@staff_page(Role.HR)
def enterprise_tokens(request: HttpRequest, public_id) -> HttpResponse:
    """HR manages the API tokens of its own enterprise; a new token is shown once."""
    enterprise = get_scoped(Enterprise, request.user, public_id)
    if enterprise.pk not in request.user.enterprise_ids:
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
        "web/enterprise_tokens.html",
        {
            "object": enterprise,
            "tokens": enterprise.api_tokens.all(),
            "created": created,
            "error": error,
        },
        status=error.status if error else 200,
    )


@staff_page(Role.ADMIN, Role.BUREAU_OFFICER)
def registry_import(request: HttpRequest) -> HttpResponse:
    """Officers import the trusted resident registry; every bad row is listed, nothing half-imported."""
    result, error = None, None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise AccordError(
                    "core.required", "请选择要导入的文件。", "Choose a file to import.", "file"
                )
            if upload.size > 20 * 1024 * 1024:
                raise AccordError(
                    "import.too_large",
                    "文件不能超过 20 MB。",
                    "The file must be at most 20 MB.",
                    "file",
                )
            result = services.import_registry(
                upload.read(),
                source=upload.name,
                skip_bad_rows=request.POST.get("skip_bad_rows") == "on",
            )
        except AccordError as exc:
            error = exc
    return render(
        request,
        "web/registry_import.html",
        {"result": result, "error": error},
        status=error.status if error else 200,
    )


@staff_page(Role.HR, Role.ADMIN, Role.BUREAU_OFFICER)
@require_POST
def enterprise_register_employee(request: HttpRequest, public_id) -> HttpResponse:
    enterprise = get_scoped(Enterprise, request.user, public_id)
    if not manages_enterprise(request.user, enterprise):
        raise NotFound()
    fields = ("name", "id_type", "id_number", "phone", "position", "start_date")
    data = {f: request.POST.get(f, "").strip() for f in fields}
    try:
        employment.register_employee(enterprise, **data)
    except AccordError as exc:
        return enterprise_detail_page(request, enterprise, error=exc, form=data)
    messages.success(request, _("已登记员工 %(name)s。") % {"name": data["name"]})
    return redirect("web:enterprise_detail", public_id=enterprise.public_id)


@staff_page(Role.HR, Role.ADMIN, Role.BUREAU_OFFICER)
@require_POST
def employment_end(request: HttpRequest, public_id) -> HttpResponse:
    record = get_scoped(Employment, request.user, public_id)
    enterprise = record.enterprise
    if not manages_enterprise(request.user, enterprise):
        raise NotFound()
    try:
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
        "web/staff_accounts.html",
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


@staff_page(Role.HR, Role.ADMIN, Role.BUREAU_OFFICER, Role.STREET_OFFICER, Role.MEDIATOR)
def account_authenticator(request: HttpRequest) -> HttpResponse:
    """Staff without an authenticator (HR who seal) bind one while logged in: sealing needs a
    fresh second factor (Electronic Signature Law Art. 13, sole control)."""
    user = request.user
    if auth_services.totp_device(user):
        return render(request, "web/account_authenticator.html", {"enrolled": True})
    device = auth_services.enrolment_device(user)
    error = None
    if request.method == "POST":
        try:
            auth_services.confirm_enrolment(user, request.POST.get("otp_token", ""))
        except AccordError as exc:
            error = exc
        else:
            messages.success(request, _("身份验证器已绑定，盖章时请输入其动态口令。"))
            return redirect(_next_url(request))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "web/account_authenticator.html",
        {
            "enrolled": False,
            "error": error,
            "next": _next_url(request),
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4, title="TOTP"),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
        status=error.status if error else 200,
    )
