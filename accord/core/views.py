"""The shell's own pages: the inbox, the audit log, the shell preferences, the local SMS phone."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accord.core.middleware import client_ip
from accord.core.models import AuditEntry, Notification, SmsMessage
from accord.core.pages import next_url, staff_page
from accord.core.pagination import paginate
from accord.core.roles import AUDIT_READS, Role
from accord.core.scoping import scoped

FAVICON = Path(__file__).parent / "static" / "accord" / "favicon.ico"


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on every page whatever the page links."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@staff_page(*AUDIT_READS, Role.HR)
def audit_list(request: HttpRequest) -> HttpResponse:
    qs = scoped(AuditEntry, request.user)
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    page = paginate(qs, request.GET.get("page"), 50)
    return render(request, "core/audit_list.html", {"page": page, "action": action})


@staff_page()
def inbox(request: HttpRequest) -> HttpResponse:
    user: Any = request.user  # logged in: staff_page
    notes = Notification.objects.filter(recipient=user)[:100]
    Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "core/inbox.html", {"notes": notes})


def _is_loopback(ip: str | None) -> bool:
    try:
        return ip is not None and ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


@require_GET
def dev_sms(request: HttpRequest) -> HttpResponse:
    """The local SMS gateway's phone screen, so developers can log in as workers: only when DEBUG
    and only to a client on this machine (it shows everyone's login codes)."""
    if not settings.DEBUG or not _is_loopback(client_ip(request)):
        raise Http404
    return render(request, "core/dev_sms.html", {"messages_list": SmsMessage.objects.all()[:50]})


@require_POST
def large_type(request: HttpRequest) -> HttpResponse:
    response = redirect(next_url(request))
    on = request.COOKIES.get("large_type") != "1"
    response.set_cookie("large_type", "1" if on else "0", max_age=365 * 86400, samesite="Lax")
    return response
