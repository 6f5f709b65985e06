"""Logging in as people do: staff through the password form (and TOTP), workers by SMS code."""

import re

import pytest
from playwright.sync_api import expect

from accord.core.models import SmsMessage
from tests.e2e.conftest import (
    E2E_DB,
    PASSWORD,
    STAFF_ROLES,
    current_totp,
    log_in_through_form,
    no_horizontal_scroll,
)

pytestmark = [pytest.mark.e2e, E2E_DB]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_role_logs_in_and_sees_its_home(open_page, world, role):
    page = open_page()
    user = world.users[role]
    log_in_through_form(page, user)
    title = page.get_by_test_id("home-title")
    expect(title).to_have_attribute("data-role", role)
    expect(page.get_by_test_id("whoami")).to_contain_text(user.username)
    if role == "hr":
        expect(page.locator("main")).to_contain_text(world.enterprise.name)
    if role in ("bureau_officer", "street_officer"):
        # The chart is drawn (a canvas), and its data is also there as a table for screen readers.
        expect(page.locator("#street-chart canvas")).to_have_count(1)
        expect(page.locator("figure table caption")).to_have_text("各街道企业数量")


def test_wrong_password_then_wrong_totp_code_are_refused(open_page, world):
    page = open_page()
    user = world.users["bureau_officer"]
    page.goto("/login")
    page.fill("#username", user.username)
    page.fill("#password", "not-the-password")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    # The username is kept: only the password is typed again.
    expect(page.locator("#username")).to_have_value(user.username)

    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/login/otp**")
    right = current_totp(user)
    page.fill("#otp_token", f"{(int(right) + 1) % 1_000_000:06d}")
    page.locator("main button[type=submit]").click()
    expect(page.locator("[data-error-code]")).to_have_attribute(
        "data-error-code", "auth.totp_invalid"
    )
    expect(page).to_have_url(re.compile(r"/login/otp"))
    expect(page.get_by_test_id("home-title")).to_have_count(0)


def test_worker_logs_in_by_sms_code_on_a_phone(open_page, world):
    page = open_page(phone=True)
    page.goto("/login")
    page.get_by_role("link", name="劳动者手机验证码登录").click()
    page.fill("#phone", "13800138000")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    # DEBUG is off under tests, so /dev/sms is hidden: read the text the gateway delivered.
    text = SmsMessage.objects.order_by("-created_at").values_list("text", flat=True).first()
    code = re.search(r"验证码是 (\d{6})", text).group(1)

    page.fill("#code", f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("[data-error-code]")).to_have_attribute(
        "data-error-code", "auth.code_invalid"
    )

    page.fill("#code", code)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("home-title")).to_have_attribute("data-role", "worker")
    expect(page.locator("main")).to_contain_text(world.enterprise.name)
    # A worker has no staff navigation.
    expect(page.get_by_role("link", name="企业", exact=True)).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert no_horizontal_scroll(page)
