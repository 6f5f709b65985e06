"""Reading and signing on a 375 px phone (issue #11): the SMS link's login names the enterprise
and the document; a "resend" tapped too early (429) and a wrong code keep the code field in
view; the document reads as reflowing text made from the same template and fields as the PDF
(with the PDF's SHA-256), in normal and large type, the page images one tap away; 大字版 is on
screen without opening the menu; the worker's home lists what waits; messages are in the page's
language only, the code folded under "for support". axe-core finds nothing on any of it.

With ACCORD_SCREENSHOTS=1 the screens are saved to docs/screenshots/phone-*.png (docs/contracts.md).
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accord.core.events import deliver_pending
from accord.envelopes import drafting, services
from accord.envelopes.models import Party
from accord.identity.models import Employment, Person, User
from tests.e2e.conftest import E2E_DB, no_horizontal_scroll, sign_in
from tests.e2e.test_accessibility import axe_violations, describe
from tests.e2e.test_worker_signing import in_thread, last_sms
from tests.signing.fixtures import platform  # noqa: F401
from tests.support.factories import contract_fields, published

pytestmark = [pytest.mark.e2e, E2E_DB]

PHONE_NUMBER = "13900004444"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
ENTERPRISE = "深圳市福田区福易科技有限公司"


def shot(page, name: str) -> None:
    if os.environ.get("ACCORD_SCREENSHOTS") == "1":
        page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=False)


def check(page, name: str) -> None:
    violations = axe_violations(page)
    assert not violations, describe(name, violations)
    assert no_horizontal_scroll(page), name


def in_view(page, selector: str) -> bool:
    """The element is on screen, top to bottom, without scrolling."""
    return page.evaluate(
        """sel => { const r = document.querySelector(sel).getBoundingClientRect();
                    return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        selector,
    )


@pytest.fixture
def drafted(reference_data, platform, make_enterprise, make_person, make_user):  # noqa: F811
    """A labour contract drafted from the shipped template, sealed by HR; the worker is next."""
    from accord.seals.services import setup_default_seals
    from tests.envelopes.conftest import totp_code

    enterprise = make_enterprise(name=ENTERPRISE)
    manager, hr = make_user("hr", enterprise=enterprise), make_user("hr", enterprise=enterprise)
    worker = make_person(name="李四", phone=PHONE_NUMBER)
    worker.verification_level = Person.Level.REGISTRY
    worker.save()
    Employment.objects.create(person=worker, enterprise=enterprise, start_date=date(2026, 1, 1))
    setup_default_seals(enterprise, manager=manager, users=[hr])
    envelope = drafting.create_from_template(
        enterprise=enterprise,
        person=worker,
        version=published("labour-fixed"),
        fields=contract_fields(probation_end_date="", probation_wage=""),
        created_by=hr,
        send=True,
    )
    in_thread(lambda: services.seal(envelope, user=hr, otp_token=totp_code(hr)))
    deliver_pending()
    return envelope


def _font_px(page, selector: str) -> float:
    return page.evaluate(
        "sel => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize)", selector
    )


def test_sms_link_login_survives_429_and_a_wrong_code_then_reads_the_text_in_large_type(
    open_page, live_server, drafted
):
    envelope = drafted
    party = envelope.parties.get(role=Party.Role.WORKER)
    doc = envelope.documents.get()
    token = last_sms(r"/s/([A-Za-z0-9_-]+)")
    page = open_page(phone=True)

    # The link's landing names the enterprise and the document, before anything is asked.
    page.goto(f"/s/{token}")
    intro = page.get_by_test_id("login-intro")
    expect(intro).to_contain_text(f"{ENTERPRISE} 请您签署文件")
    expect(intro).to_contain_text("劳动合同书（固定期限）")
    expect(intro).to_contain_text(envelope.number)
    expect(page.get_by_test_id("large-type-phone")).to_be_visible()  # not hidden in ☰
    check(page, "login from the SMS link")
    shot(page, "login-link")

    page.fill("#phone", PHONE_NUMBER)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code")).to_be_visible()
    # "Resend" at once: 429; the code sent a moment ago still works, so its field stays.
    page.get_by_role("button", name="重新发送验证码").click()
    expect(page.locator("#code")).to_be_visible()
    alert = page.locator("#code-error")
    expect(alert).to_contain_text("操作过于频繁")
    expect(alert).not_to_contain_text("Too many")  # the page's language only
    expect(alert.locator("details summary")).to_have_text("供客服查询")
    expect(alert.locator("details code")).to_be_hidden()  # folded until asked for
    assert in_view(page, "#code")
    check(page, "login after an early resend")

    # A wrong code: the message beside the field, the field still on screen and focused.
    code = last_sms(r"验证码是 (\d{6})")
    page.fill("#code", f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("#code-error")).to_be_visible()
    expect(page.locator("#code")).to_be_focused()
    assert in_view(page, "#code") and in_view(page, "#code-error")
    check(page, "login after a wrong code")
    shot(page, "login-wrong-code")
    page.fill("#code", code)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(f"/my/sign/{party.public_id}"))

    # The text to read: the template's words with this worker's fields, and the PDF's hash.
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "read")
    text = page.get_by_test_id("doc-text")
    expect(text).to_be_visible()
    expect(text).to_contain_text("劳动合同书（固定期限）")
    expect(text).to_contain_text("乙方月工资为人民币 8,000.00 元。")
    expect(text).not_to_contain_text("试用期工资")  # no probation: its sentence is left out
    expect(text).not_to_contain_text("____")
    expect(page.get_by_test_id("doc-sha256")).to_have_text(doc.current_sha256)
    normal = _font_px(page, ".doc-text h4 + p")
    assert normal >= 17, normal  # legible on a 375 px screen without zooming
    check(page, "reading the text")
    page.locator(".doc-text-note").scroll_into_view_if_needed()
    shot(page, "reading-text")

    # 大字版 from the bar, without opening the menu: the text grows with it.
    page.get_by_test_id("large-type-phone").click()
    expect(page.locator("html")).to_have_class(re.compile("large-type"))
    large = _font_px(page, ".doc-text h4 + p")
    assert large >= normal * 1.2, (normal, large)
    check(page, "reading the text in large type")
    page.locator(".doc-text h4").nth(3).scroll_into_view_if_needed()
    shot(page, "reading-large-type")

    # Reading to the end of the text reads every page; consent opens.
    agree = page.get_by_label(re.compile("本人同意以电子形式订立"))
    expect(agree).to_be_disabled()
    page.locator("[data-text-end]").scroll_into_view_if_needed()
    expect(page.locator("#read-progress")).to_contain_text(f"已阅读 {doc.pages}/{doc.pages} 页")
    expect(agree).to_be_enabled()

    # The page images are one tap away, each a link to its full-size picture (pinch to zoom).
    page.get_by_test_id("view-pages").click()
    images = page.locator(".doc-pages img[data-page]")
    expect(images).to_have_count(doc.pages)
    expect(page.locator(".doc-page-zoom").first).to_have_attribute(
        "href", re.compile(rf"/my/sign/{party.public_id}/pages/1\.png")
    )
    check(page, "page images, large type")
    shot(page, "reading-pages")


def test_worker_home_lists_the_document_waiting_and_english_errors_are_english_only(
    open_page, live_server, drafted
):
    envelope = drafted
    party = envelope.parties.get(role=Party.Role.WORKER)
    page = open_page(phone=True)
    sign_in(page, User.objects.get(person_id=envelope.person_id), live_server)
    page.goto("/")
    waiting = page.get_by_test_id("waiting")
    expect(waiting).to_contain_text(envelope.title)
    expect(waiting).to_contain_text(ENTERPRISE)
    expect(waiting.get_by_role("link", name="阅读并签署")).to_have_attribute(
        "href", f"/my/sign/{party.public_id}"
    )
    check(page, "worker home")
    shot(page, "home-waiting")

    # English: a refused consent speaks English only, the code folded for support.
    english = open_page(phone=True, locale="en-GB")
    sign_in(english, User.objects.get(person_id=envelope.person_id), live_server)
    english.goto(f"/my/sign/{party.public_id}")
    english.evaluate("document.getElementById('agree').disabled = false")
    english.locator("#consent-form button[type=submit]").click()
    alert = english.locator("#error")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(re.compile("[A-Za-z]{4,}"))
    assert not re.search(r"[\u4e00-\u9fff]", alert.locator("p").first.inner_text())
    expect(alert.locator("details code")).to_have_text(re.compile(r"^envelope\."))
    assert in_view(english, "#error") or in_view(english, "#agree")
    check(english, "consent refused, English")
