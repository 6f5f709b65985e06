"""CSRF: a browser session cannot be made to change anything by another site's form or script."""

import pytest
from django.test import Client

from accord.identity.auth import create_api_token
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(make_enterprise, make_user):
    enterprise = make_enterprise()
    return make_user("hr", enterprise=enterprise, totp=False), enterprise


def test_api_write_with_a_session_but_no_csrf_token_is_refused(hr):
    user, enterprise = hr
    client = Client(enforce_csrf_checks=True)
    login(client, user)
    r = client.patch(
        f"/api/v1/enterprises/{enterprise.public_id}",
        {"address": "跨站请求"},
        content_type="application/json",
    )
    assert r.status_code == 403 and r.json()["code"] == "auth.csrf_failed"
    enterprise.refresh_from_db()
    assert enterprise.address != "跨站请求"
    # With the token from the cookie, as htmx sends it, the same request goes through.
    client.get("/")
    token = client.cookies["csrftoken"].value
    r = client.patch(
        f"/api/v1/enterprises/{enterprise.public_id}",
        {"address": "本站请求"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 200


def test_page_form_without_csrf_token_is_refused(hr):
    user, enterprise = hr
    client = Client(enforce_csrf_checks=True)
    login(client, user)
    r = client.post(f"/enterprises/{enterprise.public_id}/tokens", {"name": "x"})
    assert r.status_code == 403 and not enterprise.api_tokens.exists()


def test_bearer_tokens_need_no_csrf_token(hr):
    user, enterprise = hr
    _, token = create_api_token(enterprise=enterprise, name="HR system", created_by=user)
    client = Client(enforce_csrf_checks=True)
    r = client.patch(
        f"/api/v1/enterprises/{enterprise.public_id}",
        {"address": "系统同步"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200
