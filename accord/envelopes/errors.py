"""The error codes of the 福易签 flow, declared once (code, zh, en, status) and raised by name.

The code strings are the ones clients already rely on (``envelope.not_a_party`` …); a message with
``{placeholders}`` is filled by keyword arguments where it is raised.
"""

from __future__ import annotations

from accord.core.errors import catalogue
from accord.identity.errors import EMPLOYMENT_NOT_FOUND, PERSON_NOT_FOUND, USER_NOT_FOUND

E = catalogue("envelopes")

MOHRSS_54 = "人社厅发〔2021〕54号《电子劳动合同订立指引》"

# ---- who may act ---------------------------------------------------------------------------
NOT_A_PARTY = E.forbidden(
    "envelope.not_a_party",
    "您不是该文件的签署方。",
    "You are not a signing party of this document.",
)
NOT_IN_SIGNING_GROUP = E.forbidden(
    "envelope.not_in_signing_group",
    "您不在本文件的盖章经办人之列。",
    "You are not one of the users who may seal this document.",
)
LINK_UNKNOWN = E.not_found("envelope.link_unknown")

# ---- drafting ------------------------------------------------------------------------------
KIND_UNKNOWN = E.invalid(
    "envelope.kind_unknown", "文件类型无效。", "Unknown document kind.", "kind"
)
WORKER_REQUIRED = E.invalid(
    "envelope.worker_required",
    "请指定劳动者（employment 或 person）。",
    "Name the worker (employment or person).",
    "person",
)
ENTERPRISE_PARTY_REQUIRED = E.invalid(
    "envelope.enterprise_party_required",
    "须有且仅有一个用人单位盖章方。",
    "Exactly one enterprise (seal) party is required.",
    "parties",
)
WORKER_PARTY_REQUIRED = E.invalid(
    "envelope.worker_party_required",
    "须有且仅有一个劳动者签署方，且为文件所涉劳动者本人。",
    "Exactly one worker party is required: the worker the document concerns.",
    "parties",
)
PARTY_ROLE_UNKNOWN = E.invalid(
    "envelope.party_role_unknown", "签署方角色无效。", "Unknown party role."
)
PARTY_PERSON_REQUIRED = E.invalid(
    "envelope.party_person_required", "个人签署方须指定人员。", "A personal party needs a person."
)
PARTY_PERSON_TWICE = E.invalid(
    "envelope.party_person_twice",
    "同一人不能作为两个签署方。",
    "The same person cannot sign as two parties.",
)
PARTY_PHONE_MISSING = E.invalid(
    "envelope.party_phone_missing",
    "签署人未登记手机号，无法接收签署通知和验证码。",
    "The signer has no phone number for the signing link and code.",
)
PARTY_ORDER_INVALID = E.invalid(
    "envelope.party_order_invalid", "签署顺序应为 1–20。", "Signing order is 1 to 20."
)
SIGNER_NOT_HR = E.invalid(
    "envelope.signer_not_hr",
    "盖章经办人须为本企业人事人员。",
    "Sealing users must be HR staff of this enterprise.",
)
DOCUMENTS_COUNT = E.invalid(
    "envelope.documents_count",
    "一个信封含 1–{most} 份文件。",
    "An envelope holds 1 to {most} documents.",
    "documents",
)
DOCUMENT_TOO_LARGE = E.invalid(
    "envelope.document_too_large", "文件超过 20 MB。", "The document is larger than 20 MB."
)
DEADLINE_PAST = E.invalid(
    "envelope.deadline_past",
    "签署截止时间须晚于现在。",
    "The signing deadline must be in the future.",
    "deadline",
)
UNLAWFUL_DRAFT = E.invalid(
    "contract.unlawful_draft",
    "合同草稿不符合劳动法律规定：{first_zh}",
    "The draft breaks labour law: {first_en}",
)
BATCH_TEMPLATE_NOT_LABOUR_CONTRACT = E.invalid(
    "batch.template_not_labour_contract",
    "批量发起只能使用劳动合同模板。",
    "A batch sends labour contracts: choose a labour contract template.",
    "template_version",
)
# A batch row for a worker who already has a labour contract from that start (LCL Art. 10).
BATCH_CONTRACT_EXISTS = E.conflict(
    "batch.contract_exists",
    "该劳动者已有自 {day} 起的劳动合同（签署中或已签署），本行不再发送。",
    "This worker already has a labour contract from {day} (being signed or signed); "
    "this row is not sent again.",
    "id_number",
)
CONTRACT_EXISTS = E.conflict(
    "envelope.contract_exists",
    "该劳动者已有自 {day} 起的劳动合同（签署中或已签署），不能再订立第二份。",
    "This worker already has a labour contract from {day} (being signed or signed); "
    "a second one is not drafted.",
    "start_date",
)
LIFECYCLE_EMPLOYMENT_REQUIRED = E.invalid(
    "lifecycle.employment_required",
    "请先选择该劳动者在本单位的劳动关系。",
    "Choose the worker's employment at this enterprise first.",
    "employment",
)
LIFECYCLE_STEP_NOT_ALLOWED = E.conflict(
    "lifecycle.step_not_allowed", "{reason_zh}", "{reason_en}", "kind"
)

# ---- the state machine (policy.py says which applies) ---------------------------------------
NOT_DRAFT = E.conflict(
    "envelope.not_draft", "只有草稿可以发送。", "Only a draft can be sent.", "status"
)
NOT_OPEN = E.conflict(
    "envelope.not_open",
    "该文件当前状态为“{status_zh}”，不能{action_zh}。",
    "This document is {status}; it cannot be {action_en}.",
    "status",
)
ALREADY_COMPLETED = E.conflict(
    "envelope.already_completed",
    "该文件已签署完成，不能再次签署。",
    "This document is already signed by everyone; it cannot be signed again.",
)
NOT_YOUR_TURN = E.conflict(
    "envelope.not_your_turn",
    "尚未轮到您签署：须待前序签署方完成。",
    "It is not your turn yet: earlier signers must finish first.",
)
PARTY_ALREADY_SIGNED = E.conflict(
    "envelope.party_already_signed", "您已签署过该文件。", "You have already signed this document."
)
WITHDRAW_AFTER_SIGNATURE = E.conflict(
    "envelope.withdraw_after_signature",
    "已有签署方签署，不能撤回，只能作废并说明理由。",
    "Someone has already signed; void the envelope with a reason instead.",
    "status",
)
VOID_BEFORE_SIGNATURE = E.conflict(
    "envelope.void_before_signature",
    "尚无签署方签署，请直接撤回。",
    "Nobody has signed yet; withdraw the envelope instead.",
    "status",
)
COMPLETED_NOT_VOIDABLE = E.conflict(
    "envelope.completed_not_voidable",
    "已完成签署的文件具有法律效力，不能单方作废；请通过变更协议或解除（终止）通知处理。",
    "A completed document is binding and cannot be voided by one side; "
    "use a change agreement or a termination notice.",
    "status",
)
REASON_REQUIRED = E.invalid(
    "envelope.reason_required", "请填写{what_zh}原因。", "Give a reason for {what_en}.", "reason"
)

# ---- a person signs --------------------------------------------------------------------------
PAGES_UNREAD = E.invalid(
    "envelope.pages_unread",
    "请先阅读全部 {total} 页（已阅读 {read} 页）。",
    "Read all {total} pages first ({read} read).",
    "read_all",
)
CONSENT_UNCHECKED = E.invalid(
    "envelope.consent_unchecked",
    "请勾选同意以电子形式订立。",
    "Tick the box to agree to the electronic form.",
    "agree",
)
PUBLIC_URL_LOCAL = E.conflict(
    "envelope.public_url_local",
    "平台的公网地址（ACCORD_PUBLIC_URL）指向本机或内网，出证报告中的核验网址无法从外部打开："
    "请管理员先配置公网地址，再出具报告。",
    "The platform's public address (ACCORD_PUBLIC_URL) points to this machine or a private "
    "network, so the verify link in an evidence report could not be opened by anyone else: "
    "an administrator must set the public address before a report is issued.",
)
IDENTITY_BEFORE_CONSENT = E.conflict(
    "envelope.identity_before_consent",
    f"同意以电子形式订立之前，须先完成实名认证（人口库核验或现场核验）。依据：{MOHRSS_54}。",
    "Your real name must be verified (registry or in-person check) before you agree to the "
    "electronic form (MOHRSS 2021 No. 54).",
    "person",
)
CONSENT_REQUIRED = E.conflict(
    "envelope.consent_required",
    f"请先确认同意以电子形式订立。依据：{MOHRSS_54}。",
    "First agree to conclude the document in electronic form (MOHRSS 2021 No. 54).",
    "consent",
)
SIGNATURE_IMAGE_REQUIRED = E.invalid(
    "envelope.signature_image_required",
    "请先手写签名，或输入您的姓名。",
    "Draw your signature first, or type your name.",
    "signature_image",
)
SIGNATURE_IMAGE_INVALID = E.invalid(
    "envelope.signature_image_invalid",
    "手写签名图片无效（须为 PNG，且不超过 300 KB）。",
    "The handwritten signature must be a PNG of at most 300 KB.",
    "signature_image",
)
TYPED_NAME_MISMATCH = E.invalid(
    "envelope.typed_name_mismatch",
    "输入的姓名须与您的实名信息一致。",
    "The typed name must be your registered name.",
    "typed_name",
)
TYPED_NAME_INVALID = E.invalid(
    "envelope.typed_name_invalid",
    "请输入您的姓名（1–40 个字）。",
    "Type your name (1 to 40 characters).",
    "typed_name",
)
CODE_FORMAT = E.invalid(
    "envelope.code_format",
    "请输入短信中的 6 位数字验证码。",
    "Enter the 6-digit code from the text message.",
    "code",
)
CODE_NOT_REQUESTED = E.conflict(
    "envelope.code_not_requested",
    "请先获取本文件的签署验证码。",
    "Ask for this document's signing code first.",
    "code",
)
SIGNER_VERIFICATION_FAILED = E.invalid(
    "identity.verification_failed",
    "实名认证未通过：您的姓名和证件号码未能与人口库核验一致。"
    "请联系用人单位人事核对登记信息，或到街道服务窗口现场核验。",
    "Real-name verification failed: your name and identity number could not be "
    "matched in the resident registry. Ask your employer's HR to check your details, "
    "or have them checked in person at a street service window.",
    "identity",
)
PAGE_UNAVAILABLE = E.not_found("envelope.page_unavailable")

# ---- records -------------------------------------------------------------------------------
NOT_COMPLETED = E.conflict(
    "envelope.not_completed",
    "只有签署完成的文件才能出具证据报告。",
    "An evidence report is issued only for a completed (fully signed) document.",
    "status",
)
ARCHIVE_NOT_READY = E.conflict(
    "envelope.archive_not_ready",
    "归档文件尚未生成完毕，请稍后再下载。",
    "The archive is not ready yet; download it when the export is done.",
)

# ---- another enterprise's objects look like nothing at all (404, never a 403) -----------------
__all__ = ["EMPLOYMENT_NOT_FOUND", "PERSON_NOT_FOUND", "USER_NOT_FOUND"]  # and the codes below


# ---- retention (LCL Art. 50) and deletion --------------------------------------------------
RETENTION_PERIOD = E.conflict(
    "envelope.retention_period",
    "已签署的文件须保存至{until_zh}，期满前不得删除。依据：{article}。",
    "Signed documents are kept until {until_en} and cannot be deleted before ({article}).",
    "retain_until",
)
IN_PROGRESS = E.conflict(
    "envelope.in_progress",
    "签署中的文件不能删除，请先撤回或作废。",
    "A document being signed cannot be deleted; withdraw or void it first.",
    "status",
)

# ---- batches ---------------------------------------------------------------------------------
BATCH_FILE_MISSING = E.not_found("batch.file_missing")
BATCH_FILE_CORRUPT = E.conflict(
    "batch.file_corrupt", "存储的表格已损坏。", "The stored file is damaged."
)
BATCH_DEADLINE_DAYS_INVALID = E.invalid(
    "batch.deadline_days_invalid",
    "签署期限应为 1–{most} 天。",
    "The signing period is 1 to {most} days.",
    "deadline_days",
)
BATCH_SEALING_IN_PROGRESS = E.conflict(
    "batch.sealing_in_progress",
    "本批次正在批量盖章，请等待完成。",
    "This batch is being sealed already; wait until it finishes.",
    "otp",
)
BATCH_HAS_BAD_ROWS = E.invalid(
    "batch.has_bad_rows",
    "有 {count} 行存在问题，未发送任何合同；请修改后重新上传，或选择跳过错误行。",
    "{count} rows have problems; nothing was sent. Fix the file and upload it again, or choose "
    "to skip bad rows.",
    "file",
)
BATCH_SENDING = E.conflict(
    "batch.sending",
    "本批次正在发送，发送完成前无需再次开始。",
    "This batch is being sent; there is nothing to start until it finishes.",
)
BATCH_DONE = E.conflict("batch.done", "本批次已发送完成。", "This batch has been sent already.")
BATCH_NO_GOOD_ROWS = E.conflict(
    "batch.no_good_rows", "没有可发送的行。", "There is no row to send.", "file"
)
BATCH_TERM_TYPE_MISMATCH = E.invalid(
    "batch.term_type_mismatch",
    "合同期限类型与所选模板（{kind_zh}）不一致。",
    "The term type does not match the chosen template ({kind_en}).",
    "term_type",
)
