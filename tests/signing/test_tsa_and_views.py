"""The HTTP faces: RFC 3161 /tsa, OCSP, CRLs, CA certificates, the public /verify page."""

from __future__ import annotations

import base64
import hashlib

import pytest
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from django.core.files.uploadedfile import SimpleUploadedFile

from accord.signing import pki, services
from accord.signing.models import IssuedTimestamp
from accord.signing.tsa import TSA_POLICY_OID
from tests.signing.fixtures import contract_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.signing.urls")]


def _ts_request(data: bytes, nonce: int = 12345, algorithm: str = "sha256") -> bytes:
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": algorithm},
                "hashed_message": hashlib.new(algorithm, data).digest(),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


def test_tsa_issues_an_rfc3161_token_signed_by_the_tsa_certificate(platform, client):
    resp = client.post("/tsa", _ts_request(b"hello"), content_type="application/timestamp-query")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(resp.content)
    assert reply["status"]["status"].native == "granted"
    signed_data = reply["time_stamp_token"]["content"]
    tst_info = signed_data["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hashed_message"].native == hashlib.sha256(b"hello").digest()
    assert tst_info["nonce"].native == 12345 and tst_info["policy"].native == TSA_POLICY_OID
    assert IssuedTimestamp.objects.filter(serial=tst_info["serial_number"].native).exists()
    # The signature over the signed attributes verifies with the TSA certificate's key …
    signer = signed_data["signer_infos"][0]
    tsa_cert = pki.x509_of(pki.tsa_certificate())
    signed_attrs = cms.CMSAttributes.load(signer["signed_attrs"].untag().dump())
    tsa_cert.public_key().verify(
        signer["signature"].native, signed_attrs.dump(), ec.ECDSA(hashes.SHA256())
    )
    # … and the message digest attribute is that of the TSTInfo.
    attrs = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
    assert attrs["message_digest"] == hashlib.sha256(tst_info.dump()).digest()
    assert "signing_certificate_v2" in attrs
    assert tsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).critical


def test_tsa_token_validates_with_pyhanko(platform):
    import asyncio

    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data

    from accord.signing.pdf import validation_context
    from accord.signing.tsa import respond

    reply = tsp.TimeStampResp.load(respond(_ts_request(b"doc")))
    status = asyncio.run(
        validate_tst_signed_data(
            reply["time_stamp_token"]["content"],
            validation_context(),
            lambda _algorithm: hashlib.sha256(b"doc").digest(),
        )
    )
    assert status["intact"] and status["valid"]
    assert status["validation_path"] is not None  # a path to our root was found and checked
    assert status.get("trust_problem_indic") is None


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        (b"junk", "bad_data_format"),
        (None, "bad_alg"),
    ],
)
def test_tsa_rejects_bad_requests(platform, client, body, failure):
    if body is None:
        body = _ts_request(b"x", algorithm="md5")
    resp = client.post("/tsa", body, content_type="application/timestamp-query")
    from asn1crypto import core

    status = tsp.PKIStatusInfo.load(core.Sequence.load(resp.content).contents)
    assert status["status"].native == "rejection"
    assert failure in status["fail_info"].native


def test_tsa_wants_the_right_content_type(platform, client):
    assert client.post("/tsa", b"x", content_type="text/plain").status_code == 415
    assert client.get("/tsa").status_code == 405


def test_ocsp_over_http_post_and_get(platform, client, make_enterprise):
    seal = pki.enterprise_seal(make_enterprise())
    req = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(pki.x509_of(seal), pki.x509_of(seal.issuer), hashes.SHA1())  # noqa: S303
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    post = client.post("/signing/ocsp", req, content_type="application/ocsp-request")
    assert ocsp.load_der_ocsp_response(post.content).certificate_status == ocsp.OCSPCertStatus.GOOD
    pki.revoke(seal, "key_compromise")
    get = client.get("/signing/ocsp/" + base64.b64encode(req).decode())
    assert (
        ocsp.load_der_ocsp_response(get.content).certificate_status == ocsp.OCSPCertStatus.REVOKED
    )


def test_crl_and_ca_certificates_at_the_urls_named_in_certificates(
    platform, client, make_enterprise
):
    seal = pki.enterprise_seal(make_enterprise())
    cert = pki.x509_of(seal)
    dp = (
        cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        .value[0]
        .full_name[0]
        .value
    )
    path = dp.split("127.0.0.1:9", 1)[1]
    crl = x509.load_der_x509_crl(client.get(path).content)
    assert crl.is_signature_valid(pki.x509_of(seal.issuer).public_key())
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    ca_url = next(d.access_location.value for d in aia if d.access_method._name == "caIssuers")
    issuer = x509.load_der_x509_certificate(client.get(ca_url.split("127.0.0.1:9", 1)[1]).content)
    assert issuer == pki.x509_of(seal.issuer)
    assert client.get("/signing/crl/deadbeef.crl").status_code == 404
    root = x509.load_der_x509_certificate(client.get("/signing/root.cer").content)
    assert root == pki.x509_of(pki.root())


def test_verify_page_shows_valid_and_tampered(platform, client):
    signed = services.seal_with_bureau(contract_bytes()).pdf
    page = client.post("/verify", {"file": SimpleUploadedFile("a.pdf", signed, "application/pdf")})
    assert page.status_code == 200
    assert b'data-verdict="valid"' in page.content and "福田区人力资源局".encode() in page.content
    assert b"data-ledger-index=" in page.content
    # The ledger entry is proved on the page: inclusion in a signed checkpoint.
    assert (
        b'data-ledger-proof="ok"' in page.content and b"/ledger/bundle?leaf_hash=" in page.content
    )
    link = page.content.split(b'href="/ledger/bundle?leaf_hash=')[1].split(b'"')[0].decode()
    bundle = client.get(f"/ledger/bundle?leaf_hash={link}")
    assert bundle.status_code == 200 and bundle.json()["format"] == "accord-ledger-bundle/v1"
    pos = signed.index(b"stream", 200) + 40
    tampered = signed[:pos] + bytes([signed[pos] ^ 1]) + signed[pos + 1 :]
    page = client.post(
        "/verify", {"file": SimpleUploadedFile("b.pdf", tampered, "application/pdf")}
    )
    html = page.content.decode()
    assert 'data-verdict="invalid"' in html and 'data-state="changed"' in html
    # The reason is the change, not a consequence of it ("does not chain" was wrong here).
    assert "文件内容被改动过" in html and "不是本平台签发" not in html
    assert b"data-ledger-proof" not in page.content  # a changed file is not the recorded one


def test_verify_page_explains_a_bad_file(platform, client):
    page = client.post("/verify", {"file": SimpleUploadedFile("c.pdf", b"nope", "application/pdf")})
    assert page.status_code == 422 and b'data-error-code="signing.pdf_malformed"' in page.content
    assert client.get("/verify").status_code == 200
