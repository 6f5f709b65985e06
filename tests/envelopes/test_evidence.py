"""The evidence report (出证): a sealed PDF of the whole signing process, readable without Accord."""

from __future__ import annotations

import io
import json
import re

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
