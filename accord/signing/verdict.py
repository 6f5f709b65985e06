"""What a verification report means, in words a layperson reads: the verdict of /verify.

``verify.verify_pdf`` says, signature by signature, what the cryptography found. A person who
holds a contract wants to know other things: **who** signed (a person's or an enterprise's
name, not an X.500 name), **in which role** (甲方 seal, 乙方 signature, the bureau's seal, an
archive timestamp that is not a signature at all), **when** (by the trusted timestamp), whether
the document is **complete** (every party signed) or only partly signed, and whether it
**changed** since. This module answers those, once, for the page, the API and the evidence
report alike.

Who the parties of a document are is known only to the app that owns it (envelopes know their
甲方 and 乙方); such an app registers a *describer* (``register_describer``) which, given the
platform's signing records found in the file, names the document's parties. Without one the
file itself says what is still awaited: the empty signature fields reserved at sealing.

Texts are Chinese msgids translated by Django's catalogue; ``as_dict`` gives both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accord.signing import verify as v
from accord.signing.models import Certificate, Signature

# The overall states, most serious first.
DAMAGED = "damaged"  # not a readable PDF
UNSIGNED = "unsigned"  # no signature at all
CHANGED = "changed"  # changed after signing
NOT_TRUSTED = "not_trusted"  # a signature we cannot vouch for (not ours, revoked, broken)
PARTIAL = "partial"  # every signature is good, but a party has not signed yet
COMPLETE = "complete"  # every party signed, nothing changed
VALID = "valid"  # every signature good; who else should sign is not known here

# Roles of a mark on a document.
ROLE_ENTERPRISE_SEAL = "enterprise_seal"
ROLE_PERSON = "person"
ROLE_BUREAU_SEAL = "bureau_seal"
ROLE_ARCHIVE = "archive_timestamp"
ROLE_UNKNOWN = "unknown"

HEADLINES = {
    COMPLETE: gettext_lazy("文件有效：全部签署方均已签署，签署后文件未被修改。"),
    VALID: gettext_lazy("签名有效：文件中的签名都真实有效，签署后文件未被修改。"),
    PARTIAL: gettext_lazy("签署尚未完成：已有的签名有效，但还有签署方没有签署。"),
    CHANGED: gettext_lazy("文件在签署后被改动过：当前内容与签署时不一致，不能以此文件为准。"),
    NOT_TRUSTED: gettext_lazy("无法确认签名：文件中有签名不能由本平台证实。"),
    UNSIGNED: gettext_lazy("这份文件没有电子签名。"),
    DAMAGED: gettext_lazy("文件已损坏，无法读取。"),
}

ADVICE = {
    COMPLETE: gettext_lazy("各方签名和时间如下。可以把这个结果作为文件真实、完整的依据。"),
    VALID: gettext_lazy(
        "本平台不掌握这份文件应由哪些人签署；请核对下方签署人是否就是应当签署的各方。"
    ),
    PARTIAL: gettext_lazy(
        "这是签署过程中的版本，还不是各方都已签署的正式文件。请等待其余签署方签署后再使用。"
    ),
    CHANGED: gettext_lazy(
        "签名之后有人修改了文件（哪怕只改了一个字节）。请向对方索取原始签署文件，或在本平台按文件编号核验。"
    ),
    NOT_TRUSTED: gettext_lazy("请不要依赖下方标为“未通过”的签名；具体原因见各签名下的说明。"),
    UNSIGNED: gettext_lazy("请上传本平台签署后的 PDF 文件，而不是草稿或扫描件。"),
    DAMAGED: gettext_lazy("请重新下载或向对方索取原始 PDF 文件后再试。"),
}

ROLE_LABELS = {
    ROLE_ENTERPRISE_SEAL: gettext_lazy("企业电子印章"),
    ROLE_PERSON: gettext_lazy("个人签名"),
    ROLE_BUREAU_SEAL: gettext_lazy("福田区人力资源局电子印章"),
    ROLE_ARCHIVE: gettext_lazy("存档时间戳（不是签名）"),
    ROLE_UNKNOWN: gettext_lazy("签名"),
}

ARCHIVE_EXPLAINED = gettext_lazy(
    "各方签署完成后，平台的时间戳服务在整份文件上加盖的存档时间戳。它不是任何人的签名，"
    "而是证明文件在这个时间已经存在、此后没有改动，使签名在证书过期后仍可验证（长期保存）。"
)

FINDINGS = {
    v.CHANGED: gettext_lazy("这个签名之后，文件内容被改动过：现在的内容不是签署时的内容。"),
    v.CHANGED_DISALLOWED: gettext_lazy(
        "签署后文件被以签名不允许的方式修改（例如增加或替换了内容）。"
    ),
    v.NOT_COVERED: gettext_lazy("签名只覆盖文件的一部分：后来加进去的内容没有经过签署。"),
    v.BROKEN: gettext_lazy("签名的密码校验不通过：签名数据已损坏或是伪造的。"),
    v.UNTRUSTED: gettext_lazy("签名所用的证书不是本平台签发的，无法确认签署人是谁。"),
    v.REVOKED: gettext_lazy("签名所用的证书已被吊销，不能再作为有效签名。"),
    v.TIMESTAMP_INVALID: gettext_lazy("签名上的时间戳无效，签署时间无法证实。"),
    v.UNREADABLE: gettext_lazy("签名数据无法读取，无法验证。"),
}

COVERAGE = {
    "entire_file": gettext_lazy("覆盖整份文件"),
    "entire_revision": gettext_lazy("覆盖签署时的整份文件；此后只增加了允许的内容"),
    "partial": gettext_lazy("只覆盖文件的一部分"),
}

MODIFICATION = {
    "none": gettext_lazy("此后没有改动"),
    "lta_updates": gettext_lazy("此后只增加了验证数据和存档时间戳"),
    "form_filling": gettext_lazy("此后只增加了其他签署方的签名"),
    "annotations": gettext_lazy("此后增加了批注"),
    "other": gettext_lazy("此后有其他改动"),
    "unknown": gettext_lazy("无法判断此后的改动"),
}

LEVELS = {
    "B-B": gettext_lazy("PAdES B-B（无可信时间戳）"),
    "B-T": gettext_lazy("PAdES B-T（带可信时间戳）"),
    "B-LT": gettext_lazy("PAdES B-LT（带时间戳和验证数据）"),
    "B-LTA": gettext_lazy("PAdES B-LTA（长期存档）"),
}


# ---- what the owner of a document says about its parties -------------------------------------


@dataclass(frozen=True)
class ExpectedParty:
    """One party who must sign the document, as its owner knows it."""

    role: str  # e.g. "甲方（用人单位）盖章", already worded for people (lazy or plain text)
    name: str
    kind: str  # ROLE_ENTERPRISE_SEAL or ROLE_PERSON
    signature_ids: frozenset[int] = frozenset()  # the platform's Signature rows of this party
    certificate_serials: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DocumentParties:
    parties: tuple[ExpectedParty, ...]
    # The platform knows a later version in which every party has signed.
    completed_elsewhere: bool = False


Describer = Callable[[list[Signature]], "DocumentParties | None"]
_describers: list[Describer] = []


def register_describer(fn: Describer) -> Describer:
    if fn not in _describers:
        _describers.append(fn)
    return fn


def unregister_describer(fn: Describer) -> None:
    if fn in _describers:
        _describers.remove(fn)


# ---- the verdict ------------------------------------------------------------------------------


@dataclass
class Mark:
    """One signature, seal or archive timestamp on the document, for people."""

    role: str
    role_label: Any
    name: str
    explanation: Any
    time: datetime | None
    time_is_trusted: bool
    ok: bool
    problems: list[Any]
    technical: list[tuple[Any, str]]


@dataclass
class Verdict:
    state: str
    headline: Any
    advice: Any
    marks: list[Mark]
    awaiting: list[ExpectedParty] = field(default_factory=list)
    awaiting_fields: int = 0
    completed_elsewhere: bool = False
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return self.state in (COMPLETE, VALID)

    @property
    def signatures(self) -> list[Mark]:
        return [m for m in self.marks if m.role != ROLE_ARCHIVE]

    @property
    def archive(self) -> list[Mark]:
        return [m for m in self.marks if m.role == ROLE_ARCHIVE]

    def as_dict(self) -> dict[str, Any]:
        """The verdict in both languages (the API's ``verdict``)."""
        out: dict[str, Any] = {"state": self.state, "ok": self.ok}
        for lang, suffix in (("zh-hans", "zh"), ("en", "en")):
            with translation.override(lang):
                out[f"headline_{suffix}"] = str(self.headline)
                out[f"advice_{suffix}"] = str(self.advice)
                out[f"awaiting_{suffix}"] = [f"{p.role} {p.name}".strip() for p in self.awaiting]
                out[f"marks_{suffix}"] = [
                    {
                        "role": m.role,
                        "role_label": str(m.role_label),
                        "name": m.name,
                        "time": m.time.isoformat() if m.time else None,
                        "time_is_trusted": m.time_is_trusted,
                        "ok": m.ok,
                        "explanation": str(m.explanation) if m.explanation else "",
                        "problems": [str(p) for p in m.problems],
                    }
                    for m in self.marks
                ]
        out["awaiting_fields"] = self.awaiting_fields
        out["completed_elsewhere"] = self.completed_elsewhere
        return out


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: a number look-up does not tell a stranger who signed."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)


def public_report(report: v.VerificationReport) -> dict[str, Any]:
    """``report.as_dict()`` for a look-up by number: a person's certificate subject (their name,
    their person id) is replaced by the masked name, as on the page."""
    body = report.as_dict()
    certs = _certificates(report)
    for sig in body["signatures"]:
        cert = certs.get(sig["signer_serial"])
        if cert is not None and cert.kind == Certificate.Kind.EVENT:
            name = cert.person.name if cert.person is not None else ""
            sig["signer"] = f"Common Name: {mask_name(name)}"
    return body


def _certificates(report: v.VerificationReport) -> dict[str, Certificate]:
    serials = {s.signer_serial for s in report.signatures if s.signer_serial}
    return {
        c.serial: c
        for c in Certificate.objects.filter(serial__in=serials).select_related(
            "enterprise", "person"
        )
    }


def _records(report: v.VerificationReport, certs: dict[str, Certificate]) -> list[Signature]:
    """The platform's signing records of the file's signatures: by the hash of the version each
    signed; for changed bytes (no hash matches) by a person's one-time certificate."""
    revisions = [s.revision_sha256 for s in report.signatures if s.revision_sha256]
    personal = [c.pk for c in certs.values() if c.kind == Certificate.Kind.EVENT]
    found = {
        r.pk: r
        for r in Signature.objects.filter(output_sha256__in=revisions).select_related("certificate")
    }
    if personal:
        for r in Signature.objects.filter(certificate_id__in=personal).select_related(
            "certificate"
        ):
            found.setdefault(r.pk, r)
    return list(found.values())


def _describe(records: list[Signature]) -> DocumentParties | None:
    if not records:
        return None
    for fn in list(_describers):
        described = fn(records)
        if described is not None:
            return described
    return None


def _role_of(cert: Certificate | None, sig: v.SignatureReport) -> str:
    if sig.kind == "document_timestamp":
        return ROLE_ARCHIVE
    if cert is None:
        return ROLE_UNKNOWN
    roles: dict[str, str] = {
        Certificate.Kind.ENTERPRISE_SEAL: ROLE_ENTERPRISE_SEAL,
        Certificate.Kind.EVENT: ROLE_PERSON,
        Certificate.Kind.BUREAU_SEAL: ROLE_BUREAU_SEAL,
    }
    return roles.get(str(cert.kind), ROLE_UNKNOWN)


def _name_of(cert: Certificate | None, sig: v.SignatureReport, public: bool) -> str:
    if sig.kind == "document_timestamp":
        return _("平台时间戳服务")
    if cert is None:
        common = next(
            (p.split(":", 1)[1].strip() for p in sig.signer.split(", ") if p.startswith("Common")),
            "",
        )
        return (mask_name(common) if public else common) or _("未知")
    if cert.kind == Certificate.Kind.EVENT and cert.person is not None:
        return mask_name(cert.person.name) if public else cert.person.name
    if cert.kind == Certificate.Kind.ENTERPRISE_SEAL and cert.enterprise is not None:
        return cert.enterprise.name
    if cert.kind == Certificate.Kind.BUREAU_SEAL:
        return _("深圳市福田区人力资源局")
    return cert.subject


def _technical(sig: v.SignatureReport, cert: Certificate | None, public: bool) -> list[tuple]:
    rows: list[tuple[Any, str]] = []
    if not public or cert is None or cert.kind != Certificate.Kind.EVENT:
        rows.append((gettext_lazy("证书主体"), sig.signer or "—"))
    rows.append((gettext_lazy("证书序列号"), sig.signer_serial or "—"))
    if sig.level:
        rows.append((gettext_lazy("签名级别"), str(LEVELS.get(sig.level, sig.level))))
    rows.append((gettext_lazy("覆盖范围"), str(COVERAGE.get(sig.coverage, sig.coverage))))
    rows.append(
        (gettext_lazy("此后的改动"), str(MODIFICATION.get(sig.modification, MODIFICATION["other"])))
    )
    rows.append((gettext_lazy("内容完整"), _("是") if sig.intact else _("否")))
    if sig.trust_checked:
        rows.append((gettext_lazy("证书链至平台根证书"), _("是") if sig.trusted else _("否")))
    else:
        rows.append((gettext_lazy("证书链至平台根证书"), _("未检查（内容已被改动）")))
    rows.append((gettext_lazy("证书已吊销"), _("是") if sig.revoked else _("否")))
    if sig.certification:
        rows.append((gettext_lazy("认证签名"), _("是：此后只允许填写预留的签名位")))
    rows.append((gettext_lazy("签署版本 SHA-256"), sig.revision_sha256 or "—"))
    return rows


def _party_for(
    sig: v.SignatureReport,
    records_by_revision: dict[str, Signature],
    parties: DocumentParties | None,
) -> ExpectedParty | None:
    if parties is None:
        return None
    record = records_by_revision.get(sig.revision_sha256)
    for party in parties.parties:
        if record is not None and record.pk in party.signature_ids:
            return party
    for party in parties.parties:
        if sig.signer_serial and sig.signer_serial in party.certificate_serials:
            return party
    return None


def build(report: v.VerificationReport, *, public: bool = False) -> Verdict:
    """The verdict of ``report``; ``public``: a look-up by number by someone who may not hold
    the file, so a person's name is masked (张*) and their certificate subject left out."""
    if report.damaged:
        return Verdict(DAMAGED, HEADLINES[DAMAGED], ADVICE[DAMAGED], [], sha256=report.sha256)
    if not report.signatures:
        return Verdict(UNSIGNED, HEADLINES[UNSIGNED], ADVICE[UNSIGNED], [], sha256=report.sha256)
    certs = _certificates(report)
    records = _records(report, certs)
    parties = _describe(records)
    by_revision = {r.output_sha256: r for r in records}
    marks: list[Mark] = []
    signed_parties: set[int] = set()
    for sig in report.signatures:
        cert = certs.get(sig.signer_serial)
        role = _role_of(cert, sig)
        party = _party_for(sig, by_revision, parties)
        label: Any = ROLE_LABELS[role]
        name = _name_of(cert, sig, public)
        if party is not None:
            signed_parties.add(id(party))
            label = party.role
            name = mask_name(party.name) if public and party.kind == ROLE_PERSON else party.name
        marks.append(
            Mark(
                role=role,
                role_label=label,
                name=name,
                explanation=ARCHIVE_EXPLAINED if role == ROLE_ARCHIVE else "",
                time=timezone.localtime(sig.signed_at) if sig.signed_at else None,
                time_is_trusted=sig.timestamp is not None,
                ok=sig.valid,
                problems=[FINDINGS[f] for f in sig.findings if f in FINDINGS],
                technical=_technical(sig, cert, public),
            )
        )
    findings = {f for sig in report.signatures for f in sig.findings}
    awaiting: list[ExpectedParty] = []
    awaiting_fields = 0
    if parties is not None:
        awaiting = [
            replace(p, name=mask_name(p.name)) if public and p.kind == ROLE_PERSON else p
            for p in parties.parties
            if id(p) not in signed_parties
        ]
    else:
        awaiting_fields = len(report.empty_fields)
    if findings & v.TAMPERING:
        state = CHANGED
    elif findings:
        state = NOT_TRUSTED
    elif awaiting or awaiting_fields:
        state = PARTIAL
    elif parties is not None:
        state = COMPLETE
    else:
        state = VALID
    return Verdict(
        state,
        HEADLINES[state],
        ADVICE[state],
        marks,
        awaiting=awaiting,
        awaiting_fields=awaiting_fields,
        completed_elsewhere=bool(parties and parties.completed_elsewhere and state == PARTIAL),
        sha256=report.sha256,
    )
