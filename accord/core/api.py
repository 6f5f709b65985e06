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


# The error answers of every operation, in the one shape of ``AccordError.as_dict``.
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["code", "message_zh", "message_en"],
    "properties": {
        "code": {"type": "string", "description": "stable machine code, e.g. core.invalid_value"},
        "message_zh": {"type": "string"},
        "message_en": {"type": "string"},
        "field": {"type": ["string", "null"], "description": "the field concerned, if one"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "message_zh", "message_en"],
                "properties": {
                    "code": {"type": "string"},
                    "message_zh": {"type": "string"},
                    "message_en": {"type": "string"},
                    "field": {"type": "string"},
                    "row": {"type": "integer"},
                    "column": {"type": "string"},
                    "article": {"type": "string"},
                },
            },
        },
        "retry_after": {"type": "integer", "description": "seconds, with 429 and 503"},
    },
}
_ERROR_ANSWERS = {
    400: "The request cannot be handled (malformed JSON, nested too deeply, …)",
    401: "Not logged in, or the API token is not valid",
    403: "Your role may not do this, or the CSRF token is missing",
    404: "Not found, or not yours to see",
    405: "The method is not allowed here",
    409: "The object's state does not allow this now",
    413: "The request is over its size limit",
    422: "A field is invalid: the code, both messages and the field say which",
    429: "Too many attempts: come back after retry_after seconds",
}
_UNSAFE = {"post", "put", "patch", "delete"}


class AccordAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI documents the error answers each operation can give."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if isinstance(operation, dict) and "responses" in operation:
                    self._document_errors(method, operation)
        return schema

    @staticmethod
    def _document_errors(method: str, operation: dict) -> None:
        statuses = {400, 405, 422, 429}
        if operation.get("security"):
            statuses |= {401, 403}
        if method in _UNSAFE:
            statuses |= {403, 409, 413}
        if any(p.get("in") == "path" for p in operation.get("parameters", [])):
            statuses.add(404)
        if method in _UNSAFE and "requestBody" in operation:
            statuses.add(404)  # an object the body names (a person, an organisation) not found
        responses = operation["responses"]
        for status in sorted(statuses):
            responses.setdefault(
                status,
                {
                    "description": _ERROR_ANSWERS[status],
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            )


api = AccordAPI(
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
