"""Batch contracts from a spreadsheet: every row checked before anything is sent.

HR uploads an Excel file (one worker a row). Each row is validated completely — identity
numbers, dates, and the same labour-law checks as a single draft (rules.py) — and every problem
is reported with its row, column and article. Nothing is created from a file with a bad row
unless HR chooses to skip bad rows. (Sending the envelopes themselves comes with the envelope
work of issue #6.)
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from python_calamine import CalamineError, CalamineWorkbook

from accord.contracts import checkup, rules
from accord.contracts.errors import (
    BATCH_COLUMNS_MISSING,
    BATCH_EMPTY,
    BATCH_FILE_TOO_LARGE,
    BATCH_NOT_A_SPREADSHEET,
    BATCH_TOO_MANY_ROWS,
)
from accord.core.errors import InvalidInput, Problem
from accord.core.spreadsheets import check_spreadsheet
from accord.identity.validators import clean_id_document, clean_name, clean_phone

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
MAX_COLUMNS = 64
MAX_UNPACKED = 64 * 1024 * 1024

# (key, Chinese header, English header, required)
COLUMNS = [
    ("name", "姓名", "name", True),
    ("id_type", "证件类型", "id_type", False),
    ("id_number", "证件号码", "id_number", True),
    ("phone", "手机号码", "phone", True),
    ("job_title", "岗位", "job_title", True),
    ("place", "工作地点", "place", True),
    ("term_type", "合同期限类型", "term_type", True),
    ("start_date", "开始日期", "start_date", True),
    ("end_date", "结束日期", "end_date", False),
    ("probation_end_date", "试用期结束日期", "probation_end_date", False),
    ("monthly_wage", "月工资", "monthly_wage", False),
    ("probation_wage", "试用期工资", "probation_wage", False),
    ("hourly_wage", "小时工资", "hourly_wage", False),
    # The same questions the check-up and a single draft ask (checkup.FIELDS):
    ("daily_hours", "每日工时", "daily_hours", False),  # part-time, LCL Art. 68
    ("weekly_hours", "每周工时", "weekly_hours", False),  # part-time, LCL Art. 68
    ("pay_cycle_days", "工资结算周期（天）", "pay_cycle_days", False),  # part-time, Art. 72
    ("position_category", "岗位类别", "position_category", False),  # Art. 24
    ("non_compete_months", "竞业限制期限（月）", "non_compete_months", False),  # Art. 24
    ("non_compete_compensation", "竞业限制月补偿", "non_compete_compensation", False),  # 23 ¶2
    ("penalties", "劳动者违约金情形", "penalties", False),  # Art. 22, 23, 25
    ("service_period_penalty", "服务期违约金", "service_period_penalty", False),  # Art. 22 ¶2
    ("training_cost", "培训费用", "training_cost", False),  # Art. 22
    ("deposit", "押金或担保", "deposit", False),  # Art. 9, 84
    ("holds_id_documents", "扣押证件", "holds_id_documents", False),  # Art. 9, 84
    ("worker_requested_fixed_term", "劳动者要求固定期限", "worker_requested_fixed_term", False),
    # Paper contracts before the platform (Art. 10, 14): HR may add them to the records.
    ("prior_written_contract", "此前已订立书面合同", "prior_written_contract", False),
    ("consecutive_fixed_terms", "此前连续固定期限次数", "consecutive_fixed_terms", False),
]
# Words HR writes in the cells, as the check-up's values.
POSITION_CATEGORIES = {
    "高级管理人员": "senior_manager",
    "高级技术人员": "senior_technical",
    "负有保密义务的人员": "confidential",
    "其他": "other",
}
PENALTY_REASONS = {"服务期": "service_period", "竞业限制": "non_compete", "其他": "other"}
YES_NO = {"是": "true", "否": "false"}
# The columns read as the check-up's fields; parse_draft judges them.
DRAFT_COLUMNS = (
    "daily_hours",
    "weekly_hours",
    "pay_cycle_days",
    "position_category",
    "non_compete_months",
    "non_compete_compensation",
    "penalties",
    "service_period_penalty",
    "training_cost",
    "deposit",
    "holds_id_documents",
    "worker_requested_fixed_term",
    "prior_written_contract",
    "consecutive_fixed_terms",
)
COLUMN_HEADER = {key: zh for key, zh, _en, _r in COLUMNS}
# A finding about a field the spreadsheet has no column for is shown at the column it comes from.
FIELD_COLUMN = {
    "service_start_date": "start_date",
    "signing_date": "start_date",
    "had_probation_with_employer": "probation_end_date",
}


def column_of(field: str | None) -> str | None:
    """The spreadsheet column (a key of COLUMNS) a problem of ``field`` belongs to."""
    return FIELD_COLUMN.get(field or "", field)


def draft_fields(draft: rules.ContractDraft) -> dict[str, Any]:
    """A checked row's draft as the check-up's fields (what the sending step checks again)."""

    def text(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, tuple):
            return list(value)
        return value

    keys = (
        "term_type",
        "start_date",
        "end_date",
        "probation_end_date",
        "monthly_wage",
        "probation_wage",
        "hourly_wage",
        *DRAFT_COLUMNS,
    )
    return {k: text(getattr(draft, k)) for k in keys}


TERM_TYPES = {
    "固定期限": "fixed",
    "无固定期限": "open_ended",
    "以完成一定工作任务为期限": "task",
    "非全日制": "part_time",
    **{t: t for t in rules.TERM_TYPES},
}
ID_TYPES = {
    "居民身份证": "resident",
    "港澳居民": "hk_macau",
    "台湾居民": "taiwan",
    "外国人永久居留": "foreign_permanent",
    "护照": "passport",
    "": "resident",
    "resident": "resident",
    "hk_macau": "hk_macau",
    "taiwan": "taiwan",
    "foreign_permanent": "foreign_permanent",
    "passport": "passport",
}


@dataclass
class BatchRow:
    row: int
    name: str
    id_type: str
    id_number: str
    phone: str
    job_title: str
    place: str
    draft: rules.ContractDraft


@dataclass
class BatchCheck:
    rows: list[BatchRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    total: int = 0

    @property
    def bad_rows(self) -> set[int]:
        return {p.row for p in self.problems if p.row}


def column_label(key: str | None) -> str | None:
    """The spreadsheet's own header (COLUMNS: 证件号码, not ``id_number``) of the column a problem
    was found in; a value that is already a header, or names no column, comes back as it is."""
    for column_key, zh, en, *_rest in COLUMNS:
        if key in (column_key, en):
            return zh
    return key


def _header_key(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    for key, zh, en, _ in COLUMNS:
        if text in (zh, en):
            return key
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed as a number
    return str(value).strip()


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(_text(value).replace("/", "-"))


def read_rows(data: bytes) -> tuple[list[str | None], list[list[Any]]]:
    if len(data) > MAX_BYTES:
        raise BATCH_FILE_TOO_LARGE()
    # Positions and unpacked size checked before the reader builds its grid (issue #13); blank
    # rows between the data rows are allowed up to as many again.
    check_spreadsheet(
        data, max_rows=2 * MAX_ROWS + 1, max_columns=MAX_COLUMNS, max_unpacked=MAX_UNPACKED
    )
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=True)
    except (CalamineError, ValueError, OSError, IndexError) as exc:
        raise BATCH_NOT_A_SPREADSHEET() from exc
    if not rows:
        raise BATCH_EMPTY()
    header = [_header_key(h) for h in rows[0]]
    missing = [zh for key, zh, _en, required in COLUMNS if required and key not in header]
    if missing:
        raise BATCH_COLUMNS_MISSING(missing_zh="、".join(missing), missing_en=", ".join(missing))
    body = [r for r in rows[1:] if any(_text(v) for v in r)]
    if not body:  # a header alone would make a batch of no contracts
        raise BATCH_EMPTY()
    if len(body) > MAX_ROWS:
        raise BATCH_TOO_MANY_ROWS(most=MAX_ROWS)
    return header, body


def _draft_cell(key: str, value: Any) -> Any:
    text = _text(value)
    if key == "position_category":
        return POSITION_CATEGORIES.get(text, text)
    if key == "penalties":
        return [PENALTY_REASONS.get(t, t) for t in checkup_split(text)] if text else ""
    if key in ("holds_id_documents", "worker_requested_fixed_term", "prior_written_contract"):
        return YES_NO.get(text, text)
    return text


def checkup_split(text: str) -> list[str]:
    return [t for t in re.split(r"[,，、;；\s]+", text) if t]


def check_file(data: bytes, today: dt.date | None = None) -> BatchCheck:
    """Validate every row; the result lists each problem with its row and column."""
    today = today or timezone.localdate()
    header, body = read_rows(data)
    result = BatchCheck(total=len(body))
    seen: dict[str, int] = {}
    wages: dict[dt.date, rules.MinimumWage | None] = {}

    def minimum_wage_for_day(day: dt.date) -> rules.MinimumWage | None:
        if day not in wages:  # once per date for the file, not once per row
            wages[day] = checkup.minimum_wage_on(day)
        return wages[day]

    for offset, raw in enumerate(body):
        line = offset + 2  # the spreadsheet's own row number (row 1 is the header)
        cells = {key: raw[i] if i < len(raw) else None for i, key in enumerate(header) if key}
        before = len(result.problems)

        def bad(
            column: str, code: str, zh: str, en: str, article: str | None = None, line: int = line
        ) -> None:
            result.problems.append(
                Problem(code, zh, en, column, row=line, column=column, article=article)
            )

        values: dict[str, Any] = {}
        for key, clean in (("name", clean_name), ("phone", clean_phone)):
            try:
                values[key] = clean(_text(cells.get(key)))
            except InvalidInput as e:
                bad(key, e.code, e.message_zh, e.message_en)
        id_type = ID_TYPES.get(_text(cells.get("id_type")))
        if id_type is None:
            bad(
                "id_type",
                "identity.id_type_unknown",
                "不支持的证件类型。",
                "Unknown identity document type.",
            )
        else:
            try:
                values["id_number"] = clean_id_document(id_type, _text(cells.get("id_number")))[0]
            except InvalidInput as e:
                bad("id_number", e.code, e.message_zh, e.message_en)
        if values.get("id_number") in seen:
            bad(
                "id_number",
                "batch.duplicate_person",
                f"与第 {seen[values['id_number']]} 行是同一个人。",
                f"The same person as row {seen[values['id_number']]}.",
            )
        elif "id_number" in values:
            seen[values["id_number"]] = line
        for key in ("job_title", "place"):
            values[key] = _text(cells.get(key))
            if not values[key]:
                bad(
                    key,
                    "core.required",
                    "此项为必填项。",
                    "This field is required.",
                    "《劳动合同法》第十七条（四）",
                )
        term_type = TERM_TYPES.get(_text(cells.get("term_type")))
        if term_type is None:
            bad(
                "term_type",
                "contract.term_type_unknown",
                "合同期限类型应为固定期限、无固定期限、以完成一定工作任务为期限或非全日制。",
                "The term type is fixed, open-ended, task-based or part-time.",
            )
        dates: dict[str, dt.date | None] = {}
        for key in ("start_date", "end_date", "probation_end_date"):
            if _text(cells.get(key)) == "":
                dates[key] = None
                if key == "start_date":
                    bad(key, "core.required", "此项为必填项。", "This field is required.")
                continue
            try:
                dates[key] = _date(cells.get(key))
            except ValueError:
                dates[key] = None
                bad(
                    key,
                    "core.invalid_date",
                    "日期格式应为 YYYY-MM-DD。",
                    "Dates are written YYYY-MM-DD.",
                )
        if dates.get("start_date") and dates["start_date"] < today:
            bad(
                "start_date",
                "batch.start_date_past",
                "开始日期已经过去：批量发起的合同应从今天或以后开始。",
                "The start date has passed: a batch contract starts today or later.",
                "《劳动合同法》第十条",
            )
        money: dict[str, Decimal | None] = {}
        for key in ("monthly_wage", "probation_wage", "hourly_wage"):
            text = _text(cells.get(key))
            try:
                money[key] = Decimal(text) if text else None
                if money[key] is not None and (not money[key].is_finite() or money[key] < 0):
                    raise InvalidOperation
            except InvalidOperation:
                money[key] = None
                bad(
                    key,
                    "core.invalid_value",
                    "金额应为数字（元）。",
                    "Amounts are numbers in yuan.",
                )
        if len(result.problems) > before or term_type is None or dates.get("start_date") is None:
            continue
        # The row as the check-up's fields, judged by the same parser and rules (checkup.py).
        fields: dict[str, Any] = {
            "term_type": term_type,
            "start_date": dates["start_date"].isoformat(),
            "end_date": dates["end_date"].isoformat() if dates["end_date"] else "",
            "probation_end_date": (
                dates["probation_end_date"].isoformat() if dates["probation_end_date"] else ""
            ),
            **{k: str(v) if v is not None else "" for k, v in money.items()},
            **{k: _draft_cell(k, cells.get(k)) for k in DRAFT_COLUMNS},
            "signing_date": today.isoformat(),
        }
        try:
            draft = checkup.parse_draft(fields)
        except InvalidInput as e:
            for p in e.problems:
                bad(column_of(p.field) or "", p.code, p.message_zh, p.message_en)
            continue
        # The minimum wage in force on the start date (a batch contract starts today or later).
        minimum = minimum_wage_for_day(checkup.minimum_wage_day(draft, today))
        for finding in rules.check(draft, minimum, today=today):
            target = result.problems if finding.severity == "error" else result.warnings
            target.append(
                Problem(
                    finding.code,
                    finding.message_zh,
                    finding.message_en,
                    finding.field,
                    row=line,
                    column=column_of(finding.field),
                    article=finding.article,
                )
            )
        if len(result.problems) == before:
            result.rows.append(
                BatchRow(
                    line,
                    values["name"],
                    id_type or "resident",
                    values["id_number"],
                    values["phone"],
                    values["job_title"],
                    values["place"],
                    draft,
                )
            )
    return result


def template_xlsx() -> bytes:
    """The spreadsheet HR fills in: the headers, and one example row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "合同批量发起"
    sheet.append([zh for _k, zh, _en, _r in COLUMNS])
    start = timezone.localdate() + dt.timedelta(days=7)
    example = {
        "name": "张三",
        "id_type": "居民身份证",
        "id_number": "11010519491231002X",
        "phone": "13800000001",
        "job_title": "软件工程师",
        "place": "深圳市福田区",
        "term_type": "固定期限",
        "start_date": start.isoformat(),
        "end_date": (rules.add_months(start, 36) - dt.timedelta(days=1)).isoformat(),
        "probation_end_date": (rules.add_months(start, 6) - dt.timedelta(days=1)).isoformat(),
        "monthly_wage": "12000",
        "probation_wage": "9600",
        "position_category": "高级技术人员",
        "non_compete_months": "12",
        "non_compete_compensation": "3600",
        "penalties": "竞业限制",
        "holds_id_documents": "否",
        "worker_requested_fixed_term": "否",
    }
    sheet.append([example.get(k, "") for k, _zh, _en, _r in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
