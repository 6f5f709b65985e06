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
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from python_calamine import CalamineError, CalamineWorkbook

from accord.contracts import rules
from accord.contracts.checkup import minimum_wage_on
from accord.contracts.errors import (
    BATCH_COLUMNS_MISSING,
    BATCH_EMPTY,
    BATCH_FILE_TOO_LARGE,
    BATCH_NOT_A_SPREADSHEET,
    BATCH_TOO_MANY_ROWS,
)
from accord.core.errors import InvalidInput, Problem
from accord.identity.validators import clean_id_document, clean_name, clean_phone

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024

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
]
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
    if len(body) > MAX_ROWS:
        raise BATCH_TOO_MANY_ROWS(most=MAX_ROWS)
    return header, body


def check_file(data: bytes, today: dt.date | None = None) -> BatchCheck:
    """Validate every row; the result lists each problem with its row and column."""
    today = today or timezone.localdate()
    header, body = read_rows(data)
    result = BatchCheck(total=len(body))
    seen: dict[str, int] = {}
    minimum = minimum_wage_on(today)
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
        draft = rules.ContractDraft(
            term_type,
            dates["start_date"],
            dates["end_date"],
            dates["probation_end_date"],
            money["monthly_wage"],
            money["probation_wage"],
            money["hourly_wage"],
            signing_date=today,
        )
        for finding in rules.check(draft, minimum, today=today):
            target = result.problems if finding.severity == "error" else result.warnings
            target.append(
                Problem(
                    finding.code,
                    finding.message_zh,
                    finding.message_en,
                    finding.field,
                    row=line,
                    column=finding.field,
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
    sheet.append(
        [
            "张三",
            "居民身份证",
            "11010519491231002X",
            "13800000001",
            "软件工程师",
            "深圳市福田区",
            "固定期限",
            start.isoformat(),
            (rules.add_months(start, 36) - dt.timedelta(days=1)).isoformat(),
            (rules.add_months(start, 6) - dt.timedelta(days=1)).isoformat(),
            "12000",
            "9600",
            "",
        ]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
