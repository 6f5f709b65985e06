"""福易签 API."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from accord.contracts.checkup import check_up
from accord.core import ratelimit
from accord.core.middleware import client_ip, json_body

router = Router(tags=["contracts"])


class ProblemOut(Schema):
    code: str
    article: str
    message_zh: str
    message_en: str
    field: str
    severity: str


class CheckOut(Schema):
    problems: list[ProblemOut]


@router.post(
    "/contracts/check",
    response=CheckOut,
    auth=None,
    summary="Contract check-up (合同体检): the labour-law problems of a draft",
)
def check_contract(request: HttpRequest):
    """Public and rate-limited. Body: ``term_type`` (fixed, open_ended, task, part_time),
    ``start_date``, ``end_date`` (fixed term), ``probation_end_date``, ``monthly_wage`` and
    ``probation_wage`` (yuan, decimal strings); optionally ``hourly_wage``, ``daily_hours``,
    ``weekly_hours``, ``pay_cycle_days`` (part-time), ``non_compete_months``,
    ``position_category`` (senior_manager, senior_technical, confidential, other),
    ``had_probation_with_employer``, ``signing_date``. An empty ``problems`` list means lawful.
    """
    ratelimit.hit(
        f"contract-check:{client_ip(request)}",
        limit=60,
        window=60,
        code="contract.check_rate_limited",
    )
    body = json_body(request)
    if not isinstance(body, dict):
        from accord.core.errors import InvalidInput

        raise InvalidInput(
            "core.invalid_request",
            "请求内容应为 JSON 对象。",
            "The body must be a JSON object.",
            "body",
        )
    return {"problems": check_up(body)}
