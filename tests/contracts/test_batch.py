"""Batch spreadsheets: every row checked first, problems by row, column and article."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from accord.contracts import batch
from accord.core.errors import InvalidInput
from tests.conftest import login, resident_id

TODAY = dt.date(2030, 1, 10)
HEADER = [
    "姓名",
    "证件类型",
    "证件号码",
    "手机号码",
    "岗位",
    "工作地点",
    "合同期限类型",
    "开始日期",
    "结束日期",
    "试用期结束日期",
    "月工资",
    "试用期工资",
]


def xlsx(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good(n: int, **kw) -> list:
    row = {
        "name": f"员工{n}",
        "id_type": "居民身份证",
        "id": resident_id(n),
        "phone": f"137{n:08d}",
        "job": "工程师",
        "place": "深圳市福田区",
        "term": "固定期限",
        "start": dt.date(2030, 2, 1),
        "end": dt.date(2033, 1, 31),
        "probation": dt.date(2030, 7, 31),
        "wage": 9000,
        "pwage": 7200,
    }
    row.update(kw)
    return list(row.values())


@pytest.mark.django_db
def test_a_lawful_file_passes_with_every_row():
    result = batch.check_file(xlsx([good(1), good(2)]), today=TODAY)
    assert (result.total, len(result.rows), result.problems) == (2, 2, [])
    assert result.rows[0].draft.term_type == "fixed" and result.rows[1].row == 3


@pytest.mark.django_db
def test_every_problem_is_reported_by_row_column_and_article():
    rows = [
        good(1),
        good(2, id="110105194912310021"),  # bad check digit
        good(3, probation=dt.date(2030, 9, 1)),  # Art. 19: over 6 months
        good(4, wage=2000, pwage=2000),  # minimum wage (2025 data: 2520)
        good(5, start=dt.date(2030, 1, 1)),  # in the past
        good(6, id=resident_id(1)),  # same person as row 2
    ]
    result = batch.check_file(xlsx(rows), today=TODAY)
    found = {(p.row, p.column, p.code) for p in result.problems}
    assert (3, "id_number", "identity.resident_id_checksum") in found
    assert (4, "probation_end_date", "contract.probation_too_long") in found
    assert (5, "monthly_wage", "contract.wage_below_minimum") in found
    assert (6, "start_date", "batch.start_date_past") in found
    assert (7, "id_number", "batch.duplicate_person") in found
    article = next(p.article for p in result.problems if p.code == "contract.probation_too_long")
    assert article == "《劳动合同法》第十九条第一款"
    assert [r.row for r in result.rows] == [2] and result.bad_rows == {3, 4, 5, 6, 7}


def test_wrong_columns_are_refused_before_any_row():
    with pytest.raises(InvalidInput) as e:
        batch.check_file(xlsx([["x"]], header=["名字", "号码"]), today=TODAY)
    assert e.value.code == "batch.columns_missing" and "姓名" in e.value.message_zh


def test_not_a_spreadsheet():
    with pytest.raises(InvalidInput) as e:
        batch.check_file(b"name,id\n", today=TODAY)
    assert e.value.code == "batch.not_a_spreadsheet"


@pytest.mark.django_db
def test_template_has_the_columns_and_a_lawful_example():
    data = batch.template_xlsx()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[0][:3] == ["姓名", "证件类型", "证件号码"]
    result = batch.check_file(data)
    assert result.problems == [] and len(result.rows) == 1


@pytest.mark.django_db
def test_hr_checks_a_file_through_the_api(client, make_enterprise, make_user):
    enterprise = make_enterprise()
    login(client, make_user("hr", enterprise=enterprise, totp=False))
    start = dt.date.today() + dt.timedelta(days=10)
    data = xlsx(
        [
            good(
                1,
                start=start,
                end=start + dt.timedelta(days=1000),
                probation=start + dt.timedelta(days=20),
            ),
            good(
                2, start=start, end=None, term="无固定期限", probation=None, wage=1000, pwage=None
            ),
        ]
    )
    r = client.post(
        f"/api/v1/enterprises/{enterprise.public_id}/contract-batches/check",
        {"file": SimpleUploadedFile("b.xlsx", data)},
    )
    body = r.json()
    assert r.status_code == 200 and (body["total"], body["valid_rows"], body["bad_rows"]) == (
        2,
        1,
        [3],
    )
    assert body["problems"][0]["code"] == "contract.wage_below_minimum"
    assert client.get("/api/v1/contract-batches/template.xlsx").status_code == 200


@pytest.mark.django_db
def test_another_enterprises_hr_gets_404(client, make_enterprise, make_user):
    mine, theirs = make_enterprise(), make_enterprise()
    login(client, make_user("hr", enterprise=theirs, totp=False))
    r = client.post(
        f"/api/v1/enterprises/{mine.public_id}/contract-batches/check",
        {"file": SimpleUploadedFile("b.xlsx", xlsx([good(1)]))},
    )
    assert r.status_code == 404 and r.json()["code"] == "core.not_found"
