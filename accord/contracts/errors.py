"""The error codes of contracts: templates, their clauses (LCL Art. 17) and the public check-up.

Declared once (code, Chinese, English, kind → HTTP status) and raised by name; see the
catalogue in ``accord.core.errors``. The codes are a public contract: never rename one.
"""

from __future__ import annotations

from accord.core.errors import catalogue

E = catalogue("contracts")

# ---- a template's sections ----------------------------------------------------------------
SECTIONS_REQUIRED = E.invalid(
    "template.sections_required", "模板至少需要一节正文。", "A template needs at least one section."
)
TOO_MANY_SECTIONS = E.invalid(
    "template.too_many_sections", "模板最多 200 节。", "At most 200 sections."
)
SECTION_EMPTY = E.invalid(
    "template.section_empty", "第 {number} 节没有正文。", "Section {number} has no text."
)
SIGNATURE_PARTY_UNKNOWN = E.invalid(
    "template.signature_party_unknown",
    "第 {number} 节的签署栏只能是甲方或乙方。",
    "Section {number}: a signature line is for the employer or the worker only.",
)
CLAUSE_UNKNOWN = E.invalid(
    "template.clause_unknown",
    "第 {number} 节标注的条款“{clause}”不存在。",
    "Section {number} is tagged with an unknown clause '{clause}'.",
)
PLACEHOLDER_UNKNOWN = E.invalid(
    "template.placeholder_unknown",
    "第 {number} 节的占位符 {{{{{name}}}}} 不存在。",
    "Section {number} uses an unknown placeholder {{{{{name}}}}}.",
)
# LCL Art. 17: the mandatory clauses of a labour contract, and the particulars each names.
ART17_CLAUSE_MISSING = E.invalid(
    "template.art17_clause_missing",
    "缺少必备条款{para}{clause_zh}。",
    "Missing the mandatory clause {para}: {clause_en}.",
    "sections",
)
ART17_PARTICULAR_MISSING = E.invalid(
    "template.art17_particular_missing",
    "条款{para}{clause_zh}须包含 {{{{{name}}}}}。",
    "Clause {para} ({clause_en}) must contain {{{{{name}}}}}.",
    "sections",
)

# ---- templates ----------------------------------------------------------------------------
KIND_UNKNOWN = E.invalid("template.kind_unknown", "文书类型不存在。", "Unknown document kind.")
NOT_DRAFT = E.conflict(
    "template.not_draft",
    "只有草稿可以发布；已发布的版本不可修改。",
    "Only a draft can be published; a published version never changes.",
)
TEMPLATE_NOT_FOUND = E.not_found("contracts.template_not_found", "template_version")

# ---- the public contract check-up ---------------------------------------------------------
CHECK_RATE_LIMITED = E.rate_limited("contract.check_rate_limited")


# ---- batch spreadsheets (accord.contracts.batch) ------------------------------------------
BATCH_FILE_TOO_LARGE = E.invalid(
    "batch.file_too_large", "文件不能超过 10 MB。", "The file must be at most 10 MB.", "file"
)
BATCH_NOT_A_SPREADSHEET = E.invalid(
    "batch.not_a_spreadsheet",
    "文件不是可读取的 Excel 表格（.xlsx）。",
    "The file is not a readable Excel workbook (.xlsx).",
    "file",
)
BATCH_EMPTY = E.invalid("batch.empty", "表格是空的。", "The spreadsheet is empty.", "file")
BATCH_COLUMNS_MISSING = E.invalid(
    "batch.columns_missing", "缺少列：{missing_zh}。", "Missing columns: {missing_en}.", "file"
)
BATCH_TOO_MANY_ROWS = E.invalid(
    "batch.too_many_rows", "一次最多 {most} 行。", "At most {most} rows at a time.", "file"
)
# ---- the check-up's own fields ---------------------------------------------------------------
CHECK_UNKNOWN_FIELD = E.invalid(
    "contract.unknown_field",
    "合同体检不认识“{name}”这一项，请对照接口说明检查字段名。",
    "The check-up does not know the field '{name}'; check its name against the API description.",
)
TERM_TYPE_UNKNOWN = E.invalid(
    "contract.term_type_unknown",
    "合同期限类型应为 fixed、open_ended、task 或 part_time。",
    "term_type is one of fixed, open_ended, task, part_time.",
    "term_type",
)
