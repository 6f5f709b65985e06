"""/verify in a browser on a 375 px phone, in Chinese and English (issue #11): the verdict in plain
words, one labelled card per signature, the technical detail folded; axe-core (WCAG 2.1 AA) finds
nothing, with the details closed and open, and nothing scrolls sideways.

The documents are made before the browser starts: pyHanko's synchronous signing runs its own
event loop, which it cannot while Playwright's runs in this thread.

With ACCORD_SCREENSHOTS=1 the pictures of docs/contracts.md are saved into docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from accord.core.events import deliver_pending
from accord.envelopes import drafting, services
from accord.envelopes.models import Envelope, Party
from accord.identity.models import Employment
from accord.signing import providers
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, E2E_DB, PHONE, no_horizontal_scroll
from tests.e2e.test_accessibility import axe_violations, describe
from tests.envelopes.conftest import last_code, totp_code
from tests.support.factories import contract_fields, published

pytestmark = [pytest.mark.e2e, E2E_DB]

SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
SHOOT = os.environ.get("ACCORD_SCREENSHOTS") == "1"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def _tamper(pdf: bytes) -> bytes:
    at = re.search(rb"(?<!end)stream\r?\n", pdf).end() + 10
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


@pytest.fixture
def documents(reference_data, make_enterprise, make_person, make_user):
    """A contract only the employer has sealed, and one signed by both and archived."""
    import base64

    from accord.seals.services import setup_default_seals
    from accord.signing import pki

    pki.ensure_platform()
    enterprise = make_enterprise(name="深圳市福田示范科技有限公司")
    manager = make_user("hr", enterprise=enterprise)
    hr = make_user("hr", enterprise=enterprise)
    workers = []
    for name, phone in [("张小明", "13800138000"), ("李晓红", "13800138001")]:
        worker = make_person(name=name, phone=phone)
        worker.verification_level = "registry"
        worker.save()
        Employment.objects.create(
            person=worker, enterprise=enterprise, start_date=dt.date(2026, 1, 1), position="工程师"
        )
        workers.append(worker)
    setup_default_seals(enterprise, manager=manager, users=[hr])
    deliver_pending()

    def contract(worker) -> Envelope:
        envelope = drafting.create_from_template(
            enterprise=enterprise,
            person=worker,
            version=published("labour-fixed"),
            fields=contract_fields(),
            created_by=hr,
            send=True,
        )
        services.seal(envelope, user=hr, otp_token=totp_code(hr))
        return envelope

    sealed = contract(workers[0])
    complete = contract(workers[1])
    party = complete.parties.get(role=Party.Role.WORKER)
    services.record_view(party, pages_read=complete.documents.first().pages)
    services.record_consent(party)
    services.save_signature_image(party, base64.b64decode(PNG))
    services.request_code(party)
    services.sign_personal(party, code=last_code(), user=workers[1].user)
    complete.refresh_from_db()
    assert complete.status == Envelope.Status.COMPLETED
    services.archive_documents(complete)

    def pdf(envelope):
        return providers.load_document(envelope.documents.get().current_sha256)

    return {
        "sealed": pdf(sealed),
        "complete_number": complete.documents.get().number,
        "tampered": _tamper(pdf(complete)),
    }


def _check(page, name: str, failures: list[str]) -> None:
    violations = axe_violations(page)
    if violations:
        failures.append(describe(f"{name} ({page.url})", violations))
    if not no_horizontal_scroll(page):
        failures.append(f"{name}: scrolls sideways at 375 px")


def _shot(page, name: str) -> None:
    if SHOOT:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"verify-{name}-phone.png"), full_page=True)


def _upload(page, pdf: bytes, button: str) -> None:
    page.goto("/verify")
    page.locator("#verify-file").set_input_files(
        {"name": "contract.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    page.get_by_role("button", name=button, exact=True).click()


def _labels_visible(page) -> None:
    """Every fact of every card has its label on screen at 375 px (the old table lost them)."""
    for card in page.locator("[data-marks] > li").all():
        for label in ("dt",):
            facts = card.locator(f".mark-facts {label}")
            assert facts.count() == 3
            for i in range(3):
                expect(facts.nth(i)).to_be_visible()


def test_verify_on_a_phone_in_chinese_and_english(documents, live_server):
    failures: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            zh = browser.new_context(
                base_url=live_server.url, locale="zh-CN", reduced_motion="reduce", **PHONE
            ).new_page()
            # Only the employer has sealed: partly signed, and it says who is still awaited.
            _upload(zh, documents["sealed"], "验证")
            verdict = zh.locator("[data-verdict]")
            expect(verdict).to_have_attribute("data-state", "partial")
            expect(verdict).to_contain_text("签署尚未完成")
            expect(verdict).not_to_contain_text("所有签名有效")
            expect(zh.locator("[data-awaiting]")).to_contain_text("乙方（劳动者）签名：张小明")
            expect(zh.locator("[data-mark-role=enterprise_seal]")).to_contain_text(
                "深圳市福田示范科技有限公司"
            )
            _labels_visible(zh)
            expect(zh.locator(".mark-details .tech").first).to_be_hidden()
            _check(zh, "verify partial zh", failures)
            _shot(zh, "partial")

            # Signed by both and archived, by its number: complete, the archive explained.
            zh.goto(f"/verify?number={documents['complete_number']}")
            expect(zh.locator("[data-verdict]")).to_have_attribute("data-state", "complete")
            expect(zh.locator("[data-mark-role]")).to_have_count(3)
            expect(zh.locator("[data-mark-role=archive_timestamp]")).to_contain_text(
                "存档时间戳（不是签名）"
            )
            expect(zh.locator("[data-mark-role=person] [data-mark-name]")).to_have_text("李**")
            _labels_visible(zh)
            _check(zh, "verify complete zh", failures)
            _shot(zh, "complete")
            zh.locator("[data-mark-role=person] summary").click()
            expect(zh.locator("[data-mark-role=person] .tech")).to_be_visible()
            expect(zh.locator("[data-mark-role=person] .tech")).to_contain_text(
                "此后只增加了验证数据和存档时间戳"
            )
            _check(zh, "verify complete zh, details open", failures)

            en = browser.new_context(
                base_url=live_server.url, locale="en-US", reduced_motion="reduce", **PHONE
            ).new_page()
            _upload(en, documents["sealed"], "Verify")
            verdict = en.locator("[data-verdict]")
            expect(verdict).to_contain_text("Not yet fully signed")
            expect(en.locator("[data-awaiting]")).to_contain_text("Party B (worker) signature")
            _labels_visible(en)
            _check(en, "verify partial en", failures)
            _shot(en, "partial-en")

            # One byte changed: it says the document changed after signing — the right reason.
            _upload(en, documents["tampered"], "Verify")
            verdict = en.locator("[data-verdict]")
            expect(verdict).to_have_attribute("data-state", "changed")
            expect(verdict).to_contain_text("changed after it was signed")
            expect(en.locator("[data-problem]").first).to_contain_text("content was changed")
            expect(en.locator("main")).not_to_contain_text("not issued by this platform")
            _check(en, "verify tampered en", failures)
            _shot(en, "changed-en")
        finally:
            browser.close()
    assert not failures, "\n".join(failures)
