"""Signing API: an enterprise's choice of signing providers."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from accord.core.api import principal
from accord.core.scoping import get_scoped
from accord.identity.models import Enterprise
from accord.identity.scoping import managed_enterprise
from accord.signing import remote

router = Router(tags=["signing"])


class ProvidersOut(Schema):
    providers: list[str]
    available: list[str]


class ProvidersIn(Schema):
    providers: list[str]


@router.get("/enterprises/{enterprise_id}/signing-providers", response=ProvidersOut)
def get_providers(request: HttpRequest, enterprise_id: str):
    enterprise = get_scoped(Enterprise, principal(request), enterprise_id)
    return {
        "providers": remote.provider_order(enterprise),
        "available": remote.available_providers(),
    }


@router.put("/enterprises/{enterprise_id}/signing-providers", response=ProvidersOut)
def set_providers(request: HttpRequest, enterprise_id: str, payload: ProvidersIn):
    enterprise = managed_enterprise(principal(request), enterprise_id)
    order = remote.set_provider_order(enterprise, payload.providers)
    return {"providers": order, "available": remote.available_providers()}
