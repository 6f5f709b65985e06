"""The error codes of signing: PDFs, certificates, signing codes, providers and their callbacks.

Declared once (code, Chinese, English, kind → HTTP status) and raised by name; see the
catalogue in ``accord.core.errors``. The codes are a public contract: never rename one.
"""

from __future__ import annotations

from accord.core.errors import AccordError, NotFound, catalogue

ART_13 = "《电子签名法》第十三条 / Electronic Signature Law Art. 13"
MOHRSS_54 = "人社厅发〔2021〕54号《电子劳动合同订立指引》"


class ProviderNotConfigured(AccordError):
    """A known provider without its settings: it cannot be used (callers fail over)."""

    status = 409


class ProviderUnavailable(AccordError):
    """A provider that does not answer: the next one in the order is tried."""

    status = 503


class WebhookRejected(AccordError):
    """A provider's callback that is not authentic (bad signature, or replayed)."""

    status = 401


CallbackRejected = WebhookRejected  # the vendor adapters' name for the same refusal


class TokenUnavailable(AccordError):
    """The PKCS#11 key token cannot be reached."""

    status = 503


E = catalogue("signing")

# ---- the PDF handed in ------------------------------------------------------------------
PDF_EMPTY = E.invalid("signing.pdf_empty", "文件为空。", "The file is empty.", "file")
PDF_TOO_LARGE = E.invalid(
    "signing.pdf_too_large",
    "文件超过 {limit} MB 的上限。",
    "The file exceeds the {limit} MB limit.",
    "file",
)
PDF_TOO_MANY_PAGES = E.invalid(
    "signing.pdf_too_many_pages",
    "文件超过 {most} 页的上限。",
    "The file has more than {most} pages.",
    "file",
)
PDF_TOO_MANY_SIGNATURES = E.invalid(
    "signing.pdf_too_many_signatures",
    "文件中的签名超过 {most} 个，无法验证。",
    "The file holds more than {most} signatures and cannot be verified.",
    "file",
)
PDF_MALFORMED = E.invalid(
    "signing.pdf_malformed",
    "这不是可以读取的 PDF 文件（格式不对或已损坏）。",
    "This is not a readable PDF file (not a PDF, or damaged).",
    "file",
)
PDF_ENCRYPTED = E.invalid(
    "signing.pdf_encrypted",
    "文件已加密，请先移除密码保护再签署。",
    "The file is encrypted; remove its password protection first.",
    "file",
)
PDF_HAS_SCRIPTS = E.invalid(
    "signing.pdf_has_scripts",
    "文件含有脚本或自动执行的动作，不能签署。",
    "The file contains scripts or automatic actions and cannot be signed.",
    "file",
)
FILE_MISSING = E.declare(
    "signing.file_missing", "请选择要验证的 PDF 文件。", "Choose a PDF file to verify.", AccordError
)
SIGNATURE_IMAGE_INVALID = E.invalid(
    "signing.signature_image_invalid",
    "手写签名图片无法使用：须为可读取的 PNG 图片，且不超过 512 KB。",
    "The handwritten signature cannot be used: it must be a readable PNG of at most 512 KB.",
)
LEVEL_INVALID = E.invalid(
    "signing.level_invalid",
    "签名级别无效，可选 B-B、B-T、B-LT、B-LTA。",
    "Unknown signature level; use B-B, B-T, B-LT or B-LTA.",
)
CERTIFICATE_REVOKED = E.invalid(
    "signing.certificate_revoked",
    "签名证书已吊销，不能签署。",
    "The signing certificate is revoked; nothing was signed.",
)
CERTIFY_NOT_FIRST = E.invalid(
    "signing.certify_not_first",
    "认证签名必须是文件上的第一个签名。",
    "A certification signature must be the document's first signature.",
)
RESERVE_NEEDS_CERTIFY = E.invalid(
    "signing.reserve_needs_certify",
    "只有认证签名需要预留签名域。",
    "Only a certification signature reserves fields for later signers.",
)

# ---- certificates and keys --------------------------------------------------------------
KEY_DESTROYED = E.conflict(
    "signing.key_destroyed",
    "该证书的私钥已销毁，不能再次使用。",
    "This certificate's private key has been destroyed and cannot be used again.",
)
ROOT_NOT_REVOCABLE = E.invalid(
    "signing.root_not_revocable",
    "根证书不能吊销，只能更换信任锚。",
    "The root cannot be revoked; replace the trust anchor instead.",
)
REVOCATION_REASON_INVALID = E.invalid(
    "signing.revocation_reason_invalid", "吊销原因无效。", "Unknown revocation reason."
)
NOT_A_CA = E.invalid("signing.not_a_ca", "该证书不是 CA 证书。", "Not a CA certificate.")
ISSUER_UNUSABLE = E.conflict(
    "signing.issuer_unusable",
    "签发 CA 已吊销或即将过期。",
    "The issuing CA is revoked or about to expire.",
)
ENTERPRISE_CLOSED = E.invalid(
    "signing.enterprise_closed",
    "企业已注销，不能签发印章证书。",
    "The enterprise is closed; no seal certificate can be issued.",
)
PKCS11_INCOMPLETE = E.conflict(
    "signing.pkcs11_incomplete",
    "PKCS#11 配置不完整：需同时设置 ACCORD_PKCS11_MODULE、ACCORD_PKCS11_TOKEN 和 ACCORD_PKCS11_PIN。",
    "Incomplete PKCS#11 settings: set ACCORD_PKCS11_MODULE, ACCORD_PKCS11_TOKEN and "
    "ACCORD_PKCS11_PIN together.",
)
PKCS11_KEY_MISSING = E.conflict(
    "signing.pkcs11_key_missing",
    "密钥设备中找不到标签为 {label} 的唯一私钥。",
    "The token holds no (single) private key labelled {label}.",
)
PKCS11_UNAVAILABLE = E.declare(
    "signing.pkcs11_unavailable",
    "密钥设备（PKCS#11）不可用。",
    "The key token (PKCS#11) is unavailable: {detail}",
    TokenUnavailable,
)

# ---- signing a person's intent (SMS code bound to the document) -------------------------
IDENTITY_NOT_VERIFIED = E.forbidden(
    "signing.identity_not_verified",
    f"签署前须完成实名认证（人口库核验或现场核验）。依据：{MOHRSS_54}。",
    "Verify your identity (registry or in-person check) before signing "
    "(MOHRSS guideline 2021 No. 54).",
    "person",
)
PHONE_MISSING = E.invalid(
    "signing.phone_missing",
    "未登记手机号，无法发送签署验证码。",
    "No phone number on record to send the signing code to.",
)
INTENT_USED = E.conflict(
    "signing.intent_used",
    "该签署请求已完成或已失效，请重新发起签署。",
    "This signing request is finished or void; start again.",
)
CODE_EXPIRED = E.invalid(
    "signing.code_expired", "验证码已过期，请重新获取。", "The code has expired; ask for a new one."
)
DOCUMENT_MISMATCH = E.invalid(
    "signing.document_mismatch",
    f"验证码只对确认时的文件有效，此文件已不同。依据：{ART_13}。",
    "The code was issued for a different document; this one differs (Art. 13).",
    "file",
)
CODE_LOCKED = E.invalid(
    "signing.code_locked",
    "验证码错误次数过多，请重新获取。",
    "Too many wrong codes; ask for a new one.",
)
CODE_INVALID = E.invalid("signing.code_invalid", "验证码错误。", "Wrong code.")
CODE_MISSING = E.invalid("signing.code_missing", "请输入验证码。", "Enter the signing code.")
CODE_RATE_LIMITED = E.rate_limited("signing.code_rate_limited")
SEAL_NOT_AUTHORISED = E.forbidden(
    "signing.seal_not_authorised",
    "您无权使用该企业的电子印章。",
    "You are not authorised to use this enterprise's seal.",
)

# ---- signed documents and their lookup --------------------------------------------------
DOCUMENT_NOT_FOUND = E.not_found("signing.document_not_found")
DOCUMENT_CORRUPT = E.conflict(
    "signing.document_corrupt", "存储的文件已损坏。", "The stored document is damaged."
)
NOT_SIGNED_YET = E.conflict(
    "signing.not_signed_yet", "文件尚未签署完成。", "The document has not been signed yet."
)
REQUEST_NOT_FOUND = E.not_found("signing.request_not_found")
DOCUMENT_NUMBER_INVALID = E.invalid(
    "signing.document_number_invalid",
    "文件编号格式不正确（例如 FY20261125-7K3Q9D2M）。",
    "That is not a document number (for example FY20261125-7K3Q9D2M).",
)
DOCUMENT_NUMBER_UNKNOWN = E.not_found("signing.document_number_unknown")
VERIFY_RATE_LIMITED = E.rate_limited("signing.verify_rate_limited")
PROTOCOL_RATE_LIMITED = E.rate_limited("signing.protocol_rate_limited")  # /tsa, /ocsp

# ---- remote providers and vendors -------------------------------------------------------
# An unknown provider is a 404 wherever it is named (a webhook URL, a setting, a choice).
PROVIDER_UNKNOWN = E.declare(
    "signing.provider_unknown",
    "该签署服务提供方不存在或未配置。",
    "No such signing provider is configured.",
    NotFound,
    "provider",
)
PROVIDER_NOT_CONFIGURED = E.declare(
    "signing.provider_not_configured",
    "签署服务提供方 {name} 尚未配置（缺少 {missing}），不能使用。",
    "The signing provider {name} is not configured (missing {missing}).",
    ProviderNotConfigured,
    "provider",
)
PROVIDER_UNAVAILABLE = E.declare(
    "signing.provider_unavailable",
    "签署服务提供方 {name} 暂时不可用。",
    "The signing provider {name} is unavailable ({detail}).",
    ProviderUnavailable,
)
PROVIDER_ORDER_INVALID = E.invalid(
    "signing.provider_order_invalid",
    "签署服务提供方须从 {known} 中选择，不可重复。",
    "Choose signing providers from {known}, each once.",
    "providers",
)
PROVIDER_REFUSED = E.conflict(
    "signing.provider_refused",
    "签署服务提供方拒绝了请求（{reason}）。",
    "The signing provider refused the request ({reason}).",
)
PROVIDER_BAD_ANSWER = E.conflict(
    "signing.provider_bad_answer",
    "签署服务提供方的应答无法解析。",
    "The signing provider answered something we cannot read.",
)
SIGNER_PHONE_MISSING = E.invalid(
    "signing.signer_phone_missing",
    "{label}需要签署人的手机号码来通知其签署，该人员没有登记手机号码。",
    "{name} needs the signer's mobile number to reach them; none is on record.",
    "person",
)
RESULT_MISMATCH = E.conflict(
    "signing.result_mismatch",
    "签署结果与回调所述不符。",
    "The signed document does not match the provider's event.",
)
WEBHOOK_MALFORMED = E.invalid(
    "signing.webhook_malformed", "回调内容无效。", "Malformed provider event.", "body"
)
WEBHOOK_BAD_SIGNATURE = E.declare(
    "signing.webhook_bad_signature",
    "回调签名无效。",
    "The callback signature is invalid.",
    WebhookRejected,
)
WEBHOOK_STALE = E.declare(
    "signing.webhook_stale",
    "回调已过期（可能是重放）。",
    "The callback is too old (a replay?).",
    WebhookRejected,
)
