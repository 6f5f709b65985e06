"""HR's webhook page: add an endpoint (secret shown once), test it, see deliveries, redeliver."""

from __future__ import annotations

import pytest

from accord.integrations import sending, services
from accord.integrations.models import WebhookEndpoint
from tests.conftest import login
from tests.support import factories

pytestmark = pytest.mark.django_db


def page(enterprise) -> str:
    return f"/enterprises/{enterprise.public_id}/webhooks"


def test_anonymous_visitors_are_sent_to_log_in(client, enterprise):
    response = client.get(page(enterprise))
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_hr_adds_an_endpoint_and_sees_its_secret_once(client, enterprise, hr, receiver):
    login(client, hr)
    empty = client.get(page(enterprise))
    assert empty.status_code == 200
    html = empty.content.decode()
    assert '<label class="form-label" for="w-url">' in html and 'id="w-url"' in html
    assert "尚未添加接收地址" in html
    response = client.post(
        page(enterprise),
        {
            "action": "create",
            "url": receiver.url,
            "description": "人事系统",
            "topics": ["lifecycle.hired", "lifecycle.left"],
        },
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get(enterprise=enterprise)
    assert endpoint.topics == ["lifecycle.hired", "lifecycle.left"]
    assert endpoint.created_by == hr
    assert endpoint.secret in response.content.decode()
    again = client.get(page(enterprise)).content.decode()
    assert receiver.url in again and endpoint.secret not in again


def test_a_bad_address_is_shown_as_an_error_and_the_form_kept(client, enterprise, hr, settings):
    settings.ACCORD_WEBHOOK_ALLOW_PRIVATE = False
    login(client, hr)
    response = client.post(
        page(enterprise),
        {"action": "create", "url": "http://192.168.1.10/hook", "topics": ["*"]},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-error-code="integrations.url_invalid"' in html
    assert 'value="http://192.168.1.10/hook"' in html
    assert not WebhookEndpoint.objects.exists()


def test_ping_rotate_and_redeliver_from_the_page(client, enterprise, hr, endpoint, receiver):
    login(client, hr)
    pinged = client.post(page(enterprise), {"action": "ping", "endpoint": endpoint.public_id})
    assert 'data-testid="ping-result"' in pinged.content.decode()
    assert receiver.received[-1].signature_valid
    delivery = factories.WebhookDeliveryFactory(endpoint=endpoint, topic="lifecycle.hired")
    listed = client.get(page(enterprise)).content.decode()
    assert "lifecycle.hired" in listed and "重新发送" in listed
    client.post(page(enterprise), {"action": "redeliver", "delivery": delivery.public_id})
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0
    sending.send_due()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    rotated = client.post(page(enterprise), {"action": "rotate", "endpoint": endpoint.public_id})
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated.content.decode()
    assert len(services.signing_secrets(endpoint)) == 2


def test_hr_pauses_enables_and_deletes_an_endpoint(client, enterprise, hr, endpoint):
    login(client, hr)
    client.post(page(enterprise), {"action": "disable", "endpoint": endpoint.public_id})
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_reason == "by_user"
    client.post(page(enterprise), {"action": "enable", "endpoint": endpoint.public_id})
    endpoint.refresh_from_db()
    assert endpoint.active
    client.post(page(enterprise), {"action": "delete", "endpoint": endpoint.public_id})
    assert not WebhookEndpoint.objects.exists()


def test_the_bureau_may_manage_an_enterprises_webhooks(client, enterprise, make_user):
    login(client, make_user("bureau_officer"))
    assert client.get(page(enterprise)).status_code == 200
