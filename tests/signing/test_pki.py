"""The certificate authority: hierarchy, keys at rest, revocation (CRL, OCSP), rotation."""

from __future__ import annotations

import base64
import itertools

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtensionOID

from accord.core.errors import AccordError
from accord.signing import pki
from accord.signing.models import Certificate

pytestmark = pytest.mark.django_db


def test_platform_hierarchy_chains_to_the_root_with_stable_urls(settings):
    settings.ACCORD_SIGNING_BASE_URL = "https://sign.example.gov.cn/"
    pki.ensure_platform()
    pki.ensure_platform()  # idempotent
    assert Certificate.objects.filter(kind="root").count() == 1
    seal = pki.bureau_seal()
    chain = [pki.x509_of(c) for c in pki.chain(seal)]
    assert [c.subject.rfc4514_string().split(",")[0] for c in chain][1:] == [
        "CN=Accord Issuing CA",
        "CN=Accord Platform Root CA",
    ]
    for child, parent in itertools.pairwise(chain):
        child.verify_directly_issued_by(parent)
    crl_dp = chain[0].extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    assert crl_dp[0].full_name[0].value.startswith("https://sign.example.gov.cn/signing/crl/")
    aia = chain[0].extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    assert "https://sign.example.gov.cn/signing/ocsp" in [d.access_location.value for d in aia]


def test_private_keys_are_never_stored_in_clear():
    pki.ensure_platform()
    for cert in Certificate.objects.all():
        assert b"PRIVATE" not in cert.key_sealed.encode()
        raw = base64.b64decode(cert.key_sealed.partition("$")[2])
        key = pki.load_key(cert)
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        assert der not in raw
        # The sealed key is bound to its certificate: moved to another row, it does not open.
        other = Certificate.objects.exclude(pk=cert.pk).first()
        other.key_sealed = cert.key_sealed
        with pytest.raises(Exception):  # noqa: B017 - AES-GCM InvalidTag
            pki.load_key(other)


def test_event_certificate_key_is_never_stored(make_person):
    person = make_person(name="张三")
    cert, _key = pki.issue_event_certificate(person)
    assert cert.key_sealed == ""
    subject = pki.x509_of(cert).subject.rfc4514_string()
    assert "张三" in subject and "PSN-" in subject and person.id_number not in subject
    pki.destroy_key(cert)
    with pytest.raises(AccordError) as err:
        pki.load_key(cert)
    assert err.value.code == "signing.key_destroyed"


def test_crl_lists_revoked_certificates_and_is_signed_by_the_ca(make_enterprise):
    seal = pki.enterprise_seal(make_enterprise())
    pki.revoke(seal, "key_compromise")
    ca = pki.issuing_ca()
    crl = x509.load_der_x509_crl(pki.crl_der(ca))
    assert crl.is_signature_valid(pki.x509_of(ca).public_key())
    entry = crl.get_revoked_certificate_by_serial_number(int(seal.serial, 16))
    assert entry is not None
    assert pki.enterprise_seal(seal.enterprise).pk != seal.pk  # a fresh one is issued


def _ocsp_status(cert: Certificate) -> ocsp.OCSPResponse:
    req = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(pki.x509_of(cert), pki.x509_of(cert.issuer), hashes.SHA1())  # noqa: S303
        .build()
    )
    return ocsp.load_der_ocsp_response(
        pki.ocsp_response_der(req.public_bytes(serialization.Encoding.DER))
    )


def test_ocsp_answers_good_then_revoked(make_enterprise):
    seal = pki.enterprise_seal(make_enterprise())
    resp = _ocsp_status(seal)
    assert resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert resp.certificate_status == ocsp.OCSPCertStatus.GOOD
    pki.x509_of(seal.issuer).public_key().verify(
        resp.signature,
        resp.tbs_response_bytes,
        __import__("cryptography.hazmat.primitives.asymmetric.ec", fromlist=["ECDSA"]).ECDSA(
            hashes.SHA256()
        ),
    )
    pki.revoke(seal, "key_compromise")
    assert _ocsp_status(seal).certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert (
        ocsp.load_der_ocsp_response(pki.ocsp_response_der(b"garbage")).response_status
        == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_issuing_ca_rotation_keeps_old_certificates_verifiable(make_enterprise):
    old_ca = pki.issuing_ca()
    old_seal = pki.enterprise_seal(make_enterprise())
    new_ca = pki.rotate_issuing_ca()
    assert pki.issuing_ca().pk == new_ca.pk != old_ca.pk
    assert pki.tsa_certificate().issuer_id == new_ca.pk
    assert pki.bureau_seal().issuer_id == new_ca.pk
    # The old CA still answers for what it issued.
    assert _ocsp_status(old_seal).certificate_status == ocsp.OCSPCertStatus.GOOD
    x509.load_der_x509_crl(pki.crl_der(old_ca))
    new_seal = pki.enterprise_seal(make_enterprise())
    assert new_seal.issuer_id == new_ca.pk
    pki.x509_of(new_seal).verify_directly_issued_by(pki.x509_of(new_ca))
