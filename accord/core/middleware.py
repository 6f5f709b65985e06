from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language

from accord.core.context import Actor, begin_response, end_response, reset_actor, set_actor
from accord.core.errors import (
    CSRF_FAILED,
    FORBIDDEN,
    HTTP_ERROR,
    MALFORMED_JSON,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    SERVER_ERROR,
    AccordError,
)


def client_ip(request: HttpRequest) -> str | None:
    # Behind the load balancer, gunicorn is configured with forwarded_allow_ips.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Give every request an id and an anonymous actor before authentication runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_actor(
            Actor(
                label="anonymous",
                role="anonymous",
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:400],
                request_id=request_id,
            )
        )
        private = begin_response()
        try:
            response = self.get_response(request)
        finally:
            reset_actor(token)
            marked = end_response(private)
        if marked:  # full ID numbers and phones: no browser or proxy cache keeps them (#13)
            patch_cache_control(response, no_store=True, private=True)
        response["X-Request-Id"] = request_id
        return response


def actor_for(request: HttpRequest, user) -> Actor:
    return Actor(
        user_id=user.pk,
        label=user.get_username(),
        role=getattr(user, "primary_role", "") or "",
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:400],
        request_id=getattr(request, "request_id", ""),
    )


class ActorMiddleware:
    """Once the session user is known, actions are recorded in their name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            token = set_actor(actor_for(request, user))
            try:
                return self.get_response(request)
            finally:
                reset_actor(token)
        return self.get_response(request)


def wants_json(request: HttpRequest) -> bool:
    """API calls, and any request that sent or asks for JSON (webhooks, scripts), get JSON errors."""
    return (
        request.path.startswith("/api/")
        or "application/json" in request.headers.get("Accept", "")
        or request.content_type == "application/json"
    )


def error_response(request: HttpRequest, error: AccordError) -> HttpResponse:
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False}
        )
    else:
        template = (
            "core/error_fragment.html" if getattr(request, "htmx", False) else "core/error.html"
        )
        response = render(
            request, template, {"error": error, "lang": get_language()}, status=error.status
        )
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


class AccordErrorMiddleware:
    """Pages render an AccordError the same way as the API: code, zh/en message, field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and wants_json(request)
            and not response.get("Content-Type", "").startswith("application/json")
            and not (settings.DEBUG and response.status_code >= 500)
        ):
            return json_error_for(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, AccordError):
            return error_response(request, exception)
        return None


def json_error_for(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An API client never gets an HTML error page: Django's own 404, 405, CSRF 403 and 500
    answers (no URL, a wrong method, an unexpected failure) become the catalogue's JSON."""
    status = response.status_code
    if status == 404:
        error = NOT_FOUND()
    elif status == 405:
        error = METHOD_NOT_ALLOWED()
    elif status == 403:
        error = CSRF_FAILED() if b"CSRF" in getattr(response, "content", b"") else FORBIDDEN()
    elif status >= 500:
        error = SERVER_ERROR()
    else:
        error = HTTP_ERROR(detail=getattr(response, "reason_phrase", "") or str(status))
        error.status = status
    converted = JsonResponse(
        error.as_dict(), status=status, json_dumps_params={"ensure_ascii": False}
    )
    for header in ("Allow", "Retry-After"):
        if header in response:
            converted[header] = response[header]
    return converted


def json_body(request: HttpRequest) -> dict:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        raise MALFORMED_JSON() from None
