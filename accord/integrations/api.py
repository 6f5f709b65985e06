"""Integration API: an enterprise's webhook endpoints and their deliveries.

HR of the enterprise (session) or the enterprise's API token; the bureau may manage too.
Another enterprise's endpoint or delivery is a 404 (``core.not_found``). The signing secret is
returned only by create and rotate-secret, never by a list or a read.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone, translation
from ninja import Router, Schema, Status

from accord.core.api import principal
from accord.core.errors import INVALID_FILTER, REQUIRED, forbidden
from accord.core.pagination import ListMeta, page_response, paginate
from accord.core.scoping import get_scoped
from accord.identity.models import Enterprise
from accord.identity.selectors import managed_enterprise, may_act_for
from accord.integrations import sending, services
from accord.integrations.models import WebhookDelivery, WebhookEndpoint
from accord.integrations.topics import FORWARDABLE_TOPICS

router = Router(tags=["integrations"])


class TopicOut(Schema):
    topic: str
    description_zh: str
    description_en: str


class EndpointOut(Schema):
    id: UUID
    url: str
    description: str
    topics: list[str]
    active: bool
    failure_streak: int
    disabled_at: dt.datetime | None
    disabled_reason: str
    previous_secret_valid_until: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class EndpointCreated(EndpointOut):
    secret: str


class EndpointIn(Schema):
    url: str
    topics: list[str]
    description: str = ""


class EndpointPatch(Schema):
    url: str | None = None
    topics: list[str] | None = None
    description: str | None = None
    active: bool | None = None


class SecretOut(Schema):
    secret: str
    previous_secret_valid_until: dt.datetime


class DeliveryOut(Schema):
    id: UUID
    endpoint: UUID
    event: UUID | None
    topic: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    response_ms: int | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    data: dict


class DeliveryList(ListMeta):
    results: list[DeliveryOut]


class TopicList(ListMeta):
    results: list[TopicOut]


class EndpointList(ListMeta):
    results: list[EndpointOut]


def _endpoint_out(e: WebhookEndpoint) -> dict:
    return {
        "id": e.public_id,
        "url": e.url,
        "description": e.description,
        "topics": e.topics,
        "active": e.active,
        "failure_streak": e.failure_streak,
        "disabled_at": e.disabled_at,
        "disabled_reason": e.disabled_reason,
        "previous_secret_valid_until": e.previous_secret_expires_at
        if e.previous_secret_expires_at and e.previous_secret_expires_at > timezone.now()
        else None,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _delivery_out(d: WebhookDelivery) -> dict:
    return {
        "id": d.public_id,
        "endpoint": d.endpoint.public_id,
        "event": d.event_id,
        "topic": d.topic,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "response_ms": d.response_ms,
        "delivered_at": d.delivered_at,
        "created_at": d.created_at,
        "data": d.payload,
    }


def _enterprise(request: HttpRequest, enterprise_id: str) -> Enterprise:
    """The enterprise whose webhooks the caller manages: 404 if not theirs to see, 403 if they
    see it but may not manage it (a street officer, an auditor)."""
    return managed_enterprise(principal(request), enterprise_id)


def _endpoint(request: HttpRequest, enterprise_id: str, endpoint_id: str) -> WebhookEndpoint:
    enterprise = _enterprise(request, enterprise_id)
    return get_scoped(
        WebhookEndpoint,
        principal(request),
        endpoint_id,
        queryset=WebhookEndpoint.objects.filter(enterprise=enterprise).select_related("enterprise"),
    )


@router.get("/webhook-topics", response=TopicList, summary="Topics a webhook may receive")
def list_topics(request: HttpRequest, page: int = 1, page_size: int = 50):
    with translation.override("zh-hans"):
        return page_response(
            paginate(list(FORWARDABLE_TOPICS.values()), page, page_size),
            lambda t: {
                "topic": t.name,
                "description_zh": str(t.description),
                "description_en": t.description_en,
            },
        )


@router.get("/enterprises/{enterprise_id}/webhooks", response=EndpointList)
def list_endpoints(request: HttpRequest, enterprise_id: str, page: int = 1, page_size: int = 50):
    enterprise = _enterprise(request, enterprise_id)
    qs = WebhookEndpoint.objects.filter(enterprise=enterprise)
    return page_response(paginate(qs, page, page_size), _endpoint_out)


@router.post("/enterprises/{enterprise_id}/webhooks", response={201: EndpointCreated})
def create_endpoint(request: HttpRequest, enterprise_id: str, payload: EndpointIn):
    """The answer carries the signing ``secret``: store it now, it is not shown again."""
    enterprise = _enterprise(request, enterprise_id)
    endpoint, secret = services.create_endpoint(
        enterprise=enterprise,
        url=payload.url,
        topics=payload.topics,
        description=payload.description,
        created_by=principal(request),
    )
    return Status(201, {**_endpoint_out(endpoint), "secret": secret})


@router.get("/enterprises/{enterprise_id}/webhooks/{endpoint_id}", response=EndpointOut)
def get_endpoint(request: HttpRequest, enterprise_id: str, endpoint_id: str):
    return _endpoint_out(_endpoint(request, enterprise_id, endpoint_id))


@router.patch("/enterprises/{enterprise_id}/webhooks/{endpoint_id}", response=EndpointOut)
def update_endpoint(
    request: HttpRequest, enterprise_id: str, endpoint_id: str, payload: EndpointPatch
):
    """Change the URL, topics or description; ``active: true`` enables a disabled endpoint again
    (its waiting deliveries then go out), ``active: false`` pauses it."""
    endpoint = _endpoint(request, enterprise_id, endpoint_id)
    changes = payload.dict(exclude_unset=True)
    if any(v is None for v in changes.values()):
        field = next(k for k, v in changes.items() if v is None)
        raise REQUIRED(field)
    return _endpoint_out(services.update_endpoint(endpoint, changes))


@router.delete("/enterprises/{enterprise_id}/webhooks/{endpoint_id}", response={204: None})
def delete_endpoint(request: HttpRequest, enterprise_id: str, endpoint_id: str):
    services.delete_endpoint(_endpoint(request, enterprise_id, endpoint_id))
    return Status(204, None)


@router.post(
    "/enterprises/{enterprise_id}/webhooks/{endpoint_id}/rotate-secret", response=SecretOut
)
def rotate_secret(request: HttpRequest, enterprise_id: str, endpoint_id: str):
    """A new secret, shown once. For 24 hours deliveries are signed with both the new and the
    previous secret, so the receiving system can switch over without missing one."""
    endpoint, secret = services.rotate_secret(_endpoint(request, enterprise_id, endpoint_id))
    return {"secret": secret, "previous_secret_valid_until": endpoint.previous_secret_expires_at}


@router.post("/enterprises/{enterprise_id}/webhooks/{endpoint_id}/ping", response=DeliveryOut)
def ping(request: HttpRequest, enterprise_id: str, endpoint_id: str):
    """Send a ``webhook.ping`` now and answer with its outcome (one attempt, no retries)."""
    endpoint = _endpoint(request, enterprise_id, endpoint_id)
    delivery = services.create_ping(endpoint)
    return _delivery_out(sending.attempt(delivery))


@router.get("/enterprises/{enterprise_id}/webhooks/{endpoint_id}/deliveries", response=DeliveryList)
def list_deliveries(
    request: HttpRequest,
    enterprise_id: str,
    endpoint_id: str,
    status: str | None = None,
    page: int = 1,
    page_size: int = 50,
):
    endpoint = _endpoint(request, enterprise_id, endpoint_id)
    qs = endpoint.deliveries.select_related("endpoint")
    if status:
        if status not in WebhookDelivery.Status.values:
            raise INVALID_FILTER("status")
        qs = qs.filter(status=status)
    return page_response(paginate(qs, page, page_size), _delivery_out)


@router.post("/webhook-deliveries/{delivery_id}/redeliver", response=DeliveryOut)
def redeliver(request: HttpRequest, delivery_id: str):
    """Queue a delivery again from its first attempt, with the same ``Accord-Webhook-Id``."""
    who = principal(request)
    delivery = get_scoped(WebhookDelivery, who, delivery_id)
    if not may_act_for(who, delivery.endpoint.enterprise):
        raise forbidden()
    return _delivery_out(services.redeliver(delivery))
