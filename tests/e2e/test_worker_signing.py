"""The worker on a phone (issue #6 item 5): SMS link → code login → real-name check → read every
page → consent → draw → code bound to the document → signed → download; a reload mid-way
resumes where it stopped; no axe-core violation on any step; the first load stays light."""

from __future__ import annotations

import re
import threading
from datetime import date

import pytest
from django.db import connections
from playwright.sync_api import expect

from accord.core.events import deliver_pending
from accord.core.models import SmsMessage
from accord.envelopes import services
from accord.envelopes.models import Envelope, Party
from accord.identity.models import Employment, Person, ResidentRegistryRecord, User
from accord.identity.verification import id_index, name_index
from tests.e2e.conftest import E2E_DB, no_horizontal_scroll, sign_in
from tests.e2e.test_accessibility import axe_violations, describe
from tests.signing.fixtures import contract_bytes, platform  # noqa: F401

pytestmark = [pytest.mark.e2e, E2E_DB]

PHONE_NUMBER = "13900003333"
FIRST_LOAD_BUDGET = 500 * 1024  # bytes, everything but the page images (issue #6 item 5)


def in_thread(fn):
    """Run ``fn`` outside this thread: Playwright's sync API keeps an event loop here, and
    pyHanko's synchronous signing calls asyncio.run(), which cannot run beside it."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # re-raised below, in the test
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def sealed(reference_data, platform, make_enterprise, make_person, make_user):  # noqa: F811
    """HR has sealed a two-page labour contract; the worker (not yet registry-verified) is next."""
    from accord.seals.services import setup_default_seals
    from tests.envelopes.conftest import totp_code

    enterprise = make_enterprise(name="深圳市福田区福易科技有限公司")
    manager, hr = make_user("hr", enterprise=enterprise), make_user("hr", enterprise=enterprise)
    worker = make_person(name="张三", phone=PHONE_NUMBER)
    worker.verification_level = Person.Level.CHECKSUM
    worker.save()
    ResidentRegistryRecord.objects.create(
        id_number_index=id_index(worker.id_type, worker.id_number),
        name_index=name_index(worker.name),
        source="e2e registry",
    )
    Employment.objects.create(person=worker, enterprise=enterprise, start_date=date(2026, 1, 1))
    setup_default_seals(enterprise, manager=manager, users=[hr])
    envelope = services.create_envelope(
        enterprise=enterprise,
        person=worker,
        title="劳动合同书（固定期限）",
        kind="labour_fixed",
        documents=[services.DocumentInput("劳动合同书", "labour_fixed", contract_bytes())],
        created_by=hr,
        send=True,
    )
    in_thread(lambda: services.seal(envelope, user=hr, otp_token=totp_code(hr)))
    deliver_pending()
    return envelope


def check_axe(page, name: str) -> None:
    violations = axe_violations(page)
    assert not violations, describe(name, violations)
    assert no_horizontal_scroll(page), name


def last_sms(pattern: str) -> str:
    for text in SmsMessage.objects.order_by("-id").values_list("text", flat=True):
        found = re.search(pattern, text)
        if found:
            return found.group(1)
    raise AssertionError(f"no text message matches {pattern}")


def draw_signature(page) -> None:
    canvas = page.locator("#sig-canvas")
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + w * (0.1 + 0.07 * i), y + h * (0.6 - 0.3 * (i % 2)), steps=2)
    page.mouse.up()
    page.touchscreen.tap(x + w * 0.9, y + h * 0.5)  # a touch: the final dot


def test_worker_signs_a_contract_on_a_phone_from_the_sms_link(open_page, live_server, sealed):
    envelope = sealed
    party = envelope.parties.get(role=Party.Role.WORKER)
    sign_url = f"/my/sign/{party.public_id}"
    token = last_sms(r"/s/([A-Za-z0-9_-]+)")
    page = open_page(phone=True)

    # The SMS link asks for the phone login, then comes back to the signing page.
    page.goto(f"/s/{token}")
    expect(page).to_have_url(re.compile(r"/login/phone\?next="))
    check_axe(page, "phone login from the link")
    page.fill("#phone", PHONE_NUMBER)
    page.get_by_role("button", name="获取验证码").click()
    page.fill("#code", last_sms(r"验证码是 (\d{6})"))
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(sign_url)))

    # (1) First-time real-name verification.
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "verify")
    expect(page.get_by_role("heading", level=1)).to_have_text(envelope.title)
    check_axe(page, "step verify")
    page.get_by_role("button", name="完成实名认证").click()

    # (2) Read: pages load one by one as they scroll into view; progress is kept on the server.
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "read")
    images = page.locator(".doc-pages img[data-page]")
    total = images.count()
    assert total == 2
    expect(images.first).to_have_attribute("loading", "lazy")
    expect(images.first).to_have_attribute("alt", "第 1 页（点按放大）")
    agree = page.get_by_label(re.compile("本人同意以电子形式订立"))
    expect(agree).to_be_disabled()
    check_axe(page, "step read")
    images.nth(0).scroll_into_view_if_needed()
    expect(page.locator("#read-progress")).to_contain_text(f"已阅读 1/{total} 页")
    for _ in range(50):
        if Party.objects.get(pk=party.pk).read_pages >= 1:
            break
        page.wait_for_timeout(100)
    assert Party.objects.get(pk=party.pk).read_pages >= 1

    # The connection drops; reopening resumes at page 2 with page 1 counted.
    page.reload()
    expect(page.locator("#read-progress")).to_contain_text(f"/{total} 页")
    images.nth(1).scroll_into_view_if_needed()
    expect(page.locator("#read-progress")).to_contain_text(f"已阅读 {total}/{total} 页")
    expect(agree).to_be_enabled()
    # The page seen was really fetched and drawn (910 px wide at 110 dpi).
    page.wait_for_function("document.querySelector('img[data-page=\"2\"]').naturalWidth === 910")
    agree.check()
    page.get_by_role("button", name="同意并继续").click()

    # (3) Draw with the mouse and a touch.
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "draw")
    check_axe(page, "step draw")
    draw_signature(page)
    page.get_by_role("button", name="保存签名").click()

    # (4) The code step shows the saved signature, also after a reload.
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "code")
    page.reload()
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "code")
    saved = page.get_by_test_id("saved-signature")
    expect(saved).to_be_visible()
    assert page.evaluate("document.querySelector('[data-testid=saved-signature]').naturalWidth") > 0
    assert bytes(Party.objects.get(pk=party.pk).signature_image).startswith(b"\x89PNG")
    check_axe(page, "step code")
    page.get_by_role("button", name="发送验证码").click()
    code_input = page.get_by_label("短信验证码（6 位数字）")
    expect(code_input).to_have_attribute("autocomplete", "one-time-code")
    expect(code_input).to_have_attribute("inputmode", "numeric")
    code_input.fill(last_sms(r"验证码 (\d{6})"))
    page.get_by_role("button", name="确认签署").click()

    # (5) Signed: download the copy, and a way to verify it.
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "done")
    assert Envelope.objects.get(pk=envelope.pk).status == Envelope.Status.COMPLETED
    check_axe(page, "step done")
    expect(page.get_by_role("link", name=re.compile("验证文件"))).to_have_attribute(
        "href", f"/verify?number={envelope.number}-1"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"下载 .*\.pdf")).click()
    with open(download.value.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"

    # My documents lists it; the used link is refused clearly.
    page.get_by_role("link", name="我的文件").click()
    expect(page.locator("main")).to_contain_text(envelope.number)
    check_axe(page, "my documents")
    page.goto(f"/s/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("您已签署过该文件")
    check_axe(page, "used link")


def test_first_load_of_the_signing_page_is_under_500_kb_without_page_images(
    open_page, live_server, sealed
):
    envelope = sealed
    party = envelope.parties.get(role=Party.Role.WORKER)
    Person.objects.filter(pk=envelope.person_id).update(verification_level=Person.Level.REGISTRY)
    page = open_page(phone=True)  # a new context: nothing cached
    sign_in(page, User.objects.get(person_id=envelope.person_id), live_server)
    sizes: dict[str, int] = {}

    def count(response):
        if "/pages/" in response.url or response.status != 200:
            return
        try:
            sizes[response.url] = len(response.body())
        except Exception:  # a response without a body (a redirect)
            sizes.setdefault(response.url, 0)

    page.on("response", count)
    page.goto(f"/my/sign/{party.public_id}")
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "read")
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    print(f"first load without page images: {total} bytes in {len(sizes)} responses")
    assert any(url.endswith("sign.js") for url in sizes)
    assert total < FIRST_LOAD_BUDGET, sizes


def test_signing_page_in_english_and_large_type_fits_a_phone(open_page, live_server, sealed):
    envelope = sealed
    party = envelope.parties.get(role=Party.Role.WORKER)
    Person.objects.filter(pk=envelope.person_id).update(verification_level=Person.Level.REGISTRY)
    page = open_page(phone=True, locale="en-GB")
    sign_in(page, User.objects.get(person_id=envelope.person_id), live_server)
    page.context.add_cookies([{"name": "large_type", "value": "1", "url": live_server.url}])
    page.goto(f"/my/sign/{party.public_id}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "read")
    check_axe(page, "step read, English, large type")
    page.goto("/my/documents")
    check_axe(page, "my documents, English, large type")


def test_worker_refuses_after_confirming_and_the_page_says_it_ended(open_page, live_server, sealed):
    envelope = sealed
    party = envelope.parties.get(role=Party.Role.WORKER)
    page = open_page(phone=True)
    sign_in(page, User.objects.get(person_id=envelope.person_id), live_server)
    page.goto(f"/my/sign/{party.public_id}")
    page.locator("details.reject summary").click()
    page.get_by_label("拒签原因").fill("岗位与面谈不一致")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        # The first time the worker thinks again; the second time they mean it.
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="拒绝签署").click()
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "verify")
    assert Envelope.objects.get(pk=envelope.pk).status == Envelope.Status.SENT
    page.get_by_role("button", name="拒绝签署").click()
    expect(page.locator("#sign-page")).to_have_attribute("data-step", "ended")
    expect(page.locator("main")).to_contain_text("岗位与面谈不一致")
    assert "拒签后本文件终止" in dialogs[0]
    assert Envelope.objects.get(pk=envelope.pk).status == Envelope.Status.REJECTED
    check_axe(page, "ended after refusing")
