"""The evidence report (出证报告) of a completed envelope: the whole signing process on paper.

Written for an arbitrator or a court who has no access to Accord: the documents and their
hashes, the parties and how each identity was verified, the worker's agreement to the
electronic form (MOHRSS 2021 No. 54: e-form needs both sides' consent), every signing intent
(意愿认证: who, which exact document, when, from where, how), every signature with the trusted
time read back from the PDF's RFC 3161 timestamp, the evidence-ledger entries with an
inclusion proof against a signed checkpoint, the audit trail (personal values masked), and
how to check all of it independently. The proof bundles are attached to the PDF.

The report is sealed with the bureau's seal (``seal_with_bureau``) so that /verify and
``accord verify`` show it valid and any later change is detectable (Electronic Signature Law
Art. 13(3)–(4)); the seal itself is recorded in the ledger.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typst
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone, translation

from accord.core.crypto import blind_index
from accord.core.models import AuditEntry, SmsMessage
from accord.core.roles import Role
from accord.envelopes.errors import NOT_COMPLETED, PUBLIC_URL_LOCAL
from accord.envelopes.models import Envelope, Party, PartySignature
from accord.identity.models import IdentityVerification, Membership
from accord.ledger import checkpoints, merkle
from accord.ledger import services as ledger
from accord.ledger.models import Witness
from accord.seals.models import SealUsage
from accord.signing import providers, verdict
from accord.signing.models import Signature
from accord.signing.services import seal_with_bureau
from accord.signing.verify import verify_pdf

LAYOUT = Path(__file__).parent / "typst" / "evidence.typ"
_lock = threading.Lock()

MOHRSS_54 = "人社厅发〔2021〕54号《电子劳动合同订立指引》"
ESL_13 = "《电子签名法》第十三条、第十四条 / Electronic Signature Law Art. 13, 14"
USER_AGENT_MAX = 90
MONO_WIDTH = 96
# Audit values shown in clear; every other value is masked (it may be personal).
SAFE_AUDIT_FIELDS = {
    "status",
    "kind",
    "documents",
    "parties",
    "deadline",
    "reminders_sent",
    "viewed_at",
    "consent_at",
    "final_sha256",
    "sha256",
    "document",
    "signature_image_sha256",
    "level",
    "certificate",
    "document_sha256",
}


@cache
def _compiler() -> typst.Compiler:
    return typst.Compiler(str(LAYOUT), font_paths=[str(d) for d in settings.ACCORD_FONT_DIRS])


def _t(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S (UTC%z)")


def _wrap(text: str, width: int = MONO_WIDTH) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines():
        while len(line) > width:
            lines.append(line[:width])
            line = line[width:]
        lines.append(line)
    return lines


def _user_label(user) -> str:
    if user is None:
        return "—"
    name = _real_name(user)
    return f"{name}（{user.get_username()}）" if name else user.get_username()


def _party_name(party: Party) -> str:
    if party.person is not None:
        return party.person.name
    return party.envelope.enterprise.name


def _mask_changes(changes: dict[str, Any]) -> str:
    parts = []
    for key, value in (changes or {}).items():
        if key in SAFE_AUDIT_FIELDS:
            shown = json.dumps(value, ensure_ascii=False, default=str)
            if len(shown) > 80:
                shown = shown[:77] + "…"
        else:
            shown = "***"
        parts.append(f"{key}: {shown}")
    return "; ".join(parts) or "—"


def _kv(*rows) -> dict[str, Any]:
    return {"type": "kv", "rows": [list(r) for r in rows]}


def _sub(text: str) -> dict[str, Any]:
    return {"type": "subheading", "text": text}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


# The audit trail's actions in words, for a reader who does not know Accord's codes (the code
# stays beside them, for matching against the platform's records).
ACTION_WORDS = {
    "envelopes.envelope.create": "起草 / drafted",
    "envelopes.envelope.send": "发出 / sent",
    "envelopes.envelope.remind": "提醒签署 / reminder sent",
    "envelopes.envelope.complete": "各方签署完成 / completed",
    "envelopes.envelope.withdrawn": "撤回 / withdrawn",
    "envelopes.envelope.voided": "作废 / voided",
    "envelopes.envelope.rejected": "拒签 / rejected",
    "envelopes.envelope.expired": "逾期 / expired",
    "envelopes.party.ready": "轮到该方签署 / party's turn",
    "envelopes.party.view": "打开文件 / opened the document",
    "envelopes.party.consent": "同意电子形式 / consented to the electronic form",
    "envelopes.party.signature_image": "手写签名 / drew the signature",
    "envelopes.party.sign": "签署 / signed",
    "envelopes.party.reject": "拒签 / refused to sign",
    "envelopes.document.archive_timestamp": "加存档时间戳 / archive timestamp added",
    "envelopes.document.download": "下载文件 / downloaded",
}
AUTH_WORDS = {
    "session": "登录会话 / login session",
    "sms-link": "短信链接 / SMS link",
    "sms": "短信验证码 / SMS code",
    "totp": "动态口令 / TOTP code",
    "totp(act)": "一个动态口令确认整次盖章 / one TOTP code for the act",
    "token": "接口令牌 / API token",
}


def _auth_words(method: str) -> str:
    parts = [AUTH_WORDS.get(p, p) for p in (method or "").split("+") if p]
    return f"{' + '.join(parts)}（{method}）" if parts else "—"


def _action_words(action: str) -> str:
    words = ACTION_WORDS.get(action)
    return f"{words}\n{action}" if words else action


def _breakable(text: str) -> str:
    """Let a table cell wrap inside long unbroken runs (hashes, ids): a zero-width space after
    every 16 characters of a run longer than 32 (action names stay whole). Copying the text copies the spaces too, so the
    hashes meant to be copied stand in their own fixed-width rows (``mono``)."""
    return re.sub(r"[^\s]{33,}", lambda m: "\u200b".join(re.findall(".{1,16}", m.group(0))), text)


def both(message) -> str:
    """A platform message (a lazy translation) as "中文 / English", the report's one language."""
    with translation.override("zh-hans"):
        zh = str(message)
    with translation.override("en"):
        en = str(message)
    return zh if zh == en else f"{zh} / {en}"


def public_base_url() -> tuple[str, bool]:
    """The platform's public address and whether others can reach it: a loopback or private
    address (the development default ``http://127.0.0.1:8000``) is no use to an arbitrator."""
    base = getattr(settings, "ACCORD_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    host = (urlsplit(base).hostname or "").lower()
    if not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return base, False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return base, "." in host
    return base, not (
        address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified
    )


def _role_label(role: str) -> tuple[str, str]:
    """Who registered the enterprise, in Chinese and English (an audit entry's role)."""
    if not role or role == "system":
        return "平台（数据导入）", "the platform (data import)"
    try:
        label = Role(role).label
    except ValueError:
        return role, role
    with translation.override("zh-hans"):
        zh = str(label)
    with translation.override("en"):
        en = str(label)
    return zh, en


def _real_name(user) -> str:
    """The sealing officer's real name: their person's, or the name on their staff account."""
    if user is None:
        return ""
    person = getattr(user, "person", None)
    if person is not None:
        return person.name
    return user.get_full_name().strip()


SMS_KINDS = (
    ("请您签署", "签署链接 / signing link"),
    ("验证码", "签署验证码 / signing code"),
    ("[redacted", "签署验证码 / signing code"),
    ("已签署完成", "完成通知 / completion notice"),
)


def _sms_kind(text: str) -> str:
    return next((label for marker, label in SMS_KINDS if marker in text), "短信 / SMS")


def _sms_records(envelope: Envelope, parties: list[Party], signatures: list) -> list[SmsMessage]:
    """The texts sent to the envelope's people about it: its signing links and completion notice
    (by its title or number) and the signing codes (sent while one of their intents was open).
    Only the masked phone and the delivery outcome are shown, never the text (links, codes)."""
    start = envelope.sent_at or envelope.created_at
    end = (envelope.completed_at or timezone.now()) + dt.timedelta(days=1)
    windows = [
        (ps.signature.intent.created_at, ps.signature.intent.used_at or end)
        for ps in signatures
        if ps.signature.intent is not None and ps.signature.intent.person_id is not None
    ]
    found: dict[int, SmsMessage] = {}
    for party in parties:
        if party.person is None or not party.person.phone:
            continue
        index = blind_index(party.person.phone, "phone")
        for message in SmsMessage.objects.filter(
            phone_index=index, created_at__gte=start, created_at__lte=end
        ).order_by("created_at", "id"):
            text = message.text
            about = envelope.number in text or f"《{envelope.title}》" in text
            is_code = "验证码" in text or text.startswith("[redacted")
            in_window = any(a <= message.created_at <= b for a, b in windows)
            if (about and not is_code) or (is_code and in_window):
                found[message.pk] = message
    return sorted(found.values(), key=lambda m: (m.created_at, m.pk))


def collect(envelope: Envelope) -> dict[str, Any]:
    """Everything the report shows, as plain data (also useful to tests and an API)."""
    envelope = Envelope.objects.select_related("enterprise", "person").get(pk=envelope.pk)
    if envelope.status != Envelope.Status.COMPLETED:
        raise NOT_COMPLETED()
    documents = list(envelope.documents.all())
    parties = list(
        envelope.parties.select_related("person", "signed_by__person", "intent").order_by(
            "order", "id"
        )
    )
    signatures = list(
        PartySignature.objects.filter(party__envelope=envelope)
        .select_related(
            "party",
            "document",
            "signature__certificate",
            "signature__intent__person",
            "signature__intent__user__person",
        )
        .order_by("signature__signed_at", "id")
    )
    verifications = {
        p.person_id: list(
            IdentityVerification.objects.filter(person_id=p.person_id).order_by("created_at")[:10]
        )
        for p in parties
        if p.person_id
    }
    usages = {
        u.signature_id: u
        for u in SealUsage.objects.filter(
            signature_id__in=[s.signature_id for s in signatures]
        ).select_related("seal", "approval__decided_by__person")
    }
    reports = {}
    for doc in documents:
        pdf = providers.load_document(doc.current_sha256)
        reports[doc.pk] = verify_pdf(pdf)
    bundles = []
    for ps in signatures:
        sig = ps.signature
        if sig.ledger_index is None:
            continue
        bundle = ledger.bundle_for(index=sig.ledger_index)
        data = base64.b64decode(bundle["entry"]["data"])
        bundles.append(
            {
                "signature": sig,
                "document": ps.document,
                "bundle": bundle,
                "leaf_hash": merkle.leaf_hash(data).hex(),
                "entry": json.loads(data),
            }
        )
    # The final file of each document (after its archive timestamp, when it has one) has its own
    # ledger entry: the one an arbitrator's copy matches. Shown and attached like the others.
    known = {item["signature"].ledger_index for item in bundles}
    finals = {}
    for doc in documents:
        final = Signature.objects.filter(output_sha256=doc.current_sha256).first()
        if final is None or final.ledger_index is None:
            continue
        finals[doc.pk] = final
        if final.ledger_index in known:
            continue
        bundle = ledger.bundle_for(index=final.ledger_index)
        data = base64.b64decode(bundle["entry"]["data"])
        bundles.append(
            {
                "signature": final,
                "document": doc,
                "bundle": bundle,
                "leaf_hash": merkle.leaf_hash(data).hex(),
                "entry": json.loads(data),
            }
        )
        known.add(final.ledger_index)
    for item in bundles:
        item["final"] = finals.get(item["document"].pk) == item["signature"]
    verdicts = {doc.pk: verdict.build(reports[doc.pk]) for doc in documents}
    sealers = [p.signed_by for p in parties if p.role == Party.Role.ENTERPRISE and p.signed_by]
    memberships = {
        m.user_id: m
        for m in Membership.objects.filter(
            user__in=sealers, enterprise=envelope.enterprise, role="hr"
        ).order_by("created_at")
    }
    registered = (
        AuditEntry.objects.filter(
            action="identity.enterprise.create", object_id=str(envelope.enterprise.public_id)
        )
        .order_by("at")
        .first()
    )
    object_ids = [str(envelope.public_id)] + [str(p.public_id) for p in parties]
    # Issuing this report is logged too, but is not part of the signing process it reports.
    audit_rows = list(
        AuditEntry.objects.filter(object_id__in=object_ids)
        .exclude(action__startswith="envelopes.evidence_report.")
        .order_by("at", "id")[:300]
    )
    return {
        "envelope": envelope,
        "documents": documents,
        "parties": parties,
        "signatures": signatures,
        "verifications": verifications,
        "usages": usages,
        "reports": reports,
        "bundles": bundles,
        "audit": audit_rows,
        "verdicts": verdicts,
        "memberships": memberships,
        "enterprise_registered": registered,
        "sms": _sms_records(envelope, parties, signatures),
        "log_key": checkpoints.log_verifier().vkey,
        "witness_keys": list(
            Witness.objects.filter(active=True).values_list("name", "vkey").order_by("name")
        ),
    }


def _sections(facts: dict[str, Any]) -> list[dict[str, Any]]:
    envelope: Envelope = facts["envelope"]
    base, reachable = public_base_url()
    sections: list[dict[str, Any]] = []

    # 0. What it all means, first: who signed in which role, when, complete, unchanged.
    blocks = []
    for doc in facts["documents"]:
        found = facts["verdicts"][doc.pk]
        blocks.append(_sub(f"{doc.number} {doc.name}"))
        blocks.append(_text(both(found.headline)))
        rows = []
        for mark in found.marks:
            when = timezone.localtime(mark.time).strftime("%Y-%m-%d %H:%M:%S") if mark.time else "—"
            proof = "可信时间戳 / trusted timestamp" if mark.time_is_trusted else "未经时间戳证明"
            state = "有效 / valid" if mark.ok else "无效 / NOT valid"
            rows.append((both(mark.role_label), f"{mark.name} · {when}（{proof}）· {state}"))
        blocks.append(_kv(*rows))
        if found.archive:
            blocks.append(_text(both(verdict.ARCHIVE_EXPLAINED)))
    sections.append({"heading": "结论 / Summary", "blocks": blocks})

    # 1. The documents.
    blocks: list[dict[str, Any]] = [
        _kv(
            ("文件编号 / Number", envelope.number),
            ("标题 / Title", envelope.title),
            ("类型 / Kind", envelope.get_kind_display()),
            ("用人单位 / Employer", f"{envelope.enterprise.name}（{envelope.enterprise.uscc}）"),
            ("劳动者 / Worker", f"{envelope.person.name}（{envelope.person.id_number_masked}）"),
            ("发出时间 / Sent", _t(envelope.sent_at)),
            ("完成时间 / Completed", _t(envelope.completed_at)),
            (
                "保存期限 / Kept until",
                envelope.retain_until.isoformat()
                if envelope.retain_until
                else "劳动关系结束后至少二年（《劳动合同法》第五十条）/ at least two years after the "
                "relationship ends (LCL Art. 50)",
            ),
        )
    ]
    for doc in facts["documents"]:
        blocks.append(_sub(f"{doc.number} {doc.name}"))
        blocks.append(
            _kv(
                ("页数 / Pages", str(doc.pages)),
                ("原始文件 SHA-256 / Original", doc.original_sha256, "mono"),
                ("最终签署文件 SHA-256 / Final signed file", doc.current_sha256, "mono"),
                ("最终文件大小 / Size", f"{doc.size} bytes"),
            )
        )
    sections.append({"heading": "文件 / Documents", "blocks": blocks})

    # 2. Parties and how each identity was verified.
    blocks = []
    for party in facts["parties"]:
        blocks.append(_sub(f"#{party.order} {party.get_role_display()} — {_party_name(party)}"))
        rows: list[tuple] = [("状态 / Status", party.get_status_display())]
        if party.person is not None:
            rows += [
                ("证件号码 / ID (masked)", party.person.id_number_masked),
                ("实名认证等级 / Identity level", party.person.get_verification_level_display()),
                ("认证时间 / Verified at", _t(party.person.verified_at)),
            ]
            for v in facts["verifications"].get(party.person_id, []):
                rows.append(
                    (
                        "核验记录 / Verification",
                        f"{_t(v.created_at)} · {v.verifier} · {v.get_level_display()} · "
                        f"{v.get_result_display()}",
                    )
                )
        else:
            enterprise = envelope.enterprise
            officer = party.signed_by
            name = _real_name(officer)
            rows.append(
                (
                    "盖章经办人 / Sealing officer",
                    (
                        f"{name}（账号 / account {officer.get_username()}）"
                        if name
                        else f"未登记实名 / no real name on record（账号 / account "
                        f"{officer.get_username()}）"
                    )
                    if officer is not None
                    else "—",
                )
            )
            membership = facts["memberships"].get(officer.pk) if officer is not None else None
            if membership is not None:
                rows.append(
                    (
                        "经办人权限 / Officer's authority",
                        f"{enterprise.name} 的人事账号，自 {_t(membership.created_at)} 起；"
                        "经授权使用该印章 / HR account of the enterprise since then, "
                        "authorised to use the seal",
                    )
                )
            rows.append(
                (
                    "第二因素 / Second factor",
                    "登录会话 + 动态口令（TOTP），每次盖章重新输入 / session + a fresh TOTP code",
                )
            )
            registered = facts["enterprise_registered"]
            by_zh, by_en = _role_label(registered.role) if registered is not None else ("", "")
            rows.append(
                (
                    "企业核验 / How the enterprise was verified",
                    f"统一社会信用代码 {enterprise.uscc}（校验位符合 GB 32100）；法定代表人 "
                    f"{enterprise.legal_representative}；"
                    + (f"{_t(registered.at)} 由{by_zh}在平台登记；" if registered else "")
                    + "企业印章证书由平台 CA 签发，证书中载明该代码。/ USCC with a valid check "
                    "digit (GB 32100); "
                    + (f"registered on the platform by {by_en}; " if registered else "")
                    + "the seal certificate, issued by the platform CA, carries the same USCC.",
                )
            )
        rows.append(("签署时间 / Signed at", _t(party.signed_at)))
        rows.append(("查看时间 / First viewed", _t(party.viewed_at)))
        blocks.append(_kv(*rows))
    sections.append({"heading": "签署方及身份核验 / Parties and identity", "blocks": blocks})

    # 3. Consent to the electronic form.
    blocks = [
        _text(
            f"依据 {MOHRSS_54}，以电子形式订立须经双方同意。用人单位以发起并盖章表示同意；"
            "劳动者在签署前确认如下。 / The electronic form needs both sides' agreement: the "
            "employer by sending and sealing, the worker by the recorded consent below."
        )
    ]
    for party in facts["parties"]:
        if party.role in Party.PERSONAL_ROLES:
            blocks.append(
                _kv(
                    ("签署方 / Party", f"{party.get_role_display()} {_party_name(party)}"),
                    ("同意时间 / Consent at", _t(party.consent_at)),
                    ("同意内容 / Consent text", party.consent_text or "—"),
                )
            )
    sections.append({"heading": "电子形式同意 / Consent to the electronic form", "blocks": blocks})

    # 4. Signing intents (意愿认证).
    blocks = [
        _text(
            "每次签署前，签署人对该份文件的确切哈希值完成意愿认证：个人以发送到实名手机的验证码，"
            "企业以经授权人员的动态口令。/ Before each signature the signer confirmed the intent to "
            "sign the exact document (by its hash): a person with a code sent to the verified phone, "
            "the enterprise with an authorised user's TOTP code."
        )
    ]
    for n, ps in enumerate(facts["signatures"], start=1):
        intent = ps.signature.intent
        if intent is None:
            continue
        who = intent.person.name if intent.person is not None else _user_label(intent.user)
        blocks.append(_sub(f"意愿 {n} / Intent {n}: {ps.document.number} — {who}"))
        blocks.append(
            _kv(
                ("类型 / Kind", intent.get_kind_display()),
                ("文件哈希 / Document SHA-256", intent.document_sha256, "mono"),
                ("创建 / Created", _t(intent.created_at)),
                ("确认 / Confirmed", _t(intent.confirmed_at)),
                ("使用 / Used", _t(intent.used_at)),
                ("认证方式 / Method", _auth_words(intent.auth_method)),
                ("IP", intent.ip or "—"),
                ("浏览器 / User agent", (intent.user_agent or "—")[:USER_AGENT_MAX]),
            )
        )
    sections.append({"heading": "意愿认证 / Signing intents", "blocks": blocks})

    # 5. Signatures, read back from the final PDFs.
    blocks = []
    for n, ps in enumerate(facts["signatures"], start=1):
        sig = ps.signature
        cert = sig.certificate
        report = facts["reports"][ps.document_id]
        found = next(
            (
                r
                for r in report.signatures
                if r.kind == "signature" and r.signer_serial == cert.serial
            ),
            None,
        )
        usage = facts["usages"].get(sig.pk)
        rows = [
            ("签署方 / Party", f"{ps.party.get_role_display()} {_party_name(ps.party)}"),
            ("证书主体 / Certificate subject", cert.subject),
            ("证书序列号 / Serial", cert.serial, "mono"),
            ("证书类型 / Certificate kind", cert.get_kind_display()),
            ("级别 / Level", sig.level + (f"（文件中 / in file: {found.level}）" if found else "")),
            ("签署时间（平台）/ Signed at (platform)", _t(sig.signed_at)),
            (
                "可信时间戳 / TSA time (from the PDF)",
                _t(found.timestamp) if found and found.timestamp else "—",
            ),
            ("签署前文件 / Input SHA-256", sig.input_sha256, "mono"),
            ("签署后文件 / Output SHA-256", sig.output_sha256, "mono"),
            (
                "验证结果 / Verification",
                (
                    (
                        "有效 / valid"
                        if found.valid
                        else "无效 / NOT valid: " + "; ".join(found.reasons)
                    )
                    + (" · 认证签名 / certification" if found.certification else "")
                )
                if found
                else "未在最终文件中找到 / not found in the final file",
            ),
            (
                "账本序号 / Ledger index",
                str(sig.ledger_index if sig.ledger_index is not None else "—"),
            ),
        ]
        if usage is not None:
            rows.append(("印章 / Seal", f"{usage.seal.name} · {usage.user_label} · {_t(usage.at)}"))
            if usage.approval is not None and usage.approval.decided_by is not None:
                rows.append(
                    (
                        "用印审批 / Seal approval",
                        f"{_user_label(usage.approval.decided_by)} · {_t(usage.approval.decided_at)}",
                    )
                )
        blocks.append(_sub(f"签名 {n} / Signature {n}: {ps.document.number}"))
        blocks.append(_kv(*rows))
    for doc in facts["documents"]:
        report = facts["reports"][doc.pk]
        found = facts["verdicts"][doc.pk]
        signed, archived = len(found.signatures), len(found.archive)
        archive_zh = f"，另有 {archived} 个存档时间戳（不是签名，见第 1 节）" if archived else ""
        archive_en = (
            f", plus {archived} archive timestamp(s) (not a signature, see section 1)"
            if archived
            else ""
        )
        blocks.append(
            _text(
                f"{doc.number}：最终文件有 {signed} 个签名{archive_zh}，整体验证"
                f"{'通过' if report.valid else '未通过'}。/ The final file holds {signed} "
                f"signature(s){archive_en} and is {'valid' if report.valid else 'NOT valid'} "
                f"as a whole. ({ESL_13})"
            )
        )
    sections.append({"heading": "电子签名 / Signatures", "blocks": blocks})

    # 6. Evidence ledger.
    blocks = [
        _text(
            "每个签名后的文件哈希都写入了福田区人力资源局的证据账本（Merkle 树，签名检查点）。"
            "下列包含证明可离线验证；完整证明包已作为附件嵌入本报告。/ Each signed version's hash is "
            "in the bureau's evidence ledger (a Merkle log with signed checkpoints). The inclusion "
            "proofs below verify offline; the full proof bundles are attached to this PDF."
        )
    ]
    blocks.append(
        _text("账本公钥（Ed25519，签名检查点所用）/ The ledger's public key (checkpoints):")
    )
    blocks.append({"type": "mono", "lines": _wrap(facts["log_key"])})
    for name, vkey in facts["witness_keys"]:
        blocks.append(_text(f"见证人公钥 / Witness key: {name}"))
        blocks.append({"type": "mono", "lines": _wrap(vkey)})
    for item in facts["bundles"]:
        bundle = item["bundle"]
        entry = item["entry"]
        fields = entry.get("fields", entry) if isinstance(entry, dict) else {}
        which = (
            "最终文件 / final file"
            if item["final"]
            else "签署过程中的版本 / a version during signing"
        )
        blocks.append(
            _sub(f"条目 / Entry #{bundle['entry']['index']} — {item['document'].number} — {which}")
        )
        blocks.append(
            _kv(
                ("条目序号 / Index", str(bundle["entry"]["index"])),
                ("叶子哈希 / Leaf hash (RFC 9162)", item["leaf_hash"], "mono"),
                (
                    "记录的文件哈希 / Recorded document SHA-256",
                    str(fields.get("document_sha256", item["signature"].output_sha256)),
                    "mono",
                ),
                ("证明包附件 / Attached bundle", f"ledger-bundle-{bundle['entry']['index']}.json"),
            )
        )
        proof_lines = [f"[{i}] {h}" for i, h in enumerate(bundle["inclusion_proof"])] or ["(empty)"]
        blocks.append(_text("包含证明 / Inclusion proof (base64 hashes):"))
        blocks.append({"type": "mono", "lines": proof_lines})
        blocks.append(_text("签名检查点 / Signed checkpoint:"))
        blocks.append({"type": "mono", "lines": _wrap(bundle["checkpoint"].rstrip("\n"))})
    sections.append({"heading": "证据账本 / Evidence ledger", "blocks": blocks})

    # 7. The texts sent to the worker: links, codes, completion (masked phone, no content).
    sms_rows = [
        [
            timezone.localtime(m.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            m.phone_masked,
            _sms_kind(m.text),
            f"{m.get_status_display()} / {m.status}",
            _breakable(f"{m.gateway} {m.gateway_message_id}".strip()),
        ]
        for m in facts["sms"]
    ]
    sections.append(
        {
            "heading": "短信送达记录 / SMS delivery record",
            "blocks": [
                _text(
                    "短信网关对每条短信的受理结果（手机号已脱敏，不显示短信内容：其中有签署链接和"
                    "验证码）。/ The SMS gateway's answer for each text (phone masked; the content, "
                    "with its signing link and code, is not shown)."
                ),
                {
                    "type": "table",
                    "columns": [
                        "时间 / Time",
                        "手机 / Phone",
                        "类型 / Kind",
                        "结果 / Outcome",
                        "网关及回执 / Gateway receipt",
                    ],
                    "widths": ["auto", "auto", "auto", "auto", "1fr"],
                    "rows": sms_rows or [["—", "—", "—", "—", "—"]],
                },
            ],
        }
    )

    # 8. Audit trail (personal values masked).
    trail = [
        [
            timezone.localtime(a.at).strftime("%Y-%m-%d %H:%M:%S"),
            _action_words(a.action),
            " / ".join(_role_label(a.role)) if a.role else "—",
            _breakable(_mask_changes(a.changes)),
        ]
        for a in facts["audit"]
    ]
    sections.append(
        {
            "heading": "操作记录 / Audit trail",
            "blocks": [
                _text("个人信息已脱敏（***）。/ Personal values are masked (***)."),
                {
                    "type": "table",
                    "columns": ["时间 / Time", "操作 / Action", "角色 / Role", "内容 / Changes"],
                    "widths": ["auto", "28%", "auto", "1fr"],
                    "rows": trail or [["—", "—", "—", "—"]],
                },
            ],
        }
    )

    # 9. How to verify independently.
    numbers = ", ".join(d.number for d in facts["documents"])
    if reachable:
        online = _text(
            f"1. 在线核验：访问 {base}/verify ，上传签署文件或输入文件编号（{numbers}），"
            "查看每个签名及其账本证明；也可上传本报告，核验其局方印章。/ Online: open "
            f"{base}/verify, upload the signed file or enter its number; upload this report "
            "to check the bureau's seal on it."
        )
    else:
        online = _text(
            f"1. 在线核验：【注意】出具本报告时平台未配置公网地址（{base} 是本机或内网地址），"
            "无法提供在线核验网址；请用下面第 2、3 种方法离线核验，或向福田区人力资源局查询文件编号"
            f"（{numbers}）。/ Online: NOTE — when this report was issued the platform had no "
            f"public address ({base} is a loopback or private address), so no online link can be "
            "given; verify offline (2 and 3 below) or ask the Futian Human Resources Bureau about "
            "the document number."
        )
    sections.append(
        {
            "heading": "独立核验方法 / How to verify independently",
            "blocks": [
                online,
                _text(
                    "2. 离线核验签名：accord verify 文件.pdf（或任何支持 PAdES 的 PDF 阅读器，信任平台"
                    "根证书）。核对文件的 SHA-256 与本报告第 2 节一致。/ Offline: `accord verify "
                    "FILE.pdf`, or any PAdES-capable reader trusting the platform root; compare the "
                    "file's SHA-256 with section 2."
                ),
                _text(
                    "3. 离线核验账本：从本 PDF 取出附件 ledger-bundle-<序号>.json，运行 python -m "
                    "accord.ledger.bundle BUNDLE.json --log-key <公钥>（公钥即第 7 节所印，任何实现 "
                    "RFC 9162 与 C2SP signed-note 的工具均可核验），无需网络和数据库。/ Offline "
                    "ledger check: extract the attached bundle and run `python -m "
                    "accord.ledger.bundle BUNDLE.json --log-key VKEY` with the key printed in "
                    "section 7 (any RFC 9162 + C2SP signed-note tool works); no network, no database."
                ),
                _text(
                    "本报告由福田区人力资源局电子印章签署，任何修改都会使签名失效。/ This report is "
                    "sealed by the bureau; any change to it invalidates the seal."
                ),
            ],
        }
    )
    return sections


def _content(envelope: Envelope) -> dict[str, Any]:
    facts = collect(envelope)
    env = facts["envelope"]
    return {
        "title": "电子签署证据报告",
        "subtitle": "Evidence report of an electronic signing",
        "number": env.number,
        "header": "福田区和谐劳动关系服务平台 · 福易签",
        "sections": _sections(facts),
        "attachments": [
            {
                "name": f"ledger-bundle-{item['bundle']['entry']['index']}.json",
                "content": json.dumps(item["bundle"], ensure_ascii=False, indent=2),
                "description": f"Accord ledger proof bundle, entry {item['bundle']['entry']['index']}",
            }
            for item in facts["bundles"]
        ],
    }


SEAL_SIZE = 119  # points: the 42 mm seal of signing.pdf's default appearance
SEAL_LABEL = "福田区人力资源局（电子印章）/ Sealed by the Futian Human Resources Bureau"


def _compile(content: dict[str, Any]) -> tuple[bytes, dict[str, float]]:
    """The report PDF and the place its layout leaves for the bureau's seal (``<seal-place>``)."""
    with _lock:
        compiler = _compiler()
        pdf = compiler.compile(sys_inputs={"data": json.dumps(content, ensure_ascii=False)})
        place = json.loads(compiler.query("<seal-place>", field="value", one=True))
    assert isinstance(pdf, bytes)  # one PDF (the list form is for page images)
    return pdf, place


def seal_box(place: dict[str, float]) -> tuple[tuple[int, int, int, int], int]:
    """The seal's box in PDF points (from the page's lower left) and its page (0-based): at the
    right of the empty block after the closing sentence, whose top-left Typst reported."""
    right = place["width"] - place["right"]
    top = place["height"] - place["y"] - 4
    box = (int(right - SEAL_SIZE), int(top - SEAL_SIZE), int(right), int(top))
    return box, int(place["page"]) - 1


def _zh_content(envelope: Envelope) -> dict[str, Any]:
    # One report whatever the asker's language: Chinese first, English beside it (``both``).
    with translation.override("zh-hans"):
        content = _content(envelope)
    content["seal_label"] = SEAL_LABEL
    return content


def render(envelope: Envelope) -> bytes:
    """The report PDF before the bureau's seal."""
    content = _zh_content(envelope)
    content["footer"] = f"生成时间 / Generated {_t(timezone.now())}"
    return _compile(content)[0]


def evidence_report(envelope: Envelope) -> bytes:
    """The sealed evidence report of a completed envelope (409 ``envelope.not_completed`` else).

    A report is sealed (and so recorded in the ledger) once per distinct content: asking again
    for the same facts returns the stored report instead of sealing a new one. In production a
    report is refused while the platform's public address is loopback or private
    (``envelope.public_url_local``): its verify link would lead nowhere; elsewhere the report
    says so in place of the link."""
    if envelope.status != Envelope.Status.COMPLETED:
        raise NOT_COMPLETED()
    if settings.PRODUCTION and not public_base_url()[1]:
        raise PUBLIC_URL_LOCAL()
    content = _zh_content(envelope)
    # The facts, without the ledger proofs: those lead to the newest checkpoint, which moves with
    # every entry (this report's own seal included), and an older one proves the same entries.
    facts = {
        **{k: v for k, v in content.items() if k != "attachments"},
        "sections": [
            {**sec, "blocks": [b for b in sec["blocks"] if b["type"] != "mono"]}
            for sec in content["sections"]
        ],
    }
    key = hashlib.sha256(json.dumps(facts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    name = f"evidence/{envelope.public_id}/{key}.pdf"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as f:
            return f.read()
    content["footer"] = f"生成时间 / Generated {_t(timezone.now())}"
    pdf, place = _compile(content)
    box, page = seal_box(place)
    sealed = seal_with_bureau(
        pdf,
        document_kind="evidence_report",
        reason="福田区人力资源局 出证 / evidence report sealed by the bureau",
        box=box,
        page=page,
    ).pdf
    default_storage.save(name, ContentFile(sealed))
    return sealed
