"""The error codes of identity: people, enterprises, accounts, login and the registry import.

Declared once (code, Chinese, English, kind → HTTP status) and raised by name; see the
catalogue in ``accord.core.errors``. The codes are a public contract: never rename one.
"""

from __future__ import annotations

from accord.core.errors import AccordError, catalogue


class LoginFailed(AccordError):
    """A wrong password, code or one-time password: the login answers 401."""

    status = 401


E = catalogue("identity")

# ---- documents and numbers (validators) -------------------------------------------------
RESIDENT_ID_CHECKSUM = E.invalid(
    "identity.resident_id_checksum",
    "身份证号码校验位错误。",
    "The resident ID number's check digit is wrong.",
)
RESIDENT_ID_BIRTH_DATE = E.invalid(
    "identity.resident_id_birth_date",
    "身份证号码中的出生日期不存在或晚于今天。",
    "The birth date inside the resident ID number is impossible or in the future.",
)
RESIDENT_ID_AREA = E.invalid(
    "identity.resident_id_area",
    "身份证号码前六位不是有效的行政区划代码（GB/T 2260）：请核对号码。",
    "The first six digits of the resident ID number are not an administrative area code "
    "(GB/T 2260); please check the number.",
)
RESIDENT_ID_FORMAT = E.invalid(
    "identity.resident_id_format",
    "身份证号码应为 18 位（末位可为 X）。",
    "A resident ID number has 18 characters (the last may be X).",
)
PERMIT_CHECKSUM = E.invalid(
    "identity.permit_checksum",
    "证件号码校验位错误。",
    "The document number's check digit is wrong.",
)
PERMIT_BIRTH_DATE = E.invalid(
    "identity.permit_birth_date",
    "居住证号码中的出生日期不存在。",
    "The birth date inside the permit number is impossible.",
)
PERMIT_FORMAT = E.invalid(
    "identity.permit_format",
    "证件号码格式与所选证件类型不符。",
    "The document number does not match the chosen document type.",
)
PASSPORT_FORMAT = E.invalid(
    "identity.passport_format",
    "护照号码应为 5–20 位字母或数字。",
    "A passport number has 5–20 letters or digits.",
)
ID_TYPE_UNKNOWN = E.invalid(
    "identity.id_type_unknown", "不支持的证件类型。", "Unknown identity document type."
)
USCC_CHECKSUM = E.invalid(
    "identity.uscc_checksum",
    "统一社会信用代码校验位错误。",
    "The unified social credit code's check digit is wrong.",
)
USCC_FORMAT = E.invalid(
    "identity.uscc_format",
    "统一社会信用代码应为 18 位数字或大写字母。",
    "A unified social credit code has 18 digits or capital letters.",
)
PHONE_FORMAT = E.invalid(
    "identity.phone_format",
    "手机号码应为 11 位中国大陆手机号。",
    "A phone number is an 11-digit mainland mobile number.",
)

# ---- accounts ---------------------------------------------------------------------------
USERNAME_INVALID = E.invalid(
    "identity.username_invalid",
    "用户名应为字母、数字、- 或 _。",
    "A username has letters, digits, - or _.",
)
ROLE_UNKNOWN = E.invalid("identity.role_unknown", "角色不存在。", "Unknown role.")
USERNAME_TAKEN = E.conflict(
    "identity.username_taken", "该用户名已被使用。", "This username is taken."
)
ENTERPRISE_UNKNOWN = E.invalid(
    "identity.enterprise_unknown",
    "找不到该统一社会信用代码的企业。",
    "No enterprise has this unified social credit code.",
)
STREET_UNKNOWN = E.invalid(
    "identity.street_unknown",
    "街道不存在；福田区共 10 个街道。",
    "Unknown street; Futian has 10 streets.",
)
ORGANISATION_UNKNOWN = E.invalid(
    "identity.organisation_unknown", "调解组织不存在。", "Unknown mediation organisation."
)
PASSWORD_WEAK = E.invalid(
    "identity.password_weak",
    "密码强度不足：{reasons_zh}",
    "The password is too weak: {reasons_en}",
)

# ---- login ------------------------------------------------------------------------------
INVALID_CREDENTIALS = E.declare(
    "auth.invalid_credentials", "用户名或密码错误。", "Wrong username or password.", LoginFailed
)
TOTP_INVALID = E.declare(
    "auth.totp_invalid", "动态口令错误或已过期。", "Wrong or expired one-time code.", LoginFailed
)
TOTP_NOT_ENROLLED = E.declare(
    "auth.totp_not_enrolled",
    "该账号尚未绑定动态口令，请联系管理员。",
    "No authenticator is enrolled for this account; ask an administrator.",
    LoginFailed,
)
CODE_INVALID = E.declare("auth.code_invalid", "验证码错误。", "Wrong code.", LoginFailed)
CODE_EXPIRED = E.declare(
    "auth.code_expired",
    "验证码已过期，请重新获取。",
    "The code has expired; ask for a new one.",
    LoginFailed,
)
SMS_TOO_SOON = E.rate_limited("auth.sms_too_soon")
SMS_RATE_LIMITED = E.rate_limited("auth.sms_rate_limited")

# ---- employment -------------------------------------------------------------------------
START_DATE_TOO_FAR = E.invalid(
    "identity.start_date_too_far",
    "入职日期不能晚于一年之后。",
    "The start date cannot be more than a year ahead.",
)
ALREADY_EMPLOYED = E.conflict(
    "identity.already_employed",
    "该人员已是本企业在职员工。",
    "This person is already employed by this enterprise.",
)
EMPLOYMENT_ALREADY_ENDED = E.conflict(
    "identity.employment_already_ended",
    "该用工关系已经结束。",
    "This employment has already ended.",
)
END_BEFORE_START = E.invalid(
    "identity.end_before_start",
    "离职日期不能早于入职日期。",
    "The end date cannot be before the start date.",
)
PERSON_NAME_MISMATCH = E.conflict(
    "identity.person_name_mismatch",
    "该证件号码已登记在另一姓名下，请核对姓名与证件。",
    "This document number is registered under another name; check both.",
)

# ---- enterprises and people -------------------------------------------------------------
INDUSTRY_UNKNOWN = E.invalid(
    "identity.industry_unknown",
    "行业代码不是 GB/T 4754-2017 的大类代码。",
    "Not a GB/T 4754-2017 industry division code.",
)
ENTERPRISE_DUPLICATE = E.conflict(
    "identity.enterprise_duplicate",
    "该统一社会信用代码的企业已存在。",
    "An enterprise with this unified social credit code already exists.",
)
PERSON_DUPLICATE = E.conflict(
    "identity.person_duplicate",
    "该证件号码的人员已存在。",
    "A person with this document number already exists.",
)
PHONE_DUPLICATE = E.conflict(
    "identity.phone_duplicate",
    "该手机号码已被其他人员使用。",
    "This phone number belongs to another person.",
)
PERSON_NOT_FOUND = E.not_found("identity.person_not_found")
EMPLOYMENT_NOT_FOUND = E.not_found("identity.employment_not_found", "employment")
USER_NOT_FOUND = E.not_found("identity.user_not_found")

# ---- imports (the registry CSV here; other apps' spreadsheets share the size limit) --------
IMPORT_TOO_LARGE = E.invalid(
    "import.too_large", "文件不能超过 20 MB。", "The file must be at most 20 MB."
)
IMPORT_ENCODING = E.invalid(
    "import.encoding", "文件应为 UTF-8 编码的 CSV。", "The file must be UTF-8 CSV."
)
IMPORT_COLUMNS_MISSING = E.invalid(
    "import.columns_missing", "缺少列：{columns}。", "Missing columns: {columns}."
)
IMPORT_ROWS_INVALID = E.invalid(
    "import.rows_invalid",
    "有 {count} 行有误，未导入任何一行：请改正后重新上传，或选择跳过有误的行。",
    "{count} rows have errors and nothing was imported: correct them and upload again, or "
    "choose to skip the bad rows.",
    "file",
)
