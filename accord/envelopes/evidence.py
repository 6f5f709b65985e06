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
import json
import threading
from functools import cache
from pathlib import Path
from typing import Any

import typst
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from accord.core.models import AuditEntry
from accord.envelopes.errors import NOT_COMPLETED
from accord.envelopes.models import Envelope, Party, PartySignature
from accord.identity.models import IdentityVerification
from accord.ledger import merkle
from accord.ledger import services as ledger
from accord.seals.models import SealUsage
from accord.signing import providers
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
    person = getattr(user, "person", None)
    name = person.name if person is not None else user.get_username()
    return f"{name}（{user.get_username()}）"


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
    }


def _sections(facts: dict[str, Any]) -> list[dict[str, Any]]:
    envelope: Envelope = facts["envelope"]
    base = getattr(settings, "ACCORD_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    sections: list[dict[str, Any]] = []

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
            rows.append(("盖章经办人 / Sealed by", _user_label(party.signed_by)))
            rows.append(
                (
                    "第二因素 / Second factor",
                    "登录会话 + 动态口令（TOTP），每次盖章重新输入 / session + a fresh TOTP code",
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
                ("认证方式 / Method", intent.auth_method),
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
        blocks.append(
            _text(
                f"{doc.number}：最终文件共 {len(report.signatures)} 个签名，整体验证"
                f"{'通过' if report.valid else '未通过'}。/ The final file holds "
                f"{len(report.signatures)} signature(s) and is "
                f"{'valid' if report.valid else 'NOT valid'} as a whole. ({ESL_13})"
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
    for item in facts["bundles"]:
        bundle = item["bundle"]
        entry = item["entry"]
        fields = entry.get("fields", entry) if isinstance(entry, dict) else {}
        blocks.append(_sub(f"条目 / Entry #{bundle['entry']['index']} — {item['document'].number}"))
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

    # 7. Audit trail (personal values masked).
    trail = [
        [
            timezone.localtime(a.at).strftime("%Y-%m-%d %H:%M:%S"),
            a.action,
            a.role or "—",
            _mask_changes(a.changes),
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
                    "rows": trail or [["—", "—", "—", "—"]],
                },
            ],
        }
    )

    # 8. How to verify independently.
    numbers = ", ".join(d.number for d in facts["documents"])
    sections.append(
        {
            "heading": "独立核验方法 / How to verify independently",
            "blocks": [
                _text(
                    f"1. 在线核验：访问 {base}/verify ，上传签署文件或输入文件编号（{numbers}），"
                    "查看每个签名及其账本证明；也可上传本报告，核验其局方印章。/ Online: open "
                    f"{base}/verify, upload the signed file or enter its number; upload this report "
                    "to check the bureau's seal on it."
                ),
                _text(
                    "2. 离线核验签名：accord verify 文件.pdf（或任何支持 PAdES 的 PDF 阅读器，信任平台"
                    "根证书）。核对文件的 SHA-256 与本报告第 1 节一致。/ Offline: `accord verify "
                    "FILE.pdf`, or any PAdES-capable reader trusting the platform root; compare the "
                    "file's SHA-256 with section 1."
                ),
                _text(
                    "3. 离线核验账本：从本 PDF 取出附件 ledger-bundle-<序号>.json，运行 python -m "
                    f"accord.ledger.bundle BUNDLE.json --log-key <公钥>（公钥见 {base}/ledger/keys 与 "
                    "docs/ledger.md），无需网络和数据库。/ Offline ledger check: extract the attached "
                    "bundle and run `python -m accord.ledger.bundle BUNDLE.json --log-key VKEY` "
                    "(keys at /ledger/keys); no network, no database."
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


def _compile(content: dict[str, Any]) -> bytes:
    with _lock:
        pdf = _compiler().compile(sys_inputs={"data": json.dumps(content, ensure_ascii=False)})
    assert isinstance(pdf, bytes)  # one PDF (the list form is for page images)
    return pdf


def render(envelope: Envelope) -> bytes:
    """The report PDF before the bureau's seal."""
    content = _content(envelope)
    content["footer"] = f"生成时间 / Generated {_t(timezone.now())}"
    return _compile(content)


def evidence_report(envelope: Envelope) -> bytes:
    """The sealed evidence report of a completed envelope (409 ``envelope.not_completed`` else).

    A report is sealed (and so recorded in the ledger) once per distinct content: asking again
    for the same facts returns the stored report instead of sealing a new one."""
    if envelope.status != Envelope.Status.COMPLETED:
        raise NOT_COMPLETED()
    content = _content(envelope)
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
    sealed = seal_with_bureau(
        _compile(content),
        document_kind="evidence_report",
        reason="福田区人力资源局 出证 / evidence report sealed by the bureau",
    ).pdf
    default_storage.save(name, ContentFile(sealed))
    return sealed
