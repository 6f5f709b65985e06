"""PAdES signing with pyHanko: input checks, signature levels, appearances, DSS, archive timestamps.

This is the layer that touches pyHanko; ``services`` decides *who* may sign and calls it.
Levels (ETSI EN 319 142-1):

* ``B-B``  — CMS signature with the signing certificate (no trusted time; not offered by default),
* ``B-T``  — plus a signature timestamp from our TSA (the default),
* ``B-LT`` — plus the validation data (certificates, CRLs, OCSP responses for the signer's and
  the TSA's chains) in the document security store, so the signature validates offline,
* ``B-LTA`` — plus a document timestamp over all of it (archival; renewable).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner, PdfTimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from accord.core.errors import InvalidInput
from accord.signing import hsm, pki
from accord.signing.appearance import PdfBytesPage
from accord.signing.errors import (
    CERTIFICATE_REVOKED,
    CERTIFY_NOT_FIRST,
    LEVEL_INVALID,
    PDF_EMPTY,
    PDF_ENCRYPTED,
    PDF_HAS_SCRIPTS,
    PDF_MALFORMED,
    PDF_TOO_LARGE,
    PDF_TOO_MANY_PAGES,
    RESERVE_NEEDS_CERTIFY,
)
from accord.signing.models import Certificate
from accord.signing.tsa import LocalTimeStamper

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


class _NoFetchWarning(logging.Filter):
    """pyHanko warns that it may not fetch revocation data; we hand it all of it ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_NoFetchWarning())
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PAGES = 2000
_MAX_TREE_DEPTH = 64


def max_pdf_bytes() -> int:
    return getattr(settings, "ACCORD_SIGNING_MAX_PDF_BYTES", DEFAULT_MAX_BYTES)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- input checks ----------------------------------------------------------------------------


_SCRIPT_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition"}


def _action_is_script(action: Any, depth: int = 0) -> bool:
    action = action.get_object() if hasattr(action, "get_object") else action
    if not isinstance(action, generic.DictionaryObject) or depth > 8:
        return False
    if action.get("/S") in _SCRIPT_ACTIONS or "/JS" in action:
        return True
    nxt = action.get("/Next")
    if nxt is None:
        return False
    nxt = nxt.get_object()
    items = nxt if isinstance(nxt, generic.ArrayObject) else [nxt]
    return any(_action_is_script(a, depth + 1) for a in items)


def _has_additional_actions(obj: generic.DictionaryObject) -> bool:
    aa = obj.get("/AA")
    if aa is None:
        return False
    aa = aa.get_object()
    return (
        any(_action_is_script(v) for v in aa.values())
        if isinstance(aa, generic.DictionaryObject)
        else False
    )


def max_pdf_pages() -> int:
    return getattr(settings, "ACCORD_PDF_MAX_PAGES", DEFAULT_MAX_PAGES)


def page_tree(reader: PdfFileReader) -> list[generic.DictionaryObject]:
    """The pages, the tree walked once without recursion; each node may be reached only once.

    A crafted tree whose nodes point twice at each child (2 KB of file, 2^24 paths) or back at
    an ancestor held a web worker for minutes (issue #13); it is refused here as malformed,
    as is a tree deeper than ``_MAX_TREE_DEPTH`` or one whose ``/Count`` lies. Over
    ``max_pdf_pages()`` pages is ``signing.pdf_too_many_pages``.
    """
    most = max_pdf_pages()
    seen: set[Any] = set()
    pages: list[generic.DictionaryObject] = []
    stack: list[tuple[Any, int]] = [(reader.root.raw_get("/Pages"), 0)]
    while stack:
        ref, depth = stack.pop()
        key = (ref.idnum, ref.generation) if isinstance(ref, generic.IndirectObject) else id(ref)
        if key in seen:
            raise PdfError("page tree node reached twice")
        seen.add(key)
        if depth > _MAX_TREE_DEPTH:
            raise PdfError("page tree too deep")
        node = ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            raise PdfError("page tree node is not a dictionary")
        if "/Kids" in node:
            kids = node["/Kids"]
            if not isinstance(kids, generic.ArrayObject):
                raise PdfError("/Kids is not an array")
            stack.extend((kids.raw_get(i), depth + 1) for i in reversed(range(len(kids))))
        else:
            pages.append(node)
            if len(pages) > most:
                raise PDF_TOO_MANY_PAGES(most=most)
    if int(reader.root["/Pages"]["/Count"]) != len(pages):
        raise PdfError("/Count does not match the page tree")
    return pages


def _has_scripts(reader: PdfFileReader) -> bool:
    root = reader.root
    names = root.get("/Names")
    if names is not None and "/JavaScript" in names.get_object():
        return True
    if "/OpenAction" in root and _action_is_script(root["/OpenAction"]):
        return True
    if _has_additional_actions(root):
        return True
    for page in page_tree(reader):
        if _has_additional_actions(page):
            return True
        for annot in page.get("/Annots", generic.ArrayObject()):
            annot = annot.get_object()
            if ("/A" in annot and _action_is_script(annot["/A"])) or _has_additional_actions(annot):
                return True
    return False


def open_pdf(data: bytes, *, allow_scripts: bool = False) -> PdfFileReader:
    """Parse a PDF we are asked to sign or verify, or raise a clear ``InvalidInput``."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise PDF_EMPTY()
    if len(data) > max_pdf_bytes():
        limit = max_pdf_bytes() // (1024 * 1024)
        raise PDF_TOO_LARGE(limit=limit)
    if b"%PDF-" not in data[:1024]:
        raise PDF_MALFORMED()
    try:
        reader = PdfFileReader(BytesIO(bytes(data)), strict=False)
        if reader.encrypted:
            raise PDF_ENCRYPTED()
        if not page_tree(reader):
            raise PdfError("no pages")
        scripts = _has_scripts(reader)
    except InvalidInput:
        raise
    except (
        PdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
    ) as exc:
        raise PDF_MALFORMED() from exc
    if scripts and not allow_scripts:
        raise PDF_HAS_SCRIPTS()
    return reader


# ---- validation material ---------------------------------------------------------------------


def _asn1_cert(cert: Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(bytes(cert.der))


def validation_context(
    *, for_signing: bool = False, extra_ocsp: tuple[bytes, ...] = ()
) -> ValidationContext:
    """Our root as the only trust anchor, all our CAs' current CRLs, no network fetching."""
    cas = list(
        Certificate.objects.filter(kind__in=[Certificate.Kind.ROOT, Certificate.Kind.ISSUING])
    )
    roots = [_asn1_cert(c) for c in cas if c.kind == Certificate.Kind.ROOT and c.revoked_at is None]
    others = [_asn1_cert(c) for c in cas if c.kind != Certificate.Kind.ROOT]
    crls = [asn1_crl.CertificateList.load(pki.crl_der(c)) for c in cas]
    ocsps = [asn1_ocsp.OCSPResponse.load(d) for d in extra_ocsp]
    return ValidationContext(
        trust_roots=roots,
        other_certs=others,
        crls=crls,
        ocsps=ocsps,
        allow_fetching=False,
        revocation_mode="hard-fail" if for_signing else "soft-fail",
    )


# ---- signing ---------------------------------------------------------------------------------


# The signing time is printed in a strip of its own below the mark, never across it.
CAPTION_STRIP = 14  # pt (5 mm)


MARKS_ATTACHMENT = "accord-marks.json"
# Which party's place a signer's field takes: the enterprise's (or bureau's) seal, a person.
_PARTY_OF_PREFIX = {"seal": "employer", "sig": "worker"}
Box = tuple[int, int, int, int]


def placed_boxes(reader: PdfFileReader) -> dict[str, list[tuple[int, Box]]]:
    """The places the document's layout left for each party's mark: party → [(page 0-based,
    (x1, y1, x2, y2) in pt, origin lower left)], read from the PDF's ``accord-marks.json``
    attachment (written by contracts/typst/document.typ). Empty for a PDF without one."""
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except (KeyError, TypeError):
        return {}
    places: dict[str, list[tuple[int, Box]]] = {}
    for i in range(0, len(names) - 1, 2):
        if str(names[i]) != MARKS_ATTACHMENT:
            continue
        try:
            items = json.loads(names[i + 1].get_object()["/EF"]["/F"].get_object().data)
            for item in items:
                x, w, h = float(item["x"]), float(item["w"]), float(item["h"])
                top = float(item["page_height"]) - float(item["y"])
                box = (round(x), round(top - h), round(x + w), round(top))
                places.setdefault(str(item["party"]), []).append((int(item["page"]) - 1, box))
        except (KeyError, TypeError, ValueError, PdfError):
            return {}  # a damaged attachment: fall back to the default places
    return places


def _place(reader: PdfFileReader, prefix: str, index: int, kind: str, page: int) -> tuple[int, Box]:
    """Page and box of the ``index``-th field of this kind: the layout's place for it if the
    document has one, else a place at the foot of the page (an uploaded PDF)."""
    places = placed_boxes(reader).get(_PARTY_OF_PREFIX[prefix], [])
    if index < len(places):
        return places[index]
    return page, _default_box(reader, page, kind, index)


def _stamp_style(look: Appearance) -> TextStampStyle:
    """The mark in the upper part of the field, the signing time in the strip below it."""
    return TextStampStyle(
        stamp_text=look.caption,
        border_width=0,
        background=PdfBytesPage(look.pdf),
        background_opacity=1,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MAX,
            # The strip, and a gap above it: the mark shrinks to fit rather than touch it.
            margins=layout.Margins(bottom=CAPTION_STRIP + 3),
        ),
        text_box_style=TextBoxStyle(
            font_size=6,
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(1),
            ),
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(bottom=2),
        ),
    )


@dataclass
class Appearance:
    """A visible signature: a one-page PDF drawn by ``appearance``, placed in ``box`` (pt)."""

    pdf: bytes
    box: tuple[int, int, int, int] | None = None
    page: int = -1
    caption: str = "%(ts)s"


@contextmanager
def _signer(cert: Certificate, key) -> Iterator[signers.Signer]:
    """pyHanko's signer for ``key``: in memory, or pyHanko's PKCS11Signer for a token key."""
    chain = _intermediates_of(cert.serial, cert.issuer_id)
    if isinstance(key, hsm.TokenKey):
        with hsm.pdf_signer(_asn1_cert(cert), key.label, chain) as token_signer:
            yield token_signer
        return
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    yield signers.SimpleSigner(
        signing_cert=_asn1_cert(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


@lru_cache(maxsize=1024)
def _intermediates_of(serial: str, issuer_id: int | None) -> tuple[asn1_x509.Certificate, ...]:
    """The CA certificates between a certificate and the root (public, immutable: cached)."""
    cert = Certificate.objects.get(serial=serial)
    return tuple(_asn1_cert(c) for c in pki.chain(cert)[1:-1])


def _field_name(reader: PdfFileReader, prefix: str) -> tuple[str, bool]:
    """The field to sign: an empty one reserved for this kind of signer, or a new name."""
    existing = {}
    for name, value, _ref in fields.enumerate_sig_fields(reader):
        existing[name] = value
    for name, value in existing.items():
        if value is None and name.startswith(prefix):
            return name, True
    n = 1
    while f"{prefix}{n}" in existing:
        n += 1
    return f"{prefix}{n}", False


def _default_box(
    reader: PdfFileReader, page: int, kind: str, field_count: int
) -> tuple[int, int, int, int]:
    page_obj = reader.find_page_for_modification(
        page if page >= 0 else int(reader.root["/Pages"]["/Count"]) + page
    )[0]
    x1, y1, x2, _y2 = (float(v) for v in page_obj.get_object().get("/MediaBox", [0, 0, 595, 842]))
    width = x2 - x1
    if kind in (Certificate.Kind.ENTERPRISE_SEAL, Certificate.Kind.BUREAU_SEAL):
        size = 119  # 42 mm
        left = int(x1 + width - 60 - size - (field_count % 3) * (size + 10))
        return (left, int(y1 + 50), left + size, int(y1 + 50 + size + CAPTION_STRIP))
    left = int(x1 + 60 + (field_count % 3) * 180)
    return (left, int(y1 + 50), left + 170, int(y1 + 118 + CAPTION_STRIP))


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    field_name: str


def sign_document(data: bytes, **kwargs: Any) -> bytes:
    """``sign`` returning the PDF only."""
    return sign(data, **kwargs).pdf


def sign(
    data: bytes,
    *,
    cert: Certificate,
    key,
    level: str = "B-T",
    reason: str = "",
    location: str = "深圳市福田区",
    appearance: Appearance | None = None,
    certify: bool = False,
    lock_form: bool = False,
    reserve_person_fields: int = 0,
    timestamper: LocalTimeStamper | None = None,
) -> SignedPdf:
    """Sign ``data`` with ``cert``/``key`` at ``level``; returns the new PDF (an incremental update).

    Pass a ``timestamper`` to store the tokens it issued yourself (``timestamper.record()``, in
    the transaction that records the signature); without one, they are stored here.
    """
    if level not in LEVELS:
        raise LEVEL_INVALID("level")
    reader = open_pdf(data)
    if Certificate.objects.filter(pk=cert.pk, revoked_at__isnull=False).exists():
        raise CERTIFICATE_REVOKED()
    existing = [f for f in fields.enumerate_sig_fields(reader) if f[1] is not None]
    if certify and existing:
        raise CERTIFY_NOT_FIRST()
    prefix = (
        "seal"
        if cert.kind in (Certificate.Kind.ENTERPRISE_SEAL, Certificate.Kind.BUREAU_SEAL)
        else "sig"
    )
    field_name, reserved = _field_name(reader, prefix)
    long_term = level in ("B-LT", "B-LTA")
    vc = None
    if long_term:
        vc = validation_context(for_signing=True, extra_ocsp=(pki.ocsp_for_certificate(cert),))
    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        certify=certify,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        embed_validation_info=long_term,
        use_pades_lta=level == "B-LTA",
        validation_context=vc,
    )
    stamp_style = None
    spec = None
    page = -1
    if appearance is not None:
        page = appearance.page
        box = appearance.box
        if box is None:
            same_kind = sum(
                1 for name, _v, _r in fields.enumerate_sig_fields(reader) if name.startswith(prefix)
            )
            page, box = _place(reader, prefix, same_kind, cert.kind, page)
        stamp_style = _stamp_style(appearance)
    else:
        box = None
    spec = (
        None
        if reserved
        else SigFieldSpec(
            sig_field_name=field_name,
            on_page=page,
            box=box,
            # Locking every form field is what makes a certified contract's form final.
            field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL) if lock_form else None,
            doc_mdp_update_value=MDPPerm.FILL_FORMS if lock_form and not certify else None,
        )
    )
    own_timestamper = timestamper is None
    if level == "B-B":
        timestamper = None
    elif timestamper is None:
        timestamper = LocalTimeStamper()
    writer = IncrementalPdfFileWriter(BytesIO(bytes(data)), strict=False)
    if reserve_person_fields and not certify:
        raise RESERVE_NEEDS_CERTIFY()
    # Under a certification signature (DocMDP P=2) later signers may only fill fields that
    # exist: adding a new widget to a page would count as a forbidden change. Each goes to the
    # place the layout left at the 乙方 line (then, for more signers, the page's foot).
    for i in range(reserve_person_fields):
        on_page, person_box = _place(reader, "sig", i, Certificate.Kind.EVENT, -1)
        fields.append_signature_field(
            writer,
            SigFieldSpec(sig_field_name=f"sig{i + 1}", on_page=on_page, box=person_box),
        )
    with _signer(cert, key) as signer:
        pdf_signer = PdfSigner(
            meta,
            signer=signer,
            timestamper=timestamper,
            stamp_style=stamp_style,
            new_field_spec=spec,
        )
        out = pdf_signer.sign_pdf(writer)
    if timestamper is not None and own_timestamper:
        timestamper.record()
    return SignedPdf(out.getvalue(), field_name)


def last_field_name(data: bytes) -> str:
    """The field of the newest signature (the one an incremental signing just added)."""
    sigs = PdfFileReader(BytesIO(data), strict=False).embedded_signatures
    plain = [s for s in sigs if s.sig_object_type != "/DocTimeStamp"]
    return plain[-1].field_name if plain else ""


def add_document_timestamp(data: bytes) -> bytes:
    """Archive: add validation data for what is there and a document timestamp over it (B-LTA).

    Called again before the TSA certificate expires, it renews the chain of archive timestamps.
    """
    open_pdf(data, allow_scripts=True)
    tsa_cert = pki.tsa_certificate()
    vc = validation_context(for_signing=True, extra_ocsp=(pki.ocsp_for_certificate(tsa_cert),))
    timestamper = LocalTimeStamper()
    stamper = PdfTimeStamper(timestamper)
    reader = PdfFileReader(BytesIO(data), strict=False)
    has_doc_ts = any(sig.sig_object_type == "/DocTimeStamp" for sig in reader.embedded_signatures)
    output = BytesIO()
    if has_doc_ts:
        stamper.update_archival_timestamp_chain(reader, vc, in_place=False, output=output)
    else:
        from pyhanko.sign.validation import add_validation_info

        current = data
        for ix in range(len(reader.embedded_signatures)):
            sig = PdfFileReader(BytesIO(current), strict=False).embedded_signatures[ix]
            current = add_validation_info(sig, vc, in_place=False).getvalue()
        with_dss = BytesIO(current)
        writer = IncrementalPdfFileWriter(with_dss, strict=False)
        stamper.timestamp_pdf(writer, "sha256", validation_context=vc, output=output)
    timestamper.record()
    return output.getvalue()
