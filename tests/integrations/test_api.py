"""The integration API: endpoints managed by HR or its token, secrets shown once, audited,
and every outsider of the access matrix (tests/support/access.py) gets 404 on every URL."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.models import AuditEntry
from accord.integrations import sending
from accord.integrations.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import login
from tests.support import factories
from tests.support.access import AccessMatrix, ObjectUrl, World

pytestmark = pytest.mark.django_db


class TestWebhookAccess(AccessMatrix):
    """Every webhook URL, page and API: 404 to the outsiders; the owning HR user and the
    enterprise's own API token get the normal answer."""

    owner_token = True
    urls = [
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/webhooks"),
        ObjectUrl(
            "post",
            "/api/v1/enterprises/{enterprise}/webhooks",
            {"url": "https://hr.example.com/hooks", "topics": ["*"]},
            201,
        ),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/webhooks/{endpoint}"),
        ObjectUrl(
            "patch", "/api/v1/enterprises/{enterprise}/webhooks/{endpoint}", {"description": "越权"}
        ),
        ObjectUrl("post", "/api/v1/enterprises/{enterprise}/webhooks/{endpoint}/rotate-secret", {}),
        ObjectUrl("post", "/api/v1/enterprises/{enterprise}/webhooks/{endpoint}/ping", {}),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/webhooks/{endpoint}/deliveries"),
        ObjectUrl("post", "/api/v1/webhook-deliveries/{delivery}/redeliver", {}),
        ObjectUrl(
            "delete", "/api/v1/enterprises/{enterprise}/webhooks/{endpoint}", owner_status=204
        ),
        ObjectUrl("get", "/enterprises/{enterprise}/webhooks"),
        ObjectUrl(
            "post",
            "/enterprises/{enterprise}/webhooks",
            {"action": "ping", "endpoint": "{endpoint}"},
        ),
        ObjectUrl(
            "post",
            "/enterprises/{enterprise}/webhooks",
            {"action": "redeliver", "delivery": "{delivery}"},
        ),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        endpoint = factories.WebhookEndpointFactory(
            enterprise=world.enterprise, created_by=world.users["owner"]
        )
        world.add("endpoint", endpoint)
        world.add("delivery", factories.WebhookDeliveryFactory(endpoint=endpoint))


@pytest.fixture
def world(receiver):
    """The enterprise's HR, its API token, and an endpoint on the receiver (which knows the
    secret) with one dead delivery."""
    mine = factories.EnterpriseFactory(street="futian")
    owner = factories.UserFactory(role="hr", enterprise=mine, totp=False)
    endpoint, secret = factories.WebhookEndpointFactory.with_secret(
        enterprise=mine, url=receiver.url, created_by=owner
    )
    receiver.secrets = [secret]
    delivery = factories.WebhookDeliveryFactory(endpoint=endpoint)
    my_token = factories.ApiTokenFactory(enterprise=mine, created_by=owner).plaintext
    ids = {
        "enterprise": mine.public_id,
        "endpoint": endpoint.public_id,
        "delivery": delivery.public_id,
    }
    return {"users": {"owner": owner}, "ids": ids, "my_token": my_token}


def test_a_street_officer_of_the_street_sees_the_enterprise_but_may_not_manage_webhooks(
    client, world, make_user
):
    login(client, make_user("street_officer", street="futian"))
    response = client.get(f"/api/v1/enterprises/{world['ids']['enterprise']}/webhooks")
    assert response.status_code == 403 and response.json()["code"] == "auth.forbidden"


def _hr_client(client, world):
    login(client, world["users"]["owner"])
    return client


def test_the_secret_is_shown_on_create_and_rotate_only_and_stored_encrypted(client, world):
    c = _hr_client(client, world)
    base = f"/api/v1/enterprises/{world['ids']['enterprise']}/webhooks"
    created = c.post(
        base,
        {
            "url": "https://hr.example.com/accord",
            "topics": ["lifecycle.hired"],
            "description": "HR",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    endpoint_id = created.json()["id"]
    for response in (c.get(base), c.get(f"{base}/{endpoint_id}")):
        assert response.status_code == 200
        assert (
            secret not in response.content.decode() and '"secret"' not in response.content.decode()
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret FROM integrations_webhookendpoint WHERE public_id = %s",
            [endpoint_id.replace("-", "") if connection.vendor == "sqlite" else endpoint_id],
        )
        stored = cursor.fetchone()[0]
    assert secret not in stored
    rotated = c.post(f"{base}/{endpoint_id}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] not in (secret, "")
    listed = c.get(base).content.decode()
    assert rotated.json()["secret"] not in listed
    assert json.loads(listed)["results"][-1]["previous_secret_valid_until"] is not None


def test_create_update_delete_rotate_are_audited_without_the_secret(client, world):
    c = _hr_client(client, world)
    base = f"/api/v1/enterprises/{world['ids']['enterprise']}/webhooks"
    created = c.post(
        base,
        {"url": "https://hr.example.com/a", "topics": ["lifecycle.hired", "lifecycle.left"]},
        content_type="application/json",
    ).json()
    url = f"{base}/{created['id']}"
    assert c.patch(url, {"topics": ["*"]}, content_type="application/json").status_code == 200
    assert c.post(f"{url}/rotate-secret").status_code == 200
    assert c.delete(url).status_code == 204
    entries = AuditEntry.objects.filter(object_id=created["id"]).order_by("id")
    assert [e.action for e in entries] == [
        "integrations.webhook.create",
        "integrations.webhook.update",
        "integrations.webhook.rotate_secret",
        "integrations.webhook.delete",
    ]
    owner = world["users"]["owner"]
    assert all(e.actor_id == owner.pk for e in entries)
    enterprise_pk = WebhookEndpoint.objects.get(public_id=world["ids"]["endpoint"]).enterprise_id
    assert all(e.enterprise_id == enterprise_pk for e in entries)
    assert entries[0].changes["url"] == [None, "https://hr.example.com/a"]
    assert entries[1].changes["topics"][1] == "['*']"
    assert entries[2].changes["secret"] == ["***", "***"]
    assert created["secret"] not in json.dumps([e.changes for e in entries])


def test_a_token_acts_for_its_enterprise_and_is_the_audited_actor(client, world):
    response = client.post(
        f"/api/v1/enterprises/{world['ids']['enterprise']}/webhooks",
        {"url": "https://hr.example.com/t", "topics": ["*"]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world['my_token']}",
    )
    assert response.status_code == 201
    entry = AuditEntry.objects.get(
        action="integrations.webhook.create", object_id=response.json()["id"]
    )
    assert entry.actor_label.startswith("token:")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "ftp://hr.example.com/x", "topics": ["*"]}, "integrations.url_invalid"),
        ({"url": "https://user:pw@hr.example.com/x", "topics": ["*"]}, "integrations.url_invalid"),
        ({"url": "https://hr.example.com/x", "topics": []}, "integrations.topics_required"),
        (
            {"url": "https://hr.example.com/x", "topics": ["identity.person.viewed"]},
            "integrations.unknown_topic",
        ),
    ],
)
def test_bad_endpoints_are_refused_with_the_field(client, world, body, code):
    c = _hr_client(client, world)
    response = c.post(
        f"/api/v1/enterprises/{world['ids']['enterprise']}/webhooks",
        body,
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == code


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://10.1.2.3/x",
        "http://192.168.0.5/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://localhost/x",
    ],
)
def test_in_production_private_and_loopback_addresses_are_refused(client, world, settings, url):
    settings.ACCORD_WEBHOOK_ALLOW_PRIVATE = False
    c = _hr_client(client, world)
    response = c.post(
        f"/api/v1/enterprises/{world['ids']['enterprise']}/webhooks",
        {"url": url, "topics": ["*"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "integrations.url_invalid"
    assert response.json()["field"] == "url"


def test_private_addresses_default_to_allowed_outside_production(settings):
    from accord.integrations import transport

    del settings.ACCORD_WEBHOOK_ALLOW_PRIVATE  # not configured: the default applies
    settings.ACCORD_ENV = "test"
    assert transport.allow_private()
    settings.ACCORD_ENV = "production"
    assert not transport.allow_private()


def test_ping_answers_with_the_outcome(client, world, receiver):
    c = _hr_client(client, world)
    ids = world["ids"]
    response = c.post(f"/api/v1/enterprises/{ids['enterprise']}/webhooks/{ids['endpoint']}/ping")
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded" and response.json()["topic"] == "webhook.ping"
    assert receiver.received[-1].signature_valid


def test_redeliver_queues_the_same_delivery_again(client, world, receiver):
    c = _hr_client(client, world)
    delivery_id = world["ids"]["delivery"]
    response = c.post(f"/api/v1/webhook-deliveries/{delivery_id}/redeliver")
    assert response.status_code == 200
    assert response.json()["status"] == "pending" and response.json()["attempts"] == 0
    assert sending.send_due() == 1
    assert receiver.received[-1].headers["Accord-Webhook-Id"] == str(delivery_id)
    assert WebhookDelivery.objects.get(public_id=delivery_id).status == "succeeded"
    assert AuditEntry.objects.filter(
        action="integrations.webhook_delivery.redeliver", object_id=str(delivery_id)
    ).exists()


def test_deliveries_are_paginated_filtered_and_the_query_count_stays_flat(client, world):
    c = _hr_client(client, world)
    ids = world["ids"]
    endpoint = WebhookEndpoint.objects.get(public_id=ids["endpoint"])
    url = f"/api/v1/enterprises/{ids['enterprise']}/webhooks/{ids['endpoint']}/deliveries"

    def add(n):
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=endpoint,
                topic="lifecycle.hired",
                payload={},
                occurred_at=endpoint.created_at,
                status="succeeded",
            )
            for _ in range(n)
        )

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert c.get(url).status_code == 200
    add(30)
    with CaptureQueriesContext(connection) as many:
        body = c.get(url, {"page_size": 10}).json()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert body["count"] == 33 and len(body["results"]) == 10 and body["has_next"]
    dead = c.get(url, {"status": "dead"}).json()
    assert dead["count"] == 1 and dead["results"][0]["id"] == str(ids["delivery"])
    assert c.get(url, {"status": "nonsense"}).status_code == 422


def test_topics_are_listed_with_their_meaning(client, world):
    c = _hr_client(client, world)
    topics = {t["topic"]: t for t in c.get("/api/v1/webhook-topics").json()["results"]}
    assert {"lifecycle.hired", "envelope.completed", "identity.employment.ended"} <= set(topics)
    assert topics["lifecycle.hired"]["description_en"].startswith("Hire")
    assert topics["lifecycle.hired"]["description_zh"].startswith("入职")


def test_an_internationalised_host_name_is_kept_in_its_ascii_form():
    from accord.integrations.transport import check_url

    assert (
        check_url("https://人事.例子.中国/hook?a=1")
        == "https://xn--3kq4d.xn--fsqu00a.xn--fiqs8s/hook?a=1"
    )
