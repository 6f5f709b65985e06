"""The platform's RFC 3161 time-stamping authority.

``respond`` turns a DER ``TimeStampReq`` into a DER ``TimeStampResp`` whose token is a CMS
SignedData over a ``TSTInfo``, signed by the TSA certificate (EKU timeStamping) with an
ESS signing-certificate-v2 attribute, as RFC 3161 and RFC 5816 require. The HTTP view
(``views.tsa``) and the in-process ``LocalTimeStamper`` used while signing both call it, so
the tokens embedded in our PDFs are exactly those the public ``/tsa`` endpoint hands out.
Every token is recorded (``IssuedTimestamp``) with its unique serial number.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from accord.signing import pki
from accord.signing.models import Certificate, IssuedTimestamp

# Accord's TSA policy (a private arc, documented in docs/signing.md).
TSA_POLICY_OID = "1.3.6.1.4.1.59999.1.3161.1"
_DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}


def _der_sequence(content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return b"\x30" + bytes([n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x30" + bytes([0x80 | len(length)]) + length + content


def _rejection(failure: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {
            "status": tsp.PKIStatus("rejection"),
            "status_string": tsp.PKIFreeText([text]),
            "fail_info": tsp.PKIFailureInfo({failure}),
        }
    )
    # TimeStampResp ::= SEQUENCE { status, timeStampToken OPTIONAL } (RFC 3161 2.4.2); written
    # by hand because asn1crypto's TimeStampResp does not mark the token optional.
    return _der_sequence(status.dump())


@dataclass(frozen=True)
class TsaMaterial:
    """What issuing a token needs, loaded from the database beforehand (pyHanko calls the
    timestamper from its event loop, where the ORM must not be used)."""

    row: Certificate
    cert: asn1_x509.Certificate
    key: ec.EllipticCurvePrivateKey
    chain: tuple[asn1_x509.Certificate, ...]

    @classmethod
    def load(cls) -> TsaMaterial:
        """The current TSA's material; kept in memory per certificate (the TSA key is always in
        use), so a rotation or revocation takes effect with the next token."""
        row = pki.tsa_certificate()
        cached = _material_cache.get(row.serial)
        if cached is None:
            cached = cls(
                row=row,
                cert=asn1_x509.Certificate.load(bytes(row.der)),
                key=pki.load_key(row),
                chain=tuple(asn1_x509.Certificate.load(bytes(c.der)) for c in pki.chain(row)[1:-1]),
            )
            _material_cache.clear()
            _material_cache[row.serial] = cached
        return cached


_material_cache: dict[str, TsaMaterial] = {}


@dataclass
class Issued:
    serial: int
    gen_time: datetime
    hash_algorithm: str
    imprint_hex: str


def parse_request(request_der: bytes) -> tuple[tsp.MessageImprint, int | None, bool] | bytes:
    """The request's imprint, nonce and certReq, or a DER rejection to send back."""
    try:
        req = tsp.TimeStampReq.load(request_der)
        imprint = req["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        digest = imprint["hashed_message"].native
        nonce = req["nonce"].native
        policy = req["req_policy"].native
        cert_req = bool(req["cert_req"].native)
    except (ValueError, TypeError, KeyError):
        return _rejection("bad_data_format", "malformed TimeStampReq")
    if algorithm not in _DIGEST_SIZES:
        return _rejection("bad_alg", "unsupported hash algorithm; use SHA-256/384/512")
    if not isinstance(digest, bytes) or len(digest) != _DIGEST_SIZES[algorithm]:
        return _rejection("bad_data_format", "message imprint length does not match its algorithm")
    if policy is not None and policy != TSA_POLICY_OID:
        return _rejection("unaccepted_policy", "unknown TSA policy")
    return imprint, nonce, cert_req


def record(material: TsaMaterial, issued: list[Issued]) -> None:
    IssuedTimestamp.objects.bulk_create(
        [
            IssuedTimestamp(
                serial=i.serial,
                certificate=material.row,
                gen_time=i.gen_time,
                hash_algorithm=i.hash_algorithm,
                message_imprint=i.imprint_hex,
            )
            for i in issued
        ]
    )


def respond(request_der: bytes) -> bytes:
    """Answer one time-stamp request (the ``/tsa`` endpoint); rejections for bad requests."""
    parsed = parse_request(request_der)
    if isinstance(parsed, bytes):
        return parsed
    imprint, nonce, cert_req = parsed
    material = TsaMaterial.load()
    response, issued = issue_token(material, imprint, nonce=nonce, cert_req=cert_req)
    record(material, [issued])
    return response.dump()


def issue_token(
    material: TsaMaterial, imprint: tsp.MessageImprint, *, nonce: int | None, cert_req: bool = True
) -> tuple[tsp.TimeStampResp, Issued]:
    """Make and sign one token (no database access: see ``TsaMaterial``)."""
    gen_time = datetime.now(UTC)
    # 63 random bits: unique in practice, and the database's unique index makes sure.
    serial = secrets.randbits(63)
    tst_info = {
        "version": "v1",
        "policy": TSA_POLICY_OID,
        "message_imprint": imprint,
        "serial_number": serial,
        "gen_time": gen_time,
        "accuracy": {"seconds": 1},
        "ordering": False,
        "tsa": asn1_x509.GeneralName(name="directory_name", value=material.cert.subject),
    }
    if nonce is not None:
        tst_info["nonce"] = nonce
    content = tsp.TSTInfo(tst_info).dump()
    digest = hashes.Hash(hashes.SHA256())
    digest.update(content)
    # ESSCertIDv2 with SHA-512, not the DEFAULT SHA-256: asn1crypto re-encodes a parsed
    # ESSCertIDv2 whose hash algorithm is the default extremely slowly (seconds) whenever
    # pyHanko re-serialises the token, which it does while embedding it.
    signed_attrs = cms.CMSAttributes(
        [
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(gen_time)})),
            simple_cms_attribute(
                "signing_certificate_v2", as_signing_certificate_v2(material.cert, "sha512")
            ),
            simple_cms_attribute("message_digest", digest.finalize()),
        ]
    )
    signature = material.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {
                            "issuer": material.cert.issuer,
                            "serial_number": material.cert.serial_number,
                        }
                    )
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signed_attrs": signed_attrs,
            "signature": signature,
        }
    )
    signed_data = {
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {
            "content_type": "tst_info",
            "content": cms.ParsableOctetString(content),
        },
        "signer_infos": [signer_info],
    }
    if cert_req:
        signed_data["certificates"] = [material.cert, *material.chain]
    token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
    response = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
    issued = Issued(
        serial=serial,
        gen_time=gen_time,
        hash_algorithm=imprint["hash_algorithm"]["algorithm"].native,
        imprint_hex=imprint["hashed_message"].native.hex(),
    )
    return response, issued


class LocalTimeStamper(TimeStamper):
    """pyHanko's client side talking to our TSA in-process (the same tokens as ``/tsa``).

    Tokens issued are collected in ``issued``; call ``record()`` afterwards, outside pyHanko's
    event loop, to store them.
    """

    def __init__(self, material: TsaMaterial | None = None) -> None:
        super().__init__(include_nonce=True)
        self.material = material or TsaMaterial.load()
        self.issued: list[Issued] = []

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        parsed = parse_request(req.dump())
        if isinstance(parsed, bytes):
            raise TimestampRequestError("the platform TSA rejected the request")
        imprint, nonce, cert_req = parsed
        response, issued = issue_token(self.material, imprint, nonce=nonce, cert_req=cert_req)
        self.issued.append(issued)
        # Hand pyHanko the token as parsed from DER, as an HTTP client would: a structure built
        # in memory makes asn1crypto re-derive it when pyHanko copies it (seconds per copy).
        return tsp.TimeStampResp.load(response.dump())

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.request_tsa_response(req)

    def record(self) -> None:
        record(self.material, self.issued)
        self.issued = []
