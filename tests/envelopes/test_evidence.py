"""The evidence report (出证): a sealed PDF of the whole signing process, readable without Accord."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from accord.core.errors import Conflict
from accord.core.models import AuditEntry
from accord.envelopes import evidence, services
from accord.envelopes.models import Envelope, Party
from accord.identity.models import Enterprise, User
from accord.ledger import bundle as bundles
from accord.ledger.checkpoints import log_verifier
from accord.signing.verify import verify_pdf
from tests.conftest import login
from tests.envelopes.conftest import totp_code
from tests.envelopes.test_services import _contract, _worker_signs

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_address(settings):
    settings.ACCORD_PUBLIC_URL = "https://accord.futian.example.cn"
    return settings.ACCORD_PUBLIC_URL


@pytest.fixture
def completed(shop) -> Envelope:
    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    _worker_signs(shop, envelope)
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.COMPLETED
    return envelope


def _text(pdf: bytes) -> str:
    import subprocess

    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return out.stdout.decode()


def _attachments(pdf: bytes) -> dict[str, bytes]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    found = {}
    for i in range(0, len(names), 2):
        spec = names[i + 1]
        found[str(names[i])] = spec["/EF"]["/F"].data
    return found


def test_esl_art13_evidence_report_is_sealed_by_the_bureau_and_verifies(completed, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accord.signing.models import Certificate

    pdf = evidence.evidence_report(completed)
    report = verify_pdf(pdf)
    assert report.valid
    assert len(report.signatures) == 1
    bureau = Certificate.objects.get(kind=Certificate.Kind.BUREAU_SEAL, current=True)
    assert report.signatures[0].signer_serial == bureau.serial
    assert report.signatures[0].timestamp is not None  # a trusted time on the report itself
    page = client.post("/verify", {"file": SimpleUploadedFile("r.pdf", pdf, "application/pdf")})
    assert page.status_code == 200 and 'data-verdict="valid"' in page.content.decode()
    # Any change to the sealed report is detectable (Art. 13(4)).
    at = re.search(rb"(?<!end)stream\r?\n", pdf).end() + 10
    tampered = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
    assert not verify_pdf(tampered).valid


@pytest.mark.usefixtures("public_address")
def test_mohrss54_report_shows_identity_consent_intents_signatures_and_ledger(completed, shop):
    pdf = evidence.evidence_report(completed)
    text = _text(pdf)
    flat = "".join(text.split())
    doc = completed.documents.get()
    worker = completed.parties.get(role=Party.Role.WORKER)
    # Documents: number and both hashes.
    assert doc.number in flat
    assert doc.original_sha256 in flat and doc.current_sha256 in flat
    # Parties and identity: the worker's level, masked ID only, the sealing HR user.
    assert shop.worker.id_number_masked in flat
    assert shop.worker.id_number not in flat
    assert "人口库核验" in flat
    assert shop.hr.username in flat
    # The worker's consent with its wording.
    assert "本人同意以电子形式订立" in flat
    # Each intent with the exact document hash and auth method.
    assert worker.signatures.get().signature.intent.document_sha256 in flat
    assert "sms-link+session" in flat and "session+totp" in flat
    # Each signature: certificate serial, TSA time read from the PDF.
    for ps in completed.parties.get(role=Party.Role.ENTERPRISE).signatures.all():
        assert ps.signature.certificate.serial in flat
    assert "可信时间戳" in flat
    # The ledger: index, leaf hash, the signed checkpoint.
    sig = worker.signatures.get().signature
    assert f"Entry#{sig.ledger_index}" in flat
    # The audit trail, with how to verify independently.
    assert "envelopes.envelope.complete" in flat
    assert "/verify" in flat and "accordverify" in flat


def test_report_embeds_bundles_that_verify_offline(completed):
    pdf = evidence.evidence_report(completed)
    attached = _attachments(pdf)
    indexes = {
        ps.signature.ledger_index
        for party in completed.parties.all()
        for ps in party.signatures.all()
    }
    assert {f"ledger-bundle-{i}.json" for i in indexes} == set(attached)
    for name, data in attached.items():
        verified = bundles.verify_bundle(data, log_verifier().vkey)
        assert f"ledger-bundle-{verified.index}.json" == name
        assert verified.body["type"] == "document.signed"


def test_report_masks_personal_values_in_the_audit_trail(completed, shop):
    AuditEntry.objects.create(
        action="envelopes.envelope.note",
        object_type="envelopes.envelope",
        object_id=str(completed.public_id),
        changes={"reason": [None, "张三的手机 13900001111"], "status": ["a", "b"]},
    )
    flat = "".join(_text(evidence.evidence_report(completed)).split())
    assert "13900001111" not in flat
    assert "reason:***" in flat


def test_report_only_for_completed_envelope_is_409(shop, client):
    envelope = _contract(shop, send=True)
    with pytest.raises(Conflict) as err:
        evidence.evidence_report(envelope)
    assert err.value.code == "envelope.not_completed"
    login(client, shop.hr)
    response = client.get(f"/api/v1/envelopes/{envelope.public_id}/evidence-report.pdf")
    assert response.status_code == 409
    assert response.json()["code"] == "envelope.not_completed"
    assert client.get(f"/envelopes/{envelope.public_id}/evidence.pdf").status_code == 409


def test_hr_worker_and_bureau_get_the_report_and_it_is_audited(completed, shop, client, make_user):
    worker_user = User.objects.get(person=shop.worker)
    bureau = make_user("bureau_officer")
    for user, url in [
        (shop.hr, f"/api/v1/envelopes/{completed.public_id}/evidence-report.pdf"),
        (worker_user, f"/envelopes/{completed.public_id}/evidence.pdf"),
        (bureau, f"/api/v1/envelopes/{completed.public_id}/evidence-report.pdf"),
    ]:
        client.logout()
        login(client, user)
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"] == "application/pdf"
        assert verify_pdf(response.content).valid
    issued = AuditEntry.objects.filter(
        action="envelopes.evidence_report.issue", object_id=str(completed.public_id)
    )
    assert issued.count() == 3


@pytest.mark.parametrize("who", ["hr_other", "worker_other", "street_other"])
def test_cross_enterprise_evidence_report_is_404(
    completed, client, make_enterprise, make_user, who
):
    other = make_enterprise(street="huaqiangbei")
    users = {
        "hr_other": lambda: make_user("hr", enterprise=other, totp=False),
        "worker_other": lambda: make_user("worker"),
        "street_other": lambda: make_user("street_officer", street="huaqiangbei"),
    }
    login(client, users[who]())
    api = client.get(f"/api/v1/envelopes/{completed.public_id}/evidence-report.pdf")
    assert api.status_code == 404 and api.json()["code"] == "core.not_found"
    assert client.get(f"/envelopes/{completed.public_id}/evidence.pdf").status_code == 404
    assert not AuditEntry.objects.filter(action="envelopes.evidence_report.issue").exists()


def test_lcl_art16_worker_keeps_access_after_the_enterprise_closes(completed, shop, client):
    Enterprise.objects.filter(pk=shop.enterprise.pk).update(status=Enterprise.Status.CLOSED)
    login(client, User.objects.get(person=shop.worker))
    assert client.get(f"/api/v1/envelopes/{completed.public_id}").status_code == 200
    doc = client.get(f"/api/v1/envelopes/{completed.public_id}/documents/1.pdf")
    assert doc.status_code == 200 and verify_pdf(doc.content).valid
    report = client.get(f"/api/v1/envelopes/{completed.public_id}/evidence-report.pdf")
    assert report.status_code == 200
    listed = client.get("/api/v1/envelopes").json()
    assert str(completed.public_id) in json.dumps(listed)


def test_asking_again_returns_the_same_sealed_report_without_sealing_anew(completed):
    from accord.signing.models import Signature

    first = evidence.evidence_report(completed)
    seals = Signature.objects.count()
    assert evidence.evidence_report(completed) == first
    assert Signature.objects.count() == seals


# ---- issue #11: the report an arbitrator reads without Accord --------------------------------


def _flat(pdf: bytes) -> str:
    """The report's text in reading order (no layout columns), without any white space."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return "".join(out.stdout.decode().split())


def _words(pdf: bytes) -> list[dict]:
    """Every word of the PDF with its page, box (points from the top left) and page size."""
    import html
    import subprocess

    out = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    words, page, size = [], 0, (0.0, 0.0)
    for m in re.finditer(
        r'<page width="([\d.]+)" height="([\d.]+)">|<word xMin="([\d.]+)" yMin="([\d.]+)" '
        r'xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        out,
    ):
        if m.group(1):
            page, size = page + 1, (float(m.group(1)), float(m.group(2)))
            continue
        x0, y0, x1, y1 = (float(m.group(i)) for i in range(3, 7))
        words.append(
            {"page": page, "box": (x0, y0, x1, y1), "size": size, "text": html.unescape(m.group(7))}
        )
    return words


def test_the_final_archived_files_own_ledger_entry_is_shown_and_attached(completed):
    from accord.envelopes.services import archive_documents
    from accord.signing.models import Signature

    archive_documents(completed)
    doc = completed.documents.get()
    final = Signature.objects.get(output_sha256=doc.current_sha256)
    assert final.level == "B-LTA" and final.ledger_index is not None
    pdf = evidence.evidence_report(completed)
    flat = _flat(pdf)
    assert f"Entry#{final.ledger_index}—{doc.number}—最终文件/finalfile" in flat
    attached = _attachments(pdf)
    bundle = attached[f"ledger-bundle-{final.ledger_index}.json"]
    bundles.verify_bundle(bundle, log_verifier().vkey)
    entry = json.loads(base64.b64decode(json.loads(bundle)["entry"]["data"]))
    assert doc.current_sha256 in json.dumps(entry)
    # Its inclusion proof and signed checkpoint are printed with it.
    assert json.loads(bundle)["checkpoint"].split("\n")[0].replace(" ", "") in flat


def test_the_archive_timestamp_is_explained_not_counted_as_a_third_signature(completed):
    from accord.envelopes.services import archive_documents

    archive_documents(completed)
    flat = _flat(evidence.evidence_report(completed))
    assert "最终文件有2个签名，另有1个存档时间戳（不是签名" in flat
    assert "holds2signature(s),plus1archivetimestamp(s)" in flat
    assert "3个签名" not in flat
    # (a label cell that wraps is interleaved with its value in the extracted text)
    assert "它不是任何人的签名" in flat and "存档时间戳（不是签名）" in flat


def test_the_sealing_officer_by_real_name_and_how_the_enterprise_was_verified(completed, shop):
    shop.hr.first_name = "李娜"
    shop.hr.save(update_fields=["first_name"])
    # The rows as printed (pdftotext interleaves a wrapped label cell with its value).
    rows = {
        row[0]: row[1]
        for section in evidence._zh_content(completed)["sections"]
        for block in section["blocks"]
        if block["type"] == "kv"
        for row in block["rows"]
    }
    assert rows["盖章经办人 / Sealing officer"] == f"李娜（账号 / account {shop.hr.username}）"
    verified = rows["企业核验 / How the enterprise was verified"]
    assert f"统一社会信用代码 {shop.enterprise.uscc}（校验位符合 GB 32100）" in verified
    assert f"法定代表人 {shop.enterprise.legal_representative}；" in verified
    assert "由平台（数据导入）在平台登记" in verified  # the factory registers it without an actor
    assert "经授权使用该印章" in rows["经办人权限 / Officer's authority"]
    flat = _flat(evidence.evidence_report(completed))
    assert "李娜" in flat and shop.enterprise.uscc in flat and "校验位符合GB32100" in flat


def test_the_sms_delivery_record_shows_masked_phones_and_outcomes_never_the_text(shop):
    from accord.core.events import deliver_pending
    from tests.envelopes.conftest import last_link

    envelope = _contract(shop, send=True)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    deliver_pending()  # the worker's turn: a text with the signing link
    token = last_link()
    _worker_signs(shop, envelope)  # a text with the signing code
    deliver_pending()  # and the completion notice
    envelope.refresh_from_db()
    flat = _flat(evidence.evidence_report(envelope))
    assert "短信送达记录/SMSdeliveryrecord" in flat
    assert shop.worker.phone_masked in flat and shop.worker.phone not in flat
    for kind in ("签署链接/signinglink", "签署验证码/signingcode", "完成通知/completionnotice"):
        assert kind in flat
    assert "已发送/sent" in flat
    assert token not in flat  # the signing link is a secret, never printed


def test_the_verify_link_is_the_public_address_and_a_loopback_one_is_flagged(completed, settings):
    settings.ACCORD_PUBLIC_URL = "https://accord.futian.example.cn"
    flat = _flat(evidence.render(completed))
    assert "https://accord.futian.example.cn/verify" in flat
    settings.ACCORD_PUBLIC_URL = "http://127.0.0.1:8000"
    flat = _flat(evidence.render(completed))
    assert "127.0.0.1:8000/verify" not in flat
    assert "【注意】出具本报告时平台未配置公网地址" in flat
    for local in ("http://localhost:8000", "http://10.1.2.3", "http://192.168.0.9:8000"):
        settings.ACCORD_PUBLIC_URL = local
        assert evidence.public_base_url() == (local, False)


def test_production_refuses_a_report_whose_verify_link_would_be_loopback(completed, settings):
    settings.PRODUCTION = True
    settings.ACCORD_PUBLIC_URL = "http://127.0.0.1:8000"
    with pytest.raises(Conflict) as refused:
        evidence.evidence_report(completed)
    assert refused.value.code == "envelope.public_url_local"
    settings.ACCORD_PUBLIC_URL = "https://accord.futian.example.cn"
    assert verify_pdf(evidence.evidence_report(completed)).valid


def test_the_ledgers_public_key_is_printed_so_the_bundles_verify_from_the_paper(completed):
    key = log_verifier().vkey
    flat = _flat(evidence.evidence_report(completed))
    assert key in flat
    for data in _attachments(evidence.evidence_report(completed)).values():
        bundles.verify_bundle(data, key)  # the printed key is the one that proves them


def test_hashes_wrap_inside_the_audit_table_instead_of_running_off_the_page(completed, monkeypatch):
    def widest(pdf):
        return max(w["box"][2] - w["size"][0] for w in _words(pdf))

    assert widest(evidence.evidence_report(completed)) <= -36  # inside the page, with a margin
    # The check can fail: without the break opportunities the same report runs off the page.
    monkeypatch.setattr(evidence, "_breakable", lambda text: text)
    assert widest(evidence.render(completed)) > 0


def test_the_bureau_seal_sits_below_the_closing_sentence_and_covers_no_text(completed):
    pdf = evidence.evidence_report(completed)
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    pages = reader.root["/Pages"]["/Kids"]
    ((seal_page, rect),) = [
        (n, [float(v) for v in annot.get_object()["/Rect"]])
        for n, page in enumerate(pages, start=1)
        for annot in page.get_object().get("/Annots", [])
        if annot.get_object().get("/FT") == "/Sig" and annot.get_object().get("/V") is not None
    ]
    words = [w for w in _words(pdf) if w["page"] == seal_page]
    height = words[0]["size"][1]
    x0, y0, x1, y1 = rect[0], height - rect[3], rect[2], height - rect[1]  # to top-left origin
    assert x1 - x0 >= 100  # the real seal, not an empty widget
    covered = [
        w["text"]
        for w in words
        if w["box"][0] < x1
        and w["box"][2] > x0
        and w["box"][1] < y1
        and w["box"][3] > y0
        # the seal's own drawing (its name and the time stamped on it) is inside its box
        and not (
            x0 <= w["box"][0] and w["box"][2] <= x1 and y0 <= w["box"][1] and w["box"][3] <= y1
        )
    ]
    assert covered == []
    closing = [w for w in words if "任何修改都会使签名失效" in w["text"]]
    assert closing and all(w["box"][3] <= y0 for w in closing)


def test_an_arbitrator_reads_the_actions_and_methods_in_words_beside_their_codes(completed):
    flat = _flat(evidence.evidence_report(completed))
    assert "各方签署完成/completed" in flat and "envelopes.envelope.complete" in flat
    assert "同意电子形式/consentedtotheelectronicform" in flat
    assert "动态口令/TOTPcode" in flat and "短信验证码/SMScode" in flat
