"""The error codes of seals: seals, their powers and grants, the seal policy and approvals.

Declared once (code, Chinese, English, kind → HTTP status) and raised by name; see the
catalogue in ``accord.core.errors``. The codes are a public contract: never rename one.
"""

from __future__ import annotations

from accord.core.errors import catalogue
from accord.signing.errors import ART_13

E = catalogue("seals")

# ---- who may hold and use a seal (Electronic Signature Law Art. 13) ------------------------
NOT_HR_MEMBER = E.forbidden(
    "seal.not_hr_member",
    "只有本企业的人事人员可以管理本企业的印章。",
    "Only HR members of the enterprise may manage its seals.",
)
NOT_MANAGER = E.forbidden(
    "seal.not_manager",
    "您不是印章管理人，无权执行此操作。",
    "You are not a manager of the seal; you may not do this.",
)
NOT_AUTHORISED = E.forbidden(
    "seal.not_authorised",
    f"您未被授予“{{seal}}”的使用权。依据：{ART_13}（印章须在企业控制之下使用）。",
    "You do not hold the use power on the seal “{seal}” (Art. 13: a seal is used only under "
    "the enterprise's control).",
    "seal",
)
POWER_COMBINATION_FORBIDDEN = E.conflict(
    "seal.power_combination_forbidden",
    "授权被拒绝：{who}将同时持有{powers_zh}权限，超出本企业用印制度允许的范围（{policy_zh}）",
    "Refused: {who} would hold {powers_en} together, more than the enterprise's seal policy "
    "allows ({policy_en})",
    "power",
)
NONE_CONFIGURED = E.conflict(
    "seal.none_configured",
    "本企业尚未启用{wanted_zh}，无法盖章。请企业人事在“电子印章”页面（{page}）创建印章并授权。",
    "The enterprise has no active {wanted_en} to seal with. HR can create one and grant its "
    "powers on the seals page ({page}).",
    "seal",
)
NOT_FOUND = E.not_found("seal.not_found", "seal")

# ---- seals ----------------------------------------------------------------------------------
INVALID_KIND = E.invalid(
    "seal.invalid_kind", "未知的印章类型：{kind}。", "Unknown seal kind: {kind}.", "kind"
)
NAME_TOO_LONG = E.invalid(
    "seal.name_too_long",
    "印章名称不能超过 20 个字。",
    "A seal name has at most 20 characters.",
    "name",
)
NAME_TAKEN = E.conflict(
    "seal.name_taken",
    "本企业已有名为“{name}”的印章。",
    "The enterprise already has a seal named “{name}”.",
    "name",
)
INVALID_STATUS_CHANGE = E.invalid(
    "seal.invalid_status_change",
    "印章状态不能从“{before}”改为“{after}”。",
    "A seal cannot go from {before_code} to {after}.",
    "status",
)
RETIRED = E.conflict(
    "seal.retired",
    "“{seal}”已停用（注销），不能再授权或使用。",
    "The seal “{seal}” is retired; it can no longer be granted or used.",
    "seal",
)
NOT_ACTIVE = E.conflict(
    "seal.not_active",
    "“{seal}”当前状态为“{status_zh}”，不能用印。",
    "The seal “{seal}” is {status}; it cannot be used.",
    "seal",
)
FILE_TOO_LARGE = E.invalid(
    "seal.file_too_large", "文件不能超过 50 MB。", "The file must be at most 50 MB."
)

# ---- powers and grants ------------------------------------------------------------------
INVALID_POWER = E.invalid(
    "seal.invalid_power", "未知的权限：{power}。", "Unknown power: {power}.", "power"
)
GRANTEE_NOT_HR = E.invalid(
    "seal.grantee_not_hr",
    "只能授权给本企业的人事人员。",
    "Powers can be granted only to HR members of the same enterprise.",
)
GRANT_EXISTS = E.conflict(
    "seal.grant_exists",
    "{who_zh}已持有该印章的{power_zh}权。",
    "{who_en} already holds the {power} power on this seal.",
    "power",
)
GRANT_REVOKED = E.conflict(
    "seal.grant_revoked", "该授权已被撤销。", "This grant is already revoked."
)
LAST_MANAGER = E.conflict(
    "seal.last_manager",
    "不能撤销印章的最后一位管理人：请先授权另一位管理人。",
    "The last manager of a seal cannot be revoked: grant the power to another first.",
)

# ---- the seal policy and approvals ------------------------------------------------------
INVALID_DOCUMENT_KIND = E.invalid(
    "seal.invalid_document_kind",
    "未知的文件类型：{kind}。",
    "Unknown document kind: {kind}.",
    "document_kind",
)
POLICY_CONFLICTS_WITH_GRANTS = E.conflict(
    "seal.policy_conflicts_with_grants",
    "新制度比现有授权更严：仍有人员同时持有新制度不允许兼任的权限，请先撤销相应授权。",
    "The new policy is stricter than the current grants: someone still holds powers it forbids "
    "together. Revoke those grants first.",
)
INVALID_SHA256 = E.invalid(
    "seal.invalid_sha256",
    "文件指纹应为 64 位十六进制 SHA-256。",
    "The document fingerprint must be a 64-digit hexadecimal SHA-256.",
)
TITLE_REQUIRED = E.invalid(
    "seal.title_required", "请填写文件名称。", "Give the document's title.", "title"
)
APPROVAL_NOT_REQUIRED = E.invalid(
    "seal.approval_not_required",
    "按本企业用印制度，此类文件无需审批即可盖章。",
    "Under the enterprise's seal policy this kind of document needs no approval.",
)
APPROVAL_EXISTS = E.conflict(
    "seal.approval_exists",
    "该文件已有待审批或已批准的用印申请。",
    "This document already has a pending or approved request.",
)
SELF_APPROVAL_FORBIDDEN = E.forbidden(
    "seal.self_approval_forbidden",
    "不能审批自己提出的用印申请，须由另一位印章管理人审批。",
    "You cannot approve your own request; another manager of the seal must decide.",
)
APPROVAL_NOT_PENDING = E.conflict(
    "seal.approval_not_pending", "该用印申请已处理。", "This request has already been decided."
)
REASON_REQUIRED = E.invalid(
    "seal.reason_required", "驳回时请说明理由。", "Give a reason for the rejection."
)
# The approval is of this exact document (its SHA-256), as the seal policy requires.
APPROVAL_REQUIRED = E.forbidden(
    "seal.approval_required",
    "按本企业用印制度，此类文件须经印章管理人批准后才能盖章（批准只对所审文件本身有效）：{state_zh}",
    "Under the enterprise's seal policy this kind of document needs a manager's approval of "
    "this exact document first: {state_en}",
    "document",
)
APPROVAL_EXPIRED = E.forbidden(
    "seal.approval_expired",
    "该文件的用印批准已超过 {days} 天有效期，请重新申请。",
    "The approval to seal this document is older than {days} days; ask for a new one.",
    "document",
)

# ---- who may seal at all: a person with a second factor, never an API token (Art. 13) ------
SEAL_NEEDS_PERSON = E.invalid(
    "envelope.seal_needs_person",
    "盖章须由授权人事人员本人使用动态口令完成，API 令牌不能盖章。",
    "Sealing needs an authorised HR person with their second factor; a token cannot seal.",
)
SEAL_NOT_FOUND = NOT_FOUND
