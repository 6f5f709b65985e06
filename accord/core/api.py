"""The one API object: django-ninja under /api/v1, with Accord's auth and error rendering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from accord.core.context import set_actor
from accord.core.errors import (
    CSRF_FAILED,
    HTTP_ERROR,
    INVALID_REQUEST,
    INVALID_VALUE,
    AccordError,
    AuthenticationRequired,
)
from accord.core.middleware import actor_for

TokenAuthenticator = Callable[[str], Any]
_token_authenticators: list[TokenAuthenticator] = []


def register_token_authenticator(authenticate: TokenAuthenticator) -> None:
    """Let an app that issues API tokens (identity) say who a bearer token belongs to.

    ``authenticate(raw_token)`` returns the principal, or None for a token it does not know.
    Core knows no app above it: identity registers its function when it is ready.
    """
    if authenticate not in _token_authenticators:
        _token_authenticators.append(authenticate)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer acc_…``: an enterprise system's token, scoped to one enterprise."""

    def authenticate(self, request: HttpRequest, token: str):
        principal = next(
            (p for p in (auth(token) for auth in _token_authenticators) if p is not None), None
        )
        if principal is not None:
            request.auth_principal = principal  # type: ignore[attr-defined]
            set_actor(actor_for(request, principal))
        return principal


class SessionAuth(APIKeyCookie):
    """The browser session; CSRF-checked; staff who need TOTP must have passed it."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if getattr(user, "needs_totp", False) and not user.is_verified():
            return None
        request.auth_principal = user  # type: ignore[attr-defined]
        return user


api = NinjaAPI(
    title="Accord API",
    version="1",
    description="福田区和谐劳动关系服务平台 — Futian harmonious-labour-relations platform API.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
)


def principal(request: HttpRequest):
    """The authenticated user or API token of this request."""
    return getattr(request, "auth_principal", None) or request.user


@api.exception_handler(AccordError)
def _accord_error(request: HttpRequest, exc: AccordError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _field_of(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form", "file")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError):
    problems = [
        INVALID_VALUE.problem(
            _field_of(list(e.get("loc", []))),
            detail_zh=str(e.get("msg", "")).rstrip("."),
            detail_en=str(e.get("msg", "")).rstrip("."),
        )
        for e in exc.errors
    ] or [INVALID_REQUEST.problem("body")]
    return _accord_error(request, INVALID_REQUEST(problems[0].field, problems=problems))


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError):
    return _accord_error(request, AuthenticationRequired())


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError):
    if exc.status_code == 403 and "csrf" in str(exc).lower():
        error = CSRF_FAILED()
    else:
        error = HTTP_ERROR(detail=str(exc))
        error.status = exc.status_code if 400 <= exc.status_code < 500 else 400
    return _accord_error(request, error)
