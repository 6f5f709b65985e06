"""Object-level access: one scoping function per model, used by every page and endpoint.

An app registers ``@scope_for(Model)`` with a function ``(user) -> QuerySet`` returning exactly
the rows that user may see. Views call :func:`scoped` or :func:`get_scoped`; an object outside
the scope is a 404 (``NotFound``), never a 403 that would leak its existence.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.db import models

from accord.core.errors import NotFound

M = TypeVar("M", bound=models.Model)
_scopes: dict[type[models.Model], Callable] = {}


def scope_for(model: type[M]) -> Callable[[Callable], Callable]:
    def register(fn: Callable) -> Callable:
        _scopes[model] = fn
        return fn

    return register


def scoped(model: type[M], user) -> models.QuerySet[M]:
    if user is None or not user.is_authenticated:
        return model._default_manager.none()
    try:
        fn = _scopes[model]
    except KeyError:
        raise LookupError(f"no scope registered for {model.__name__}") from None
    return fn(user)


def get_scoped(model: type[M], user, public_id, queryset: models.QuerySet[M] | None = None) -> M:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound() from None
    qs = queryset if queryset is not None else scoped(model, user)
    obj = qs.filter(public_id=key).first()
    if obj is None:
        raise NotFound()
    return obj


def registered_models() -> list[type[models.Model]]:
    return list(_scopes)
