"""The error codes of mediation, declared once (code, zh, en, status) and raised by name."""

from __future__ import annotations

from accord.core.errors import catalogue

E = catalogue("mediation")

CASE_NOT_FOUND = E.not_found("mediation.case_not_found")
MEDIATOR_NOT_FOUND = E.not_found("mediation.mediator_not_found", "mediator")
ORGANISATION_NOT_FOUND = E.not_found("mediation.organisation_not_found", "organisation")

# ---- applications (issue #14 "Bad input") --------------------------------------------------
CLAIMS_REQUIRED = E.invalid(
    "mediation.claims_required",
    "请至少填写一项调解请求。",
    "Name at least one claim.",
    "claims",
)
CLAIM_UNKNOWN = E.invalid(
    "mediation.claim_unknown",
    "调解请求类别无效（见《劳动争议调解仲裁法》第二条）。",
    "Unknown claim category (Mediation and Arbitration Law Art. 2).",
    "claims",
)
AMOUNT_REQUIRED = E.invalid(
    "mediation.amount_required",
    "该请求涉及金钱，请填写请求金额。",
    "This claim is about money: give the amount claimed.",
    "amount_fen",
)
AMOUNT_INVALID = E.invalid(
    "mediation.amount_invalid",
    "金额须为大于零的整数（单位：分）。",
    "The amount must be a whole number of fen above zero.",
    "amount_fen",
)
DATE_IN_FUTURE = E.invalid(
    "mediation.date_in_future",
    "日期不能晚于今天。",
    "The date cannot be after today.",
)
DATE_BEFORE_EMPLOYMENT = E.invalid(
    "mediation.date_before_employment",
    "日期不能早于入职日期。",
    "The date cannot be before the employment began.",
)
KNEW_ON_REQUIRED = E.invalid(
    "mediation.knew_on_required",
    "请填写知道或应当知道权利被侵害的日期（《劳动争议调解仲裁法》第二十七条）。",
    "Give the day the worker knew or should have known of the infringement (Art. 27).",
    "knew_on",
)
DUPLICATE_CASE = E.conflict(
    "mediation.duplicate_case",
    "同一当事人就相同请求已有正在办理的调解案件（{number}）。",
    "The same parties already have an open case on the same claims ({number}).",
    "claims",
)
FACTS_REQUIRED = E.invalid(
    "mediation.facts_required",
    "请写明争议的事实和理由（《劳动争议调解仲裁法》第十二条）。",
    "Describe the facts of the dispute (Mediation and Arbitration Law Art. 12).",
    "facts",
)
EMPLOYER_REQUIRED = E.invalid(
    "mediation.employer_required",
    "请填写用人单位名称。",
    "Name the employer.",
    "enterprise_name",
)
COLLECTIVE_TOO_FEW = E.invalid(
    "mediation.collective_too_few",
    "集体争议须有十人以上劳动者，并推举代表（《劳动争议调解仲裁法》第七条）。",
    "A collective case needs ten or more workers and elected representatives (Art. 7).",
    "worker_count",
)
NOT_AN_APPLICANT = E.forbidden(
    "mediation.not_an_applicant",
    "您不能以该身份提出调解申请。",
    "You cannot apply in this capacity.",
)

# ---- phone codes -----------------------------------------------------------------------------
CODE_INVALID = E.invalid("mediation.code_invalid", "验证码错误。", "The code is wrong.", "code")
CODE_EXPIRED = E.invalid(
    "mediation.code_expired", "验证码已过期，请重新获取。", "The code has expired.", "code"
)
CODE_TOO_SOON = E.rate_limited("mediation.code_too_soon")
CODE_RATE_LIMITED = E.rate_limited("mediation.code_rate_limited")
PHONE_NOT_VERIFIED = E.forbidden(
    "mediation.phone_not_verified",
    "请先用手机验证码确认您的手机号。",
    "Confirm your phone number with a texted code first.",
    "phone",
)
TIME_LIMITS_RATE_LIMITED = E.rate_limited("mediation.time_limits_rate_limited")

# ---- evidence ----------------------------------------------------------------------------------
UPLOAD_TYPE = E.invalid(
    "mediation.upload_type",
    "只能上传 JPG、PNG 图片或 PDF 文件。",
    "Only JPG or PNG photos and PDF files may be uploaded.",
    "file",
)
UPLOAD_TOO_LARGE = E.invalid(
    "mediation.upload_too_large",
    "文件不能超过 {max_mb} MB。",
    "A file may be at most {max_mb} MB.",
    "file",
)
TOO_MANY_UPLOADS = E.invalid(
    "mediation.too_many_uploads",
    "每个案件最多上传 {max_files} 份材料。",
    "At most {max_files} files per case.",
    "file",
)
CONTRACT_NOT_SIGNED = E.invalid(
    "mediation.contract_not_signed",
    "只能提交已签署完成的福易签文件作为证据。",
    "Only a completed 福易签 document can be offered as evidence.",
    "envelope",
)
CONTRACT_NOT_OF_CASE = E.not_found("mediation.contract_not_of_case", "envelope")

# ---- the case's state machine ------------------------------------------------------------------
TRANSITION_NOT_ALLOWED = E.conflict(
    "mediation.transition_not_allowed",
    "案件状态为“{status_zh}”，不能{action_zh}。",
    "The case is {status}; it cannot be {action_en}.",
    "status",
)
NOT_HANDLING = E.forbidden(
    "mediation.not_handling",
    "只有本调解组织的调解员或区人力资源局工作人员可以办理该案件。",
    "Only mediators of the case's organisation or bureau officers may handle it.",
)
NOT_A_PARTY = E.forbidden(
    "mediation.not_a_party",
    "您不是本案当事人。",
    "You are not a party to this case.",
)
REASON_REQUIRED = E.invalid(
    "mediation.reason_required", "请写明理由。", "Give the reason.", "reason"
)
MEDIATOR_OUTSIDE_ORGANISATION = E.invalid(
    "mediation.mediator_outside_organisation",
    "该调解员不属于受理本案的调解组织。",
    "This mediator is not of the organisation handling the case.",
    "mediator",
)
MEDIATOR_NOT_ACTIVE = E.invalid(
    "mediation.mediator_not_active",
    "该调解员当前不在册，不能分派案件。",
    "This mediator is not active and cannot be assigned cases.",
    "mediator",
)
MEDIATOR_CONFLICT = E.conflict(
    "mediation.mediator_conflict",
    "该调解员与本案当事人有登记的利害关系（{relation_zh}），应当回避。",
    "This mediator has a registered relationship with a party ({relation_en}) and must step aside.",
    "mediator",
)
NO_MEDIATOR_AVAILABLE = E.conflict(
    "mediation.no_mediator_available",
    "本调解组织没有可分派的调解员。",
    "The organisation has no mediator free to take the case.",
    "mediator",
)
MEDIATOR_REQUIRED = E.conflict(
    "mediation.mediator_required",
    "请先为案件分派调解员。",
    "Assign a mediator to the case first.",
    "mediator",
)
SESSION_IN_PAST = E.invalid(
    "mediation.session_in_past",
    "调解时间不能早于现在。",
    "A session cannot be scheduled in the past.",
    "starts_at",
)
SESSION_PLACE_REQUIRED = E.invalid(
    "mediation.session_place_required",
    "现场调解请填写地点。",
    "An in-person session needs a place.",
    "place",
)
SESSION_NOT_SCHEDULED = E.conflict(
    "mediation.session_not_scheduled",
    "该调解会已举行或已取消。",
    "That session was already held or cancelled.",
)
EXTENSION_INVALID = E.invalid(
    "mediation.extension_invalid",
    "延长天数须为 1–30 天，且须双方当事人同意。",
    "An extension is 1–30 days and needs both parties' agreement.",
    "days",
)
DEADLINE_NOT_PASSED = E.conflict(
    "mediation.deadline_not_passed",
    "调解期限尚未届满（最后一日 {deadline}），当事人同意可提前终止调解。",
    "The mediation period has not run out (last day {deadline}).",
)
AGREEMENT_TERMS_REQUIRED = E.invalid(
    "mediation.agreement_terms_required",
    "请写明协议内容。",
    "Write the terms of the agreement.",
    "terms",
)
INSTALMENTS_INVALID = E.invalid(
    "mediation.instalments_invalid",
    "分期付款的日期须不早于今天，金额须为正数（分）。",
    "Instalments need a due day from today on and a positive amount in fen.",
    "instalments",
)
AGREEMENT_NEEDS_ENTERPRISE = E.conflict(
    "mediation.agreement_needs_enterprise",
    "用人单位尚未在平台登记，无法电子签署调解协议书；请线下签署。",
    "The employer is not registered on the platform, so the agreement cannot be e-signed.",
    "enterprise",
)
AGREEMENT_NEEDS_WORKER = E.conflict(
    "mediation.agreement_needs_worker",
    "劳动者尚未实名登记，无法电子签署调解协议书。",
    "The worker is not registered by real name, so the agreement cannot be e-signed.",
    "worker",
)
INSTALMENT_ALREADY_PAID = E.conflict(
    "mediation.instalment_already_paid",
    "该期款项已登记为已支付。",
    "That instalment is already recorded as paid.",
)
CALENDAR_DAY_INVALID = E.invalid(
    "mediation.calendar_day_invalid",
    "日期或类型无效。",
    "Invalid day or kind.",
    "day",
)
