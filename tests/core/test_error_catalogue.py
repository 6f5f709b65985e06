"""Error codes are declared once per app and raised by name (CONVENTIONS: error codes declared once)."""

from __future__ import annotations

import pytest

from accord.core.errors import Conflict, ErrorCode, InvalidInput, NotFound, catalogue


@pytest.fixture
def cat():
    before = dict(ErrorCode.registry)
    yield catalogue("testapp")
    ErrorCode.registry.clear()
    ErrorCode.registry.update(before)


def test_a_declared_code_raises_its_kind_with_both_messages_and_the_field(cat):
    late = cat.invalid("testapp.late", "晚了 {days} 天。", "{days} days late.", "start_date")
    error = late(days=3)
    assert isinstance(error, InvalidInput) and error.status == 422
    assert (error.code, error.message_zh, error.message_en, error.field) == (
        "testapp.late",
        "晚了 3 天。",
        "3 days late.",
        "start_date",
    )
    assert late(field="end_date", days=1).field == "end_date"


def test_a_problem_carries_row_column_and_article(cat):
    bad = cat.invalid("testapp.bad", "不对", "Wrong")
    problem = bad.problem("wage", row=7, column="月工资", article="LCL Art. 20")
    assert (problem.row, problem.column, problem.article, problem.field) == (
        7,
        "月工资",
        "LCL Art. 20",
        "wage",
    )


def test_not_found_has_the_one_message_that_leaks_nothing(cat):
    missing = cat.not_found("testapp.missing")
    assert isinstance(missing(), NotFound)
    assert missing().message_en == NotFound().message_en


def test_the_same_code_may_not_carry_two_messages_or_two_statuses(cat):
    cat.conflict("testapp.once", "一次", "Once")
    cat.conflict("testapp.once", "一次", "Once")  # the same declaration again is harmless
    with pytest.raises(ValueError, match="declared twice"):
        cat.conflict("testapp.once", "两次", "Twice")
    with pytest.raises(ValueError, match="declared twice"):
        cat.invalid("testapp.once", "一次", "Once")
    assert isinstance(ErrorCode.registry["testapp.once"](), Conflict)
