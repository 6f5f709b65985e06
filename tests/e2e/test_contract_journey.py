"""The 福易签 journey in a browser: HR logs in with TOTP, authors a labour contract (a legal
problem is shown first, with its article), sends it, seals it with TOTP; the worker signs; both
download the signed PDF; /verify says valid, and a copy with one byte changed says invalid.
axe-core checks each HR page at 1280 px and at 375 px.

The worker's signing steps go through the envelope API from the worker's own browser session
(consent, drawn signature, SMS code, sign): the worker's phone pages are another module's
subject; this journey opens them only to show that the worker's turn has come.

With ACCORD_SCREENSHOTS=1 the pictures of docs/contracts.md are saved into docs/img/.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accord.core.events import deliver_pending
from accord.envelopes.models import Envelope, Party
from accord.identity.models import Employment, User
from tests.e2e.conftest import E2E_DB, log_in_through_form, no_horizontal_scroll, sign_in
from tests.e2e.test_accessibility import axe_violations, describe
from tests.envelopes.conftest import last_code, totp_code
from tests.signing.fixtures import unreachable_revocation_urls  # noqa: F401

pytestmark = [pytest.mark.e2e, E2E_DB]

IMG = Path(settings.BASE_DIR) / "docs" / "img"
SHOOT = os.environ.get("ACCORD_SCREENSHOTS") == "1"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def shot(page, name: str, max_height: int = 2400) -> None:
    if not SHOOT:
        return
    IMG.mkdir(parents=True, exist_ok=True)
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    page.mouse.move(0, 0)
    page.screenshot(
        path=str(IMG / f"contracts-{name}.png"),
        clip={"x": 0, "y": 0, "width": size[0], "height": min(size[1], max_height)},
        full_page=True,
    )


@pytest.fixture
def shop(reference_data, make_enterprise, make_person, make_user):
    from accord.seals.services import setup_default_seals
    from accord.signing import pki

    pki.ensure_platform()
    enterprise = make_enterprise(name="深圳市福田示范科技有限公司")
    manager = make_user("hr", enterprise=enterprise)
    hr = make_user("hr", enterprise=enterprise)  # with TOTP: may use the seal
    worker = make_person(name="张小明", phone="13800138000")
    worker.verification_level = "registry"
    worker.save()
    # Hired three weeks before the run: the written contract is still due (LCL Art. 10, 14 ¶3).
    hired = timezone.localdate() - dt.timedelta(days=21)
    job = Employment.objects.create(
        person=worker, enterprise=enterprise, start_date=hired, position="软件工程师"
    )
    setup_default_seals(enterprise, manager=manager, users=[hr])
    deliver_pending()
    return enterprise, hr, worker, job


def _axe(page, name: str, failures: list[str]) -> None:
    violations = axe_violations(page)
    if violations:
        failures.append(describe(f"{name} ({page.url})", violations))


def _check_both_widths(open_page, hr, live_server, url: str, name: str, failures) -> None:
    """axe at 375 px, and no sideways scrolling, on a phone-sized page of the same URL."""
    phone = open_page(phone=True)
    sign_in(phone, hr, live_server)
    phone.goto(url)
    _axe(phone, f"{name} 375px", failures)
    if not no_horizontal_scroll(phone):
        failures.append(f"{name}: scrolls sideways at 375 px")
    phone.context.close()


def _api(page, method: str, url: str, body=None):
    """The worker's own browser session calls the envelope API (CSRF-checked like the pages)."""
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.fetch(
        url,
        method=method,
        headers={"X-CSRFToken": csrf, "Content-Type": "application/json", "Referer": page.url},
        data=body if body is not None else {},
    )


def test_hr_authors_sends_seals_the_worker_signs_and_verify_tells_valid_from_tampered(
    open_page, shop, live_server
):
    enterprise, hr, worker, job = shop
    failures: list[str] = []
    page = open_page()
    log_in_through_form(page, hr)  # password, then the TOTP code

    # The timeline of the employee: only the steps that fit a new employment are offered.
    page.goto(f"/employments/{job.public_id}/timeline")
    expect(page.get_by_role("heading", level=1)).to_contain_text("张小明")
    _axe(page, "timeline (empty)", failures)
    page.locator('[data-kind="labour_fixed"] a').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建固定期限劳动合同")

    start = timezone.localdate() + dt.timedelta(days=3)
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("终止日期").fill(start.replace(year=start.year + 3).isoformat())
    page.get_by_label("试用期截止日期").fill((start + dt.timedelta(days=90)).isoformat())
    page.get_by_label("月工资（元）").fill("8000")
    page.get_by_label("工作地点").fill("深圳市福田区")
    # A probation wage under 80 % of the wage: the live check names LCL Art. 20 before submitting.
    page.get_by_label("试用期工资（元）").fill("5000")
    page.get_by_label("试用期工资（元）").blur()
    problems = page.get_by_test_id("legal-problems")
    expect(problems).to_contain_text("第二十条")
    _axe(page, "new envelope with a legal problem", failures)
    shot(page, "new-problem")
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("#form-errors")).to_contain_text("第二十条")
    assert not Envelope.objects.exists()

    page.get_by_label("试用期工资（元）").fill("6800")
    page.get_by_label("试用期工资（元）").blur()
    expect(page.get_by_test_id("legal-ok")).to_be_visible()
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("[data-status=sent]").first).to_be_visible()
    envelope = Envelope.objects.get()
    deliver_pending()

    # The detail: the seal step with its TOTP field.
    page.reload()
    expect(page.get_by_label("动态口令（6 位）")).to_be_visible()
    _axe(page, "detail with the seal step", failures)
    shot(page, "detail-seal")
    page.get_by_label("动态口令（6 位）").fill(totp_code(hr))  # a fresh code (not the login's)
    page.get_by_role("button", name="确认盖章").click()
    expect(page.locator('tr[data-role="enterprise"]')).to_have_attribute("data-status", "signed")
    deliver_pending()
    worker_party = envelope.parties.get(role=Party.Role.WORKER)
    assert worker_party.status == Party.Status.READY

    # The worker: their phone shows the document to sign; they sign through the API.
    worker_user = User.objects.get(person=worker)
    phone = open_page(phone=True)
    sign_in(phone, worker_user, live_server)
    phone.goto(f"/my/sign/{worker_party.public_id}")
    expect(phone.locator("main")).to_contain_text(envelope.title[:4])
    phone.wait_for_load_state("networkidle")  # the page images of the document
    shot(phone, "worker-phone", 1800)
    base = f"/api/v1/envelopes/{envelope.public_id}"
    # MOHRSS 2021 No. 54: the worker agrees to the electronic form after reading every page.
    total = sum(d.pages for d in envelope.documents.all())
    assert _api(phone, "POST", f"{base}/consent").status == 422
    assert _api(phone, "POST", f"{base}/read", {"pages": total}).status == 200
    assert _api(phone, "POST", f"{base}/consent").status == 200
    assert _api(phone, "PUT", f"{base}/signature-image", {"png_base64": PNG}).status == 204
    assert _api(phone, "POST", f"{base}/signing-code").status == 202
    signed = _api(phone, "POST", f"{base}/sign", {"code": last_code()})
    assert signed.status == 200, signed.text()
    assert signed.json()["status"] == "completed"
    deliver_pending()

    # Both download the signed PDF.
    worker_pdf = phone.request.get(f"{base}/documents/1.pdf").body()
    page.reload()
    expect(page.locator("[data-status=completed]").first).to_be_visible()
    _axe(page, "detail completed", failures)
    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    hr_pdf = Path(download.value.path()).read_bytes()
    assert hr_pdf == worker_pdf and hr_pdf.startswith(b"%PDF")

    # The list and the timeline now show the completed contract.
    page.goto("/envelopes/")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    _axe(page, "envelope list", failures)
    shot(page, "list")
    page.goto(f"/employments/{job.public_id}/timeline")
    expect(page.get_by_test_id("timeline")).to_contain_text(envelope.number)
    expect(page.locator('[data-kind="change"][data-allowed="true"]')).to_be_visible()
    _axe(page, "timeline", failures)
    shot(page, "timeline")

    # /verify is public: the signed file is valid; one byte changed makes it invalid.
    public = open_page()
    public.goto("/verify")
    public.locator("#verify-file").set_input_files(
        {"name": "contract.pdf", "mimeType": "application/pdf", "buffer": worker_pdf}
    )
    public.get_by_role("button", name="验证", exact=True).click()
    expect(public.locator("[data-verdict=valid]")).to_be_visible()
    shot(public, "verify-valid", 1600)
    # One byte inside the first page's compressed content, covered by every signature.
    at = re.search(rb"(?<!end)stream\r?\n", worker_pdf).end() + 10
    tampered = worker_pdf[:at] + bytes([worker_pdf[at] ^ 0x01]) + worker_pdf[at + 1 :]
    public.goto("/verify")
    public.locator("#verify-file").set_input_files(
        {"name": "contract.pdf", "mimeType": "application/pdf", "buffer": tampered}
    )
    public.get_by_role("button", name="验证", exact=True).click()
    expect(public.locator("[data-verdict=invalid]")).to_be_visible()
    # The reason is the change itself, per signature (not "the certificate does not chain").
    expect(public.locator("[data-problem]").first).to_contain_text("文件内容被改动过")
    shot(public, "verify-invalid", 1600)

    # The same HR pages at 375 px.
    for url, name in [
        ("/envelopes/", "envelope list"),
        (f"/envelopes/{envelope.public_id}/", "detail"),
        (f"/employments/{job.public_id}/timeline", "timeline"),
        (
            f"/enterprises/{enterprise.public_id}/envelopes/new?employment={job.public_id}"
            "&kind=change",
            "new change agreement",
        ),
    ]:
        _check_both_widths(open_page, hr, live_server, url, name, failures)
    if failures:
        pytest.fail("axe-core found WCAG 2.1 AA problems:\n" + "\n\n".join(failures), pytrace=False)
