"""The HR page of an enterprise's webhooks. Thin: services and scoping hold the rules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accord.core.errors import INVALID_REQUEST, AccordError
from accord.core.scoping import get_scoped
from accord.identity.selectors import managed_enterprise
from accord.integrations import sending, services
from accord.integrations.models import WebhookDelivery, WebhookEndpoint
from accord.integrations.topics import ALL_TOPICS, FORWARDABLE_TOPICS

RECENT_DELIVERIES = 30


def _needs_login(request: HttpRequest) -> bool:
    user = request.user
    return not user.is_authenticated or (user.needs_totp and not user.is_verified())  # type: ignore[attr-defined]


def enterprise_webhooks(request: HttpRequest, public_id) -> HttpResponse:
    """List, add, pause/enable, rotate, ping and delete endpoints; recent deliveries with a
    redeliver button. A new or rotated secret is shown once, in the answer to that POST."""
    if _needs_login(request):
        return redirect(f"{reverse('web:login')}?next={request.get_full_path()}")
    enterprise = managed_enterprise(request.user, public_id)
    endpoints_qs = WebhookEndpoint.objects.filter(enterprise=enterprise)
    shown_secret, shown_for, error, ping_result = None, None, None, None
    form: dict[str, Any] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                form = {
                    "url": request.POST.get("url", ""),
                    "description": request.POST.get("description", ""),
                    "topics": request.POST.getlist("topics"),
                }
                endpoint, shown_secret = services.create_endpoint(
                    enterprise=enterprise,
                    url=form["url"],
                    description=form["description"],
                    topics=form["topics"],
                    created_by=request.user,
                )
                shown_for, form = endpoint, {}
            elif action == "redeliver":
                delivery = get_scoped(
                    WebhookDelivery,
                    request.user,
                    request.POST.get("delivery", ""),
                    queryset=WebhookDelivery.objects.filter(endpoint__enterprise=enterprise),
                )
                services.redeliver(delivery)
            else:
                endpoint = get_scoped(
                    WebhookEndpoint,
                    request.user,
                    request.POST.get("endpoint", ""),
                    queryset=endpoints_qs,
                )
                if action == "rotate":
                    endpoint, shown_secret = services.rotate_secret(endpoint)
                    shown_for = endpoint
                elif action in ("enable", "disable"):
                    services.update_endpoint(endpoint, {"active": action == "enable"})
                elif action == "delete":
                    services.delete_endpoint(endpoint)
                elif action == "ping":
                    ping_result = sending.attempt(services.create_ping(endpoint))
                else:
                    raise INVALID_REQUEST("action")
        except AccordError as exc:
            error = exc
    endpoints = list(endpoints_qs)
    deliveries = list(
        WebhookDelivery.objects.filter(endpoint__enterprise=enterprise).select_related("endpoint")[
            :RECENT_DELIVERIES
        ]
    )
    return render(
        request,
        "integrations/enterprise_webhooks.html",
        {
            "object": enterprise,
            "endpoints": endpoints,
            "deliveries": deliveries,
            "topics": list(FORWARDABLE_TOPICS.values()),
            "all_topics": ALL_TOPICS,
            "shown_secret": shown_secret,
            "shown_for": shown_for,
            "ping_result": ping_result,
            "error": error,
            "form": form,
        },
        status=error.status if error else 200,
    )
