"""PAdES signing and verification, checked by pyHanko and independently by poppler's pdfsig."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from accord.core.errors import AccordError
from accord.signing import appearance, pki
from accord.signing.pdf import Appearance, add_document_timestamp, open_pdf, sign_document
from accord.signing.verify import verify_pdf
from tests.signing.fixtures import contract_bytes, pdfsig

pytestmark = pytest.mark.django_db


def _bureau(data: bytes, **kw) -> bytes:
    cert = pki.bureau_seal()
    return sign_document(data, cert=cert, key=pki.load_key(cert), **kw)


def _flip_inside_signed_range(data: bytes) -> bytes:
    """Change one byte of page content that the (last) signature covers."""
    sig = PdfFileReader(BytesIO(data)).embedded_signatures[-1]
    start, length = sig.byte_range[0], sig.byte_range[1]
    pos = data.index(b"stream", start + 100) + 40
    assert start <= pos < start + length
    return data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1 :]


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_each_level_signs_and_verifies(platform, contract_pdf, level):
    signed = _bureau(
        contract_pdf, level=level, appearance=Appearance(appearance.seal_pdf("福田区人力资源局"))
    )
    report = verify_pdf(signed)
    assert report.valid, report.as_dict()
    sig = report.signatures[0]
    assert sig.trusted and sig.intact and not sig.revoked
    assert sig.signer.startswith("Common Name: 福田区人力资源局")
    expected = {"B-B": "B-B", "B-T": "B-T", "B-LT": "B-LT", "B-LTA": "B-LT"}[level]
    assert sig.level == expected
    if level != "B-B":
        assert sig.timestamp is not None
    if level == "B-LTA":
        assert [s.kind for s in report.signatures] == ["signature", "document_timestamp"]
    if level in ("B-LT", "B-LTA"):
        dss = PdfFileReader(BytesIO(signed)).root["/DSS"]
        assert (
            len(dss["/Certs"]) >= 3
            and (len(dss.get("/CRLs", [])) + len(dss.get("/OCSPs", []))) >= 2
        )


def test_a_byte_flipped_inside_the_signed_range_makes_it_invalid(platform, contract_pdf):
    signed = _bureau(contract_pdf, level="B-T")
    report = verify_pdf(_flip_inside_signed_range(signed))
    assert not report.valid
    assert not report.signatures[0].intact
    assert "changed after signing" in report.signatures[0].reasons[0]


def test_content_appended_after_signing_is_reported(platform, contract_pdf):
    signed = _bureau(contract_pdf, level="B-T")
    w = IncrementalPdfFileWriter(BytesIO(signed))
    page = w.root["/Pages"]["/Kids"][0].get_object()
    from pyhanko.pdf_utils import generic

    page["/Rotate"] = generic.NumberObject(90)
    w.update_container(page)
    out = BytesIO()
    w.write(out)
    report = verify_pdf(out.getvalue())
    assert not report.valid
    assert report.signatures[0].intact  # the signed revision itself is untouched …
    assert any(
        "changed after signing" in r for r in report.signatures[0].reasons
    )  # … but not the file


def test_signature_from_a_foreign_root_is_untrusted(platform, contract_pdf):
    import datetime as dt

    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.sign import signers
    from pyhanko.sign.general import load_cert_from_pemder  # noqa: F401

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "福田区人力资源局")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=None,
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(contract_pdf)),
        signers.PdfSignatureMetadata(field_name="Fake"),
        signer=signer,
    )
    report = verify_pdf(out.getvalue())
    assert not report.valid and not report.signatures[0].trusted
    assert report.signatures[0].intact


def test_sequential_signatures_certified_seal_then_person(
    platform, contract_pdf, make_enterprise, make_person
):
    enterprise = make_enterprise(name="深圳市福田区测试科技有限公司")
    seal = pki.enterprise_seal(enterprise)
    first = sign_document(
        contract_pdf,
        cert=seal,
        key=pki.load_key(seal),
        level="B-T",
        certify=True,
        reserve_person_fields=1,
        appearance=Appearance(appearance.seal_pdf(enterprise.name, "合同专用章")),
    )
    person = make_person(name="张三")
    cert, key = pki.issue_event_certificate(person)
    second = sign_document(
        first, cert=cert, key=key, level="B-T", appearance=Appearance(appearance.person_pdf("张三"))
    )
    report = verify_pdf(second)
    assert report.valid, [(s.field_name, s.reasons, s.modification) for s in report.signatures]
    assert [s.field_name for s in report.signatures] == ["seal1", "sig1"]
    assert report.signatures[0].certification and report.signatures[0].coverage == "entire_revision"
    assert report.signatures[1].coverage == "entire_file"
    assert "张三" in report.signatures[1].signer


def test_certification_must_come_first(platform, contract_pdf):
    signed = _bureau(contract_pdf, level="B-B")
    with pytest.raises(AccordError) as err:
        _bureau(signed, level="B-B", certify=True)
    assert err.value.code == "signing.certify_not_first"


def test_revoked_certificate_is_refused(platform, contract_pdf, make_enterprise):
    seal = pki.enterprise_seal(make_enterprise())
    key = pki.load_key(seal)
    pki.revoke(seal, "key_compromise")
    with pytest.raises(AccordError) as err:
        sign_document(contract_pdf, cert=seal, key=key, level="B-T")
    assert err.value.code == "signing.certificate_revoked"


def test_signature_by_a_since_revoked_seal_is_reported_revoked(
    platform, contract_pdf, make_enterprise
):
    seal = pki.enterprise_seal(make_enterprise())
    signed = sign_document(contract_pdf, cert=seal, key=pki.load_key(seal), level="B-T")
    pki.revoke(seal, "key_compromise")
    report = verify_pdf(signed)
    assert not report.valid and report.signatures[0].revoked


def test_archive_timestamp_is_added_and_renewed(platform, contract_pdf):
    signed = _bureau(contract_pdf, level="B-T")
    archived = add_document_timestamp(signed)
    renewed = add_document_timestamp(archived)
    report = verify_pdf(renewed)
    assert report.valid, report.as_dict()
    assert [s.kind for s in report.signatures].count("document_timestamp") == 2


# ---- bad input ---------------------------------------------------------------------------


def _tiny_pdf_with(extra_root: bytes = b"") -> bytes:
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R " + extra_root + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "signing.pdf_empty"),
        (b"hello, not a pdf", "signing.pdf_malformed"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "signing.pdf_malformed"),
        (
            _tiny_pdf_with(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
            "signing.pdf_has_scripts",
        ),
        (_tiny_pdf_with(b"/Names << /JavaScript << /Names [] >> >>"), "signing.pdf_has_scripts"),
    ],
)
def test_bad_pdfs_are_refused_with_a_clear_error(platform, data, code):
    with pytest.raises(AccordError) as err:
        _bureau(data, level="B-T")
    assert err.value.code == code
    assert err.value.message_zh and err.value.message_en and err.value.field == "file"


def test_encrypted_pdf_is_refused(platform, contract_pdf):
    from pyhanko.pdf_utils.crypt import StandardSecurityHandler
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    w = copy_into_new_writer(PdfFileReader(BytesIO(contract_pdf)))
    w.encrypt = None
    w.security_handler = StandardSecurityHandler.build_from_pw("owner", "user")
    w._assign_security_handler(w.security_handler)
    out = BytesIO()
    w.write(out)
    with pytest.raises(AccordError) as err:
        open_pdf(out.getvalue())
    assert err.value.code == "signing.pdf_encrypted"


def test_oversized_pdf_is_refused(platform, settings):
    settings.ACCORD_SIGNING_MAX_PDF_BYTES = 10_000
    with pytest.raises(AccordError) as err:
        open_pdf(contract_bytes())
    assert err.value.code == "signing.pdf_too_large"


def test_tiny_hand_made_pdf_signs(platform):
    assert verify_pdf(_bureau(_tiny_pdf_with(), level="B-T")).valid


# ---- poppler's pdfsig, trusting our root through an NSS database ---------------------------


def _revisions(data: bytes) -> dict[str, bytes]:
    """Each signature's field name → the file as it was right after that signature."""
    out = {}
    for sig in PdfFileReader(BytesIO(data)).embedded_signatures:
        br = sig.byte_range
        out[sig.field_name] = data[: br[2] + br[3]]
    return out


def _pdfsig_blocks(text: str) -> dict[str, list[str]]:
    """pdfsig's report per signature field: its validation lines."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("- Signature Field Name:"):
            current = blocks.setdefault(line.split(":", 1)[1].strip(), [])
        elif current is not None and "Validation:" in line:
            current.append(line)
    return blocks


@pytest.mark.slow
def test_pdfsig_trusts_our_signatures_and_sees_tampering_and_revocation(
    live_pki, nss_db, contract_pdf, make_enterprise, make_person, tmp_path
):
    """pdfsig (poppler + NSS, asking our live OCSP responder) agrees with us.

    poppler 22.12 reports every signature after the first of one file as "Unknown issue with
    Certificate" (a stale NSS error code it reads after a successful check), so each signature
    is checked on its own revision, and the whole file for integrity.
    """
    enterprise = make_enterprise(name="深圳市福田区测试科技有限公司")
    seal = live_pki.enterprise_seal(enterprise)
    first = sign_document(
        contract_pdf,
        cert=seal,
        key=live_pki.load_key(seal),
        level="B-LT",
        certify=True,
        reserve_person_fields=1,
        appearance=Appearance(appearance.seal_pdf(enterprise.name)),
    )
    cert, key = live_pki.issue_event_certificate(make_person(name="张三"))
    both = sign_document(
        first, cert=cert, key=key, level="B-T", appearance=Appearance(appearance.person_pdf("张三"))
    )
    whole = pdfsig(nss_db, both, tmp_path)
    assert whole.count("Signature Validation: Signature is Valid.") == 2, whole
    assert "Total document signed" in whole and "张三" in whole
    for field_name, revision in _revisions(both).items():
        out = pdfsig(nss_db, revision, tmp_path)
        assert _pdfsig_blocks(out)[field_name] == [
            "- Signature Validation: Signature is Valid.",
            "- Certificate Validation: Certificate is Trusted.",
        ], out

    tampered = pdfsig(nss_db, _flip_inside_signed_range(both), tmp_path)
    assert "Signature Validation: Digest Mismatch." in tampered, tampered

    live_pki.revoke(seal, "key_compromise")
    revoked = pdfsig(nss_db, _revisions(both)["seal1"], tmp_path)
    assert "Certificate Validation: Certificate has been Revoked." in revoked, revoked
