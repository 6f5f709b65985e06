"""The platform's certificate authority: keys, certificates, revocation, CRLs and OCSP.

Hierarchy (docs/signing.md)::

    Accord Platform Root CA (20 years, offline use: signs issuing CAs and its own CRL)
      └─ Accord Issuing CA (10 years; rotated with rotate_issuing_ca)
           ├─ Accord TSA (RFC 3161 time-stamping, EKU timeStamping)
           ├─ bureau seal, enterprise seals (3 years, one current per owner)
           └─ event certificates (one per personal signing; key used once, then destroyed)

Every key is ECDSA P-256. Keys are sealed with the data key before they touch the database
(``models.Certificate.key_sealed``) — or, when a PKCS#11 token is configured (hsm.py), the
platform's own keys (root, issuing CA, TSA, bureau seal) are made and used inside the token and
the row only names them. Certificates carry stable URLs built from
``ACCORD_SIGNING_BASE_URL``: CRL distribution points, the OCSP responder and the issuer's
certificate (AIA). Nothing here knows about PDFs.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.core import audit
from accord.core.crypto import decrypt, encrypt
from accord.core.errors import AccordError
from accord.signing import hsm
from accord.signing.errors import (
    ENTERPRISE_CLOSED,
    ISSUER_UNUSABLE,
    KEY_DESTROYED,
    NOT_A_CA,
    REVOCATION_REASON_INVALID,
    ROOT_NOT_REVOCABLE,
)
from accord.signing.models import Certificate

Kind = Certificate.Kind
PrivateKey = ec.EllipticCurvePrivateKey

_YEAR = timedelta(days=365)
VALIDITY = {
    Kind.ROOT: 20 * _YEAR,
    Kind.ISSUING: 10 * _YEAR,
    Kind.TSA: 5 * _YEAR,
    Kind.BUREAU_SEAL: 3 * _YEAR,
    Kind.ENTERPRISE_SEAL: 3 * _YEAR,
}
PLATFORM_ORG = "福田区人力资源局 Futian District Human Resources Bureau"


def base_url() -> str:
    return getattr(settings, "ACCORD_SIGNING_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def event_certificate_validity() -> timedelta:
    return timedelta(days=getattr(settings, "ACCORD_SIGNING_EVENT_CERT_DAYS", 30))


def crl_url(ca: Certificate) -> str:
    return f"{base_url()}/signing/crl/{ca.serial}.crl"


def ca_cert_url(ca: Certificate) -> str:
    return f"{base_url()}/signing/ca/{ca.serial}.cer"


def ocsp_url() -> str:
    return f"{base_url()}/signing/ocsp"


# ---- keys at rest ------------------------------------------------------------------------


def _key_context(serial: str) -> bytes:
    return f"accord.signing.key:{serial}".encode()


def seal_key(key: PrivateKey, serial: str) -> str:
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return encrypt(base64.b64encode(der).decode(), _key_context(serial))


def load_key(cert: Certificate) -> PrivateKey:
    """The certificate's private key: decrypted, or a handle on the token that holds it."""
    if not cert.key_sealed or cert.key_destroyed_at is not None:
        raise KEY_DESTROYED()
    if hsm.is_token_reference(cert.key_sealed):
        return hsm.TokenKey(cert.key_sealed.removeprefix(hsm.MARKER))
    der = base64.b64decode(decrypt(cert.key_sealed, _key_context(cert.serial)))
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def destroy_key(cert: Certificate) -> None:
    """Wipe a used event key; the row keeps the certificate (public) for verification."""
    cert.key_sealed = ""
    cert.key_destroyed_at = timezone.now()
    cert.save(update_fields=["key_sealed", "key_destroyed_at", "updated_at"])


def new_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


# ---- certificates --------------------------------------------------------------------------


def x509_of(cert: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(cert.der))


def _name(cn: str, org: str, serial_number: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org[:64]),
        x509.NameAttribute(NameOID.COMMON_NAME, cn[:64]),
    ]
    if serial_number:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    return x509.Name(attrs)


@dataclass(frozen=True)
class _Profile:
    ca: bool
    path_length: int | None = None
    timestamping: bool = False


_PROFILES = {
    Kind.ROOT: _Profile(ca=True, path_length=1),
    Kind.ISSUING: _Profile(ca=True, path_length=0),
    Kind.TSA: _Profile(ca=False, timestamping=True),
    Kind.BUREAU_SEAL: _Profile(ca=False),
    Kind.ENTERPRISE_SEAL: _Profile(ca=False),
    Kind.EVENT: _Profile(ca=False),
}


def _issue(
    kind: str,
    subject: x509.Name,
    validity: timedelta,
    issuer: Certificate | None,
    *,
    store_key: bool = True,
    **owner,
) -> tuple[Certificate, PrivateKey]:
    """Make a key and a certificate for it, signed by ``issuer`` (self-signed when None)."""
    profile = _PROFILES[Kind(kind)]
    now = timezone.now()
    serial = x509.random_serial_number()
    serial_hex = f"{serial:x}"
    in_token = store_key and hsm.holds(kind)
    if issuer is not None:  # checked before a key is made (a token key would outlive a refusal)
        issuer_x509 = x509_of(issuer)
        if issuer.revoked_at is not None or issuer_x509.not_valid_after_utc <= now + validity / 100:
            raise ISSUER_UNUSABLE()
    key: PrivateKey = hsm.generate(serial_hex) if in_token else new_key()
    if issuer is None:
        issuer_name, signing_key, issuer_public = subject, key, key.public_key()
    else:
        issuer_name, signing_key = issuer_x509.subject, load_key(issuer)
        issuer_public = issuer_x509.public_key()  # type: ignore[assignment]
        validity = min(validity, issuer_x509.not_valid_after_utc - now)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + validity)
        .add_extension(
            x509.BasicConstraints(ca=profile.ca, path_length=profile.path_length), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if profile.ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=not profile.timestamping,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if profile.timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    if issuer is not None:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url(issuer))],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(ocsp_url()),
                    ),
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(ca_cert_url(issuer)),
                    ),
                ]
            ),
            critical=False,
        )
    certificate = builder.sign(signing_key, hashes.SHA256())
    if in_token:
        key_sealed = hsm.MARKER + serial_hex
    else:
        key_sealed = seal_key(key, serial_hex) if store_key else ""
    row = Certificate.objects.create(
        kind=kind,
        serial=serial_hex,
        subject=subject.rfc4514_string()[:400],
        issuer=issuer,
        der=certificate.public_bytes(serialization.Encoding.DER),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        key_sealed=key_sealed,
        **owner,
    )
    audit.record(
        "signing.certificate.issue",
        row,
        changes={"kind": [None, kind], "key_store": [None, "pkcs11" if in_token else "envelope"]},
    )
    return row, key


def current(kind: str, **owner) -> Certificate | None:
    return (
        Certificate.objects.filter(
            kind=kind, current=True, revoked_at__isnull=True, not_after__gt=timezone.now(), **owner
        )
        .select_related("issuer")
        .order_by("-id")
        .first()
    )


@transaction.atomic
def ensure_platform() -> None:
    """Create the root, issuing CA, TSA and bureau seal once (idempotent, safe to call often)."""
    # Serialise concurrent first calls: the second waits and then finds the certificates.
    Certificate.objects.select_for_update().filter(kind=Kind.ROOT).exists()
    root = current(Kind.ROOT)
    if root is None:
        root, _ = _issue(
            Kind.ROOT, _name("Accord Platform Root CA", PLATFORM_ORG), VALIDITY[Kind.ROOT], None
        )
    issuing = current(Kind.ISSUING)
    if issuing is None:
        issuing, _ = _issue(
            Kind.ISSUING, _name("Accord Issuing CA", PLATFORM_ORG), VALIDITY[Kind.ISSUING], root
        )
    if current(Kind.TSA) is None:
        _issue(
            Kind.TSA,
            _name("Accord Time-Stamping Authority", PLATFORM_ORG),
            VALIDITY[Kind.TSA],
            issuing,
        )
    if current(Kind.BUREAU_SEAL) is None:
        _issue(
            Kind.BUREAU_SEAL,
            _name("福田区人力资源局", PLATFORM_ORG),
            VALIDITY[Kind.BUREAU_SEAL],
            issuing,
        )


def _platform(kind: str) -> Certificate:
    """The current platform certificate of ``kind``, creating the hierarchy on first use."""
    cert = current(kind)
    if cert is None:
        ensure_platform()
        cert = current(kind)
    assert cert is not None
    return cert


def root() -> Certificate:
    return _platform(Kind.ROOT)


def issuing_ca() -> Certificate:
    return _platform(Kind.ISSUING)


def tsa_certificate() -> Certificate:
    return _platform(Kind.TSA)


def bureau_seal() -> Certificate:
    return _platform(Kind.BUREAU_SEAL)


@transaction.atomic
def enterprise_seal(enterprise) -> Certificate:
    """The enterprise's current seal certificate, issued on first use."""
    cert = current(Kind.ENTERPRISE_SEAL, enterprise=enterprise)
    if cert is None:
        if enterprise.status != "active":
            raise ENTERPRISE_CLOSED()
        cert, _ = _issue(
            Kind.ENTERPRISE_SEAL,
            _name(enterprise.name, enterprise.name, f"USCC-{enterprise.uscc}"),
            VALIDITY[Kind.ENTERPRISE_SEAL],
            issuing_ca(),
            enterprise=enterprise,
        )
    return cert


def issue_event_certificate(person) -> tuple[Certificate, PrivateKey]:
    """A certificate for one signing by ``person``; its key is returned, never stored.

    The key lives only in the signing process's memory for that one signature; the caller
    marks it destroyed (``destroy_key``) when done. The subject carries the person's name and
    a pseudonymous identifier (the person's public id), never the resident ID number: the
    certificate is embedded in a document others see.
    """
    return _issue(
        Kind.EVENT,
        _name(person.name, "Accord 福易签 个人签名", f"PSN-{person.public_id}"),
        event_certificate_validity(),
        issuing_ca(),
        store_key=False,
        person=person,
    )


@transaction.atomic
def revoke(cert: Certificate, reason: str = Certificate.Reason.UNSPECIFIED) -> Certificate:
    if cert.kind == Kind.ROOT:
        raise ROOT_NOT_REVOCABLE()
    if reason not in Certificate.Reason.values:
        raise REVOCATION_REASON_INVALID("reason")
    cert = Certificate.objects.select_for_update().get(pk=cert.pk)
    if cert.revoked_at is None:
        cert.revoked_at = timezone.now()
        cert.revocation_reason = reason
        cert.current = False
        cert.save(update_fields=["revoked_at", "revocation_reason", "current", "updated_at"])
        audit.record("signing.certificate.revoke", cert, changes={"reason": [None, reason]})
    return cert


@transaction.atomic
def rotate_issuing_ca() -> Certificate:
    """A new issuing CA takes over issuance; the old one stays valid for what it signed and
    keeps signing its CRL and OCSP answers. The TSA and the bureau seal are re-issued under it."""
    ensure_platform()
    old = Certificate.objects.select_for_update().get(pk=issuing_ca().pk)
    Certificate.objects.filter(
        kind__in=[Kind.ISSUING, Kind.TSA, Kind.BUREAU_SEAL], current=True
    ).update(current=False)
    new, _ = _issue(
        Kind.ISSUING, _name("Accord Issuing CA", PLATFORM_ORG), VALIDITY[Kind.ISSUING], root()
    )
    _issue(Kind.TSA, _name("Accord Time-Stamping Authority", PLATFORM_ORG), VALIDITY[Kind.TSA], new)
    _issue(
        Kind.BUREAU_SEAL, _name("福田区人力资源局", PLATFORM_ORG), VALIDITY[Kind.BUREAU_SEAL], new
    )
    audit.record("signing.issuing_ca.rotate", new, changes={"previous": [old.serial, new.serial]})
    return new


def chain(cert: Certificate) -> list[Certificate]:
    """The certificate and its issuers up to (and including) the root."""
    out = [cert]
    while out[-1].issuer_id is not None:
        out.append(Certificate.objects.get(pk=out[-1].issuer_id))
    return out


def trust_anchors() -> list[x509.Certificate]:
    return [x509_of(c) for c in Certificate.objects.filter(kind=Kind.ROOT, revoked_at__isnull=True)]


def intermediates() -> list[x509.Certificate]:
    return [x509_of(c) for c in Certificate.objects.filter(kind=Kind.ISSUING)]


# ---- revocation: CRL and OCSP --------------------------------------------------------------

_REASON_FLAGS = {
    Certificate.Reason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    Certificate.Reason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    Certificate.Reason.SUPERSEDED: x509.ReasonFlags.superseded,
    Certificate.Reason.CESSATION: x509.ReasonFlags.cessation_of_operation,
    Certificate.Reason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
}


def crl_der(ca: Certificate) -> bytes:
    """The current CRL of one of our CAs, freshly signed (next update in one day)."""
    if ca.kind not in (Kind.ROOT, Kind.ISSUING):
        raise NOT_A_CA()
    now = timezone.now()
    ca_x509 = x509_of(ca)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_x509.subject)
        .last_update(now - timedelta(minutes=1))
        .next_update(now + timedelta(days=1))
        .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_x509.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for revoked in ca.issued.filter(revoked_at__isnull=False).only(
        "serial", "revoked_at", "revocation_reason"
    ):
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(int(revoked.serial, 16))
            .revocation_date(revoked.revoked_at or now)
            .add_extension(
                x509.CRLReason(_REASON_FLAGS[Certificate.Reason(revoked.revocation_reason)]),
                critical=False,
            )
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(load_key(ca), hashes.SHA256()).public_bytes(serialization.Encoding.DER)


class OcspError(AccordError):
    status = 400


def _key_hash(ca_x509: x509.Certificate, algorithm: str) -> bytes:
    """issuerKeyHash: the hash of the subjectPublicKey BIT STRING value (RFC 6960 4.1.1)."""
    from asn1crypto import keys as asn1_keys

    spki = ca_x509.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bits = asn1_keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
    return hashlib.new(algorithm, bits).digest()


def _issuer_for_request(req: x509.ocsp.OCSPRequest) -> Certificate | None:
    algo = req.hash_algorithm.name
    for ca in Certificate.objects.filter(kind__in=[Kind.ROOT, Kind.ISSUING]):
        ca_x509 = x509_of(ca)
        if (
            _key_hash(ca_x509, algo) == req.issuer_key_hash
            and hashlib.new(algo, ca_x509.subject.public_bytes()).digest() == req.issuer_name_hash
        ):
            return ca
    return None


def ocsp_response_der(request_der: bytes) -> bytes:
    """Answer one OCSP request (RFC 6960) for a certificate of ours, signed by its issuing CA."""
    from cryptography.x509 import ocsp

    try:
        req = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        ).public_bytes(serialization.Encoding.DER)
    ca = _issuer_for_request(req)
    if ca is None:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.UNAUTHORIZED
        ).public_bytes(serialization.Encoding.DER)
    return _ocsp_for(ca, req.serial_number, req.hash_algorithm, req.extensions)


def _ocsp_for(ca: Certificate, serial: int, hash_algorithm, request_extensions=None) -> bytes:
    from cryptography.x509 import ocsp

    now = timezone.now()
    ca_x509 = x509_of(ca)
    row = Certificate.objects.filter(issuer=ca, serial=f"{serial:x}").first()
    builder = ocsp.OCSPResponseBuilder()
    this_update, next_update = now - timedelta(minutes=1), now + timedelta(hours=12)
    if row is None:
        # Not ours: answer "unknown" about a made-up certificate with that serial.
        status, rev_time, rev_reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        builder = builder.add_response_by_hash(
            issuer_name_hash=hashlib.new(
                hash_algorithm.name, ca_x509.subject.public_bytes()
            ).digest(),
            issuer_key_hash=_key_hash(ca_x509, hash_algorithm.name),
            serial_number=serial,
            algorithm=hash_algorithm,
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=None,
            revocation_reason=None,
        )
    else:
        if row.revoked_at is not None:
            status, rev_time = ocsp.OCSPCertStatus.REVOKED, row.revoked_at
            rev_reason = _REASON_FLAGS[Certificate.Reason(row.revocation_reason)]
        else:
            status, rev_time, rev_reason = ocsp.OCSPCertStatus.GOOD, None, None
        builder = builder.add_response(
            cert=x509_of(row),
            issuer=ca_x509,
            algorithm=hash_algorithm,
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=rev_time,
            revocation_reason=rev_reason,
        )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca_x509)
    for ext in request_extensions or []:
        if isinstance(ext.value, x509.OCSPNonce):
            builder = builder.add_extension(ext.value, critical=False)
    return builder.sign(load_key(ca), hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def ocsp_for_certificate(cert: Certificate) -> bytes:
    """An OCSP response about ``cert`` made in-process (to embed in a B-LT signature)."""
    assert cert.issuer is not None
    return _ocsp_for(cert.issuer, int(cert.serial, 16), hashes.SHA1())  # noqa: S303 - OCSP CertID: RFC 5019 clients use SHA-1
