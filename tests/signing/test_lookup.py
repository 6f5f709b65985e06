"""/verify by document number: the stored signed PDF is verified, its content never shown."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from accord.signing import lookup, services
from accord.signing.lookup import LookedUpDocument

pytestmark = pytest.mark.django_db

NUMBER = "FY20261125-7K3Q9D2M"


@pytest.fixture
def sealed_pdf(platform, contract_pdf) -> bytes:
    return services.seal_with_bureau(contract_pdf, level="B-T").pdf


@pytest.fixture
def registry(sealed_pdf, contract_pdf):
    """Two owners: one keeps its documents private, one publishes a download link."""
    documents = {
        NUMBER: LookedUpDocument(NUMBER, sealed_pdf, "劳动合同书（张三）", "劳动合同"),
        "ZS20261125-PUBLIC01": LookedUpDocument(
            "ZS20261125-PUBLIC01",
            sealed_pdf,
            "培训结业证书",
            "证书",
            download_url="/certificates/ZS20261125-PUBLIC01.pdf",
        ),
        "FY20261125-UNSIGNED": LookedUpDocument(
            "FY20261125-UNSIGNED", contract_pdf, "草稿", "劳动合同"
        ),
    }

    def find(number: str):
        return documents.get(number)

    lookup.register(find)
    yield documents
    lookup.unregister(find)


def test_page_verifies_the_stored_pdf_by_number_without_showing_it(client, registry, sealed_pdf):
    from accord.signing.pdf import sha256

    response = client.get("/verify", {"number": NUMBER.lower()})  # typed in lower case
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'data-verdict="valid"' in html
    assert f'data-document-number="{NUMBER}"' in html
    assert "劳动合同书（张三）" in html
    assert sha256(sealed_pdf) in html
    assert "data-download" not in html  # the owner did not publish it
    assert b"%PDF" not in response.content


def test_page_links_the_download_only_when_the_owner_allows_it(client, registry):
    html = client.get("/verify", {"number": "ZS20261125-PUBLIC01"}).content.decode()
    assert 'href="/certificates/ZS20261125-PUBLIC01.pdf" data-download' in html


def test_unsigned_document_is_reported_invalid(client, registry):
    html = client.get("/verify", {"number": "FY20261125-UNSIGNED"}).content.decode()
    assert 'data-verdict="invalid"' in html


def test_unknown_and_malformed_numbers(client, registry):
    response = client.get("/verify", {"number": "FY20990101-NOSUCH00"})
    assert response.status_code == 404
    assert 'data-error-code="signing.document_number_unknown"' in response.content.decode()
    response = client.get("/verify", {"number": "<script>"})
    assert response.status_code == 422
    assert 'data-error-code="signing.document_number_invalid"' in response.content.decode()


def test_api_answers_the_report_as_json(client, registry, sealed_pdf):
    from accord.signing.pdf import sha256

    response = client.get(f"/api/v1/verify/{NUMBER}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == NUMBER and body["valid"] is True
    assert body["sha256"] == sha256(sealed_pdf)
    assert body["report"]["signatures"][0]["trusted"] is True
    assert body["download_url"] is None
    assert "pdf" not in body
    assert client.get("/api/v1/verify/ZS20261125-PUBLIC01").json()["download_url"] == (
        "/certificates/ZS20261125-PUBLIC01.pdf"
    )
    missing = client.get("/api/v1/verify/FY20990101-NOSUCH00")
    assert missing.status_code == 404
    assert missing.json()["code"] == "signing.document_number_unknown"


def test_lookups_are_rate_limited_per_ip(client, registry, settings):
    # This process's own cache: parallel test workers share the file cache and clear it.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "signing-lookup-rate-limit",
        }
    }
    settings.ACCORD_VERIFY_LOOKUPS_PER_MINUTE = 3
    # The limit counts per clock minute: hold the clock inside one, however slow the machine.
    with freeze_time("2030-01-01 10:00:30", tick=False):
        for _ in range(3):
            assert client.get("/api/v1/verify/FY20990101-NOSUCH00").status_code == 404
        refused = client.get(f"/api/v1/verify/{NUMBER}")  # even a real number, now
        assert refused.status_code == 429
        assert refused.json()["code"] == "signing.verify_rate_limited"
        page = client.get("/verify", {"number": NUMBER})
        assert page.status_code == 429 and "Retry-After" in page
        # Another address is not affected.
        other = client.get(f"/api/v1/verify/{NUMBER}", REMOTE_ADDR="192.0.2.7")
        assert other.status_code == 200


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_lookup_page_is_accessible_on_a_phone(live_server, contract_pdf):
    """axe-core (WCAG 2.1 AA) finds nothing on the by-number result, at 375 px, no sideways scroll."""
    from playwright.sync_api import sync_playwright

    from accord.signing import pki
    from tests.e2e.test_accessibility import axe_violations

    pki.ensure_platform()
    sealed = services.seal_with_bureau(contract_pdf, level="B-T").pdf  # before the browser starts

    def find(number: str):
        return (
            LookedUpDocument(NUMBER, sealed, "劳动合同书（张三）", "劳动合同")
            if number == NUMBER
            else None
        )

    lookup.register(find)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_context(
                viewport={"width": 375, "height": 812}, is_mobile=True, locale="zh-CN"
            ).new_page()
            page.goto(f"{live_server.url}/verify")
            page.fill("#verify-number", NUMBER)
            page.click("text=查询并验证")
            page.wait_for_selector('[data-verdict="valid"]')
            assert page.locator(f'[data-document-number="{NUMBER}"]').count() == 1
            # axe is injected by evaluate: the page's CSP allows no inline script
            violations = axe_violations(page)
            assert violations == [], [(v["id"], v["nodes"][0]["html"]) for v in violations]
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            browser.close()
    finally:
        lookup.unregister(find)
