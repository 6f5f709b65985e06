"""The webhook page in Chromium: WCAG 2.1 AA (axe-core) and no sideways scrolling at 375 px,
with endpoints, a freshly shown secret and deliveries in every status on it."""

from __future__ import annotations

import uuid

import pytest

from accord.integrations import services
from accord.integrations.models import WebhookDelivery
from tests.e2e import conftest as e2e
from tests.e2e.conftest import E2E_DB, no_horizontal_scroll, sign_in
from tests.e2e.test_accessibility import axe_violations, describe

# The browser fixtures of tests/e2e, used here too.
browser = e2e.browser
open_page = e2e.open_page
reference_data = e2e.reference_data

pytestmark = [pytest.mark.e2e, E2E_DB]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_webhook_page_is_accessible_and_fits_a_phone(
    open_page, reference_data, make_enterprise, make_user, live_server, phone
):
    enterprise = make_enterprise(name="深圳市福田示范科技有限公司")
    hr = make_user("hr", enterprise=enterprise, totp=False)
    endpoint, _ = services.create_endpoint(
        enterprise=enterprise,
        url="https://hr.example.com/a/very/long/path/to/the/accord/webhook/receiver?tenant=futian-demo",
        topics=["lifecycle.hired", "lifecycle.left", "envelope.completed"],
        description="人事系统（生产）",
        created_by=hr,
    )
    paused, _ = services.create_endpoint(
        enterprise=enterprise, url="https://hr.example.com/test", topics=["*"], created_by=hr
    )
    services.update_endpoint(paused, {"active": False})
    for status, code, error in [
        ("succeeded", 204, ""),
        ("failed", 500, "HTTP 500"),
        ("dead", None, "timed out after 10 s"),
        ("pending", None, ""),
    ]:
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=uuid.uuid4(),
            topic="lifecycle.hired",
            payload={"enterprise": str(enterprise.public_id)},
            occurred_at=endpoint.created_at,
            status=status,
            attempts=1,
            last_status_code=code,
            last_error=error,
            response_ms=120,
            next_attempt_at=endpoint.created_at,
        )
    page = open_page(phone=phone)
    sign_in(page, hr, live_server)
    page.goto(f"/enterprises/{enterprise.public_id}/webhooks")
    assert page.locator("h1").inner_text() == "Webhook 通知"
    # Add an endpoint through the form: the secret is shown once.
    page.fill("#w-url", "https://hr.example.com/new")
    page.check("#t-all")
    page.locator("form:has(#w-url) button[type=submit]").click()
    page.wait_for_selector("[data-testid=new-secret]")
    violations = axe_violations(page)
    assert violations == [], describe("webhooks", violations)
    assert no_horizontal_scroll(page)
