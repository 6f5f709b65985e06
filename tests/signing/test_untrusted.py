"""The public /verify upload cannot hold a web worker (issue #13): a crafted page tree is refused
as malformed at once, everything is parsed first in a sandboxed child with a deadline, and
uploads and the protocol endpoints are rate-limited per address."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.core import sandbox
from accord.core.errors import AccordError
from accord.signing import services
from accord.signing.errors import PDF_MALFORMED
from tests.signing.fixtures import contract_bytes
from tests.support import crafted

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.signing.urls")]


def _upload(client, data: bytes, name: str = "x.pdf"):
    return client.post("/verify", {"file": SimpleUploadedFile(name, data, "application/pdf")})


def test_a_page_tree_that_points_twice_at_each_child_is_refused_as_malformed(platform, client):
    """2.5 KB, 2^24 paths through the tree: it held a worker for 30 s and then answered 500."""
    page = _upload(client, crafted.pdf_page_tree_twice(24))
    assert page.status_code == 422
    assert PDF_MALFORMED.message_zh in page.content.decode()


def test_a_page_tree_cycle_is_refused_as_malformed(platform, client):
    page = _upload(client, crafted.pdf_page_tree_cycle())
    assert page.status_code == 422
    assert PDF_MALFORMED.message_zh in page.content.decode()


def test_a_signed_contract_still_verifies_through_the_sandbox(platform, client):
    signed = services.seal_with_bureau(contract_bytes()).pdf
    page = _upload(client, signed)
    assert page.status_code == 200
    assert page.context["report"].valid


def test_parsing_past_the_deadline_is_a_clear_422(platform, client, settings):
    settings.ACCORD_UNTRUSTED_PDF_SECONDS = 0.0
    page = _upload(client, crafted.pdf_plain())
    assert page.status_code == 422
    assert b'data-error-code="core.file_too_complex"' in page.content


def test_uploads_are_rate_limited_per_address(platform, client, settings):
    settings.ACCORD_VERIFY_UPLOADS_PER_MINUTE = 3
    for _ in range(3):
        assert _upload(client, crafted.pdf_plain()).status_code in (200, 422)
    page = _upload(client, crafted.pdf_plain())
    assert page.status_code == 429 and int(page["Retry-After"]) > 0


def test_a_file_over_the_pdf_limit_is_refused_before_it_is_read(platform, client, settings):
    settings.ACCORD_SIGNING_MAX_PDF_BYTES = 1024
    page = _upload(client, crafted.pdf_plain() + b"%" * 2048)
    assert page.status_code == 422 and "20 MB" not in page.content.decode()
    assert b'data-error-code="signing.pdf_too_large"' in page.content


def test_the_tsa_and_ocsp_are_rate_limited_per_address(platform, client, settings):
    settings.ACCORD_PROTOCOL_REQUESTS_PER_MINUTE = 2
    for _ in range(2):
        r = client.post("/tsa", b"x", content_type="application/timestamp-query")
        assert r.status_code == 200
    r = client.post("/tsa", b"x", content_type="application/timestamp-query")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0


# ---- the sandbox itself ----------------------------------------------------------------------


def _forever(_):
    while True:
        pass


def _greedy(_):
    return bytearray(2 * 1024 * 1024 * 1024)


def _refuses(_):
    raise PDF_MALFORMED()


def test_the_sandbox_kills_a_child_past_its_deadline():
    with pytest.raises(AccordError) as refused:
        sandbox.run_bounded(_forever, None, seconds=0.5, memory_bytes=64 * 1024 * 1024)
    assert refused.value.code == "core.file_too_complex"


def test_the_sandbox_caps_the_childs_memory():
    with pytest.raises(AccordError) as refused:
        sandbox.run_bounded(_greedy, None, seconds=30, memory_bytes=64 * 1024 * 1024)
    assert refused.value.code == "core.file_too_complex"


def test_the_sandbox_returns_the_result_and_passes_the_childs_error_back():
    assert sandbox.run_bounded(len, b"abc", seconds=30, memory_bytes=64 * 1024 * 1024) == 3
    with pytest.raises(AccordError) as refused:
        sandbox.run_bounded(_refuses, None, seconds=30, memory_bytes=64 * 1024 * 1024)
    assert refused.value.code == "signing.pdf_malformed" and refused.value.status == 422
