"""A batch's contracts are rendered many to one Typst compilation and split (docs/decisions/
0006): each stored PDF is its own worker's contract, sealed with a signature that verifies
(Electronic Signature Law Art. 13), with the page count the worker must read."""

from __future__ import annotations

import subprocess

import pytest

from accord.envelopes import batches
from accord.envelopes.models import Envelope
from accord.signing import providers
from accord.signing.verify import verify_pdf
from tests.envelopes.conftest import totp_code
from tests.envelopes.test_batches import row, upload, xlsx

pytestmark = pytest.mark.django_db


def text(pdf: bytes) -> str:
    return (
        subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
        .stdout.decode()
        .replace(" ", "")
    )  # pdftotext spaces CJK from digits


def test_esl_art13_each_batch_contract_is_its_workers_own_and_its_seal_verifies(shop):
    batch = upload(shop, xlsx([row(1), row(2), row(3)]))
    batches.start(batch, user=shop.hr)
    batches.run_all(batch)
    envelopes = list(Envelope.objects.filter(batch=batch).select_related("person"))
    assert len(envelopes) == 3
    names = {e.person.name for e in envelopes}
    for envelope in envelopes:
        document = envelope.documents.get()
        pdf = providers.load_document(document.original_sha256)
        body = text(pdf)
        assert envelope.person.name in body and envelope.number in body
        assert not any(other in body for other in names - {envelope.person.name})
        assert document.pages == body.count("\f") == 2 and document.size == len(pdf)
    state = batches.seal_all(batch, user=shop.hr, otp_token=totp_code(shop.hr))
    assert state["sealed"] == 3, state
    for envelope in envelopes:
        sealed = providers.load_document(envelope.documents.get().current_sha256)
        report = verify_pdf(sealed)
        assert report.valid, report.as_dict()
        assert report.signatures[0].intact and report.signatures[0].trusted
        assert envelope.person.name in text(sealed)
