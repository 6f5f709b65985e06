"""/verify for a layperson (issue #11): who signed in which role, when, complete or only partly
signed, changed or not — in Chinese and English, with the technical detail folded away.

The documents are real 福易签 envelopes: sealed by the enterprise (甲方) with a fresh TOTP code,
signed by the worker (乙方) with an SMS code, archived with a document timestamp (PAdES B-LTA).
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.envelopes import services
from accord.envelopes.models import Envelope
from accord.signing import providers, verdict
from accord.signing.verify import verify_pdf
from tests.envelopes.conftest import totp_code
from tests.envelopes.test_services import _contract, _worker_signs

pytestmark = pytest.mark.django_db

# Names a person should never read on /verify (codes, PDF field names, pyHanko's levels).
INTERNAL = ["seal1", "sig1", "entire_revision", "entire_file", "labour_fixed", "form_filling"]


def _pdf(envelope: Envelope) -> bytes:
    return providers.load_document(envelope.documents.get().current_sha256)


def _tamper(pdf: bytes) -> bytes:
    at = re.search(rb"(?<!end)stream\r?\n", pdf).end() + 10
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def _upload(client, pdf: bytes, lang: str = "zh-CN") -> str:
    response = client.post(
        "/verify",
        {"file": SimpleUploadedFile("c.pdf", pdf, "application/pdf")},
        HTTP_ACCEPT_LANGUAGE=lang,
    )
    assert response.status_code == 200
    return response.content.decode()


def _visible(html: str) -> str:
    """The page without its folded technical details."""
    return re.sub(r"<details.*?</details>", "", html, flags=re.S)


@pytest.fixture
def sealed(shop) -> Envelope:
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    return envelope


@pytest.fixture
def completed(shop, sealed) -> Envelope:
    _worker_signs(shop, sealed)
    sealed.refresh_from_db()
    assert sealed.status == Envelope.Status.COMPLETED
    return sealed


def test_a_contract_only_the_employer_sealed_reads_partly_signed_not_all_valid(
    sealed, shop, client
):
    html = _upload(client, _pdf(sealed))
    assert 'data-verdict="partial"' in html and 'data-state="partial"' in html
    assert "所有签名有效" not in html and "全部签署方均已签署" not in html
    assert "签署尚未完成" in html
    # Who is still awaited, by role and name.
    awaiting = re.search(r"<ul class=\"mb-2\" data-awaiting>(.*?)</ul>", html, re.S).group(1)
    assert "乙方（劳动者）签名" in awaiting and "张三" in awaiting
    # The one mark: the employer's seal, named by the enterprise, not by an X.500 name.
    marks = re.findall(r'data-mark-role="(\w+)"', html)
    assert marks == ["enterprise_seal"]
    assert "甲方（用人单位）盖章" in html
    assert re.search(r"<dd data-mark-name>深圳市福田区福易科技有限公司</dd>", html)
    visible = _visible(html)
    assert "Common Name" not in visible
    for word in INTERNAL:
        assert word not in html


def test_a_completed_contract_names_both_parties_their_roles_and_tsa_times(completed, client):
    html = _upload(client, _pdf(completed))
    assert 'data-verdict="valid"' in html and 'data-state="complete"' in html
    assert "文件有效：全部签署方均已签署" in html
    assert re.findall(r'data-mark-role="(\w+)"', html) == ["enterprise_seal", "person"]
    assert "甲方（用人单位）盖章" in html and "乙方（劳动者）签名" in html
    assert re.search(r"<dd data-mark-name>张三</dd>", html)
    assert html.count("由可信时间戳证明") == 2
    assert "data-awaiting" not in html
    for word in INTERNAL:
        assert word not in html


def test_the_archive_timestamp_is_explained_and_not_counted_as_a_signature(completed, client):
    services.archive_documents(completed)
    pdf = _pdf(completed)
    found = verdict.build(verify_pdf(pdf))
    assert found.state == verdict.COMPLETE
    assert [m.role for m in found.signatures] == ["enterprise_seal", "person"]
    assert [m.role for m in found.archive] == ["archive_timestamp"]
    html = _upload(client, pdf)
    assert "存档时间戳（不是签名）" in html and "它不是任何人的签名" in html
    assert 'data-state="complete"' in html


def test_an_earlier_version_says_a_completed_one_exists(completed, shop, client):
    from accord.signing.models import Signature

    seal = Signature.objects.filter(certificate__kind="enterprise_seal").get()
    html = _upload(client, providers.load_document(seal.output_sha256))
    assert 'data-state="partial"' in html and "data-completed-elsewhere" in html


def test_a_tampered_contract_says_it_changed_after_signing_not_that_it_does_not_chain(
    completed, client
):
    html = _upload(client, _tamper(_pdf(completed)))
    assert 'data-verdict="invalid"' in html and 'data-state="changed"' in html
    assert "文件在签署后被改动过" in html
    assert "文件内容被改动过" in html
    assert "不是本平台签发" not in html  # the wrong reason the issue found
    assert "未检查（内容已被改动）" in html  # the chain was not judged, and it says so
    # The parties are still named: the worker by their one-time certificate.
    assert "乙方（劳动者）签名" in html and "甲方（用人单位）盖章" in html


def test_the_verdict_reads_in_english(completed, sealed, client):
    html = _upload(client, _pdf(completed), lang="en-US,en;q=0.9")
    assert 'lang="en"' in html
    assert "Valid: every party has signed" in html
    assert "Party A (employer) seal" in html and "Party B (worker) signature" in html
    assert "Proved by a trusted timestamp" in html
    assert "文件有效" not in html and "签署人" not in html
    html = _upload(client, _tamper(_pdf(completed)), lang="en")
    assert "changed after it was signed" in html


def test_a_look_up_by_number_masks_the_person_and_shows_the_kind_in_words(completed, client):
    number = completed.documents.get().number
    html = client.get("/verify", {"number": number}).content.decode()
    assert 'data-state="complete"' in html
    assert re.search(r"<dd data-mark-name>张\*</dd>", html)
    assert "张三" not in html  # nor in the certificate subject of the details
    assert "固定期限劳动合同" in html and "labour_fixed" not in html
    english = client.get("/verify", {"number": number}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Fixed-term labour contract" in english


def test_the_api_gives_the_verdict_in_both_languages(sealed, client):
    number = sealed.documents.get().number
    body = client.get(f"/api/v1/verify/{number}").json()
    v = body["verdict"]
    assert v["state"] == "partial" and v["ok"] is False
    assert v["headline_zh"].startswith("签署尚未完成")
    assert v["headline_en"].startswith("Not yet fully signed")
    assert v["awaiting_zh"] == ["乙方（劳动者）签名 张*"]
    assert v["marks_en"][0]["role_label"] == "Party A (employer) seal"
    assert body["valid"] is True  # the existing field keeps its meaning: the signatures are good


def test_the_api_by_number_masks_the_persons_certificate_subject_too(completed, client):
    body = client.get(f"/api/v1/verify/{completed.documents.get().number}").json()
    assert "张三" not in json.dumps(body, ensure_ascii=False)
    assert [s["signer"] for s in body["report"]["signatures"]][1] == "Common Name: 张*"
    assert "深圳市福田区福易科技有限公司" in body["report"]["signatures"][0]["signer"]


def test_a_bureau_sealed_file_without_an_owner_is_valid_and_says_what_it_cannot_know(
    platform, client
):
    from accord.signing import services as signing
    from tests.signing.fixtures import contract_bytes

    html = _upload(client, signing.seal_with_bureau(contract_bytes()).pdf)
    assert 'data-state="valid"' in html
    assert "福田区人力资源局电子印章" in html
    assert "本平台不掌握这份文件应由哪些人签署" in html
