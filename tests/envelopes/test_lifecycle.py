"""The 入/转/调/离 rules: which lifecycle document fits which state of an employment, the
timeline of every document in time order, and its JSON for HR systems."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accord.contracts.models import DocumentKind
from accord.core.errors import Conflict, NotFound
from accord.envelopes import drafting, lifecycle
from accord.envelopes.api_lifecycle import employment_timeline
from accord.envelopes.models import Envelope
from accord.identity.models import Employment
from tests.support.factories import contract_fields, published

pytestmark = pytest.mark.django_db


def _allowed(employment) -> dict[str, bool]:
    return {s.kind: s.allowed for s in lifecycle.allowed_steps(employment)}


def _signed_contract(shop, code="labour-fixed", **over) -> Envelope:
    """A labour contract recorded as completed: the signing itself is tested in test_services;
    here only the state the lifecycle rules read matters."""
    envelope = drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published(code),
        fields=contract_fields(**over),
        created_by=shop.hr,
        employment=shop.job,
    )
    Envelope.objects.filter(pk=envelope.pk).update(
        status=Envelope.Status.COMPLETED, completed_at=timezone.now()
    )
    return envelope


def _later_start(days=400, probation=True) -> dict:
    """A further contract's dates: never a second contract from the same start (LCL Art. 10)."""
    start = timezone.localdate() + dt.timedelta(days=days)
    dates = {
        "start_date": start.isoformat(),
        "end_date": start.replace(year=start.year + 3).isoformat(),
    }
    if probation:
        dates["probation_end_date"] = (start + dt.timedelta(days=90)).isoformat()
    else:
        dates.update(probation_end_date="", probation_wage="")
    return dates


def _end(job, day=None):
    Employment.objects.filter(pk=job.pk).update(end_date=day or timezone.localdate())
    job.refresh_from_db()


def test_lcl_art10_a_new_employment_starts_with_an_offer_or_a_written_contract(shop):
    allowed = _allowed(shop.job)
    assert allowed[DocumentKind.OFFER] and allowed[DocumentKind.LABOUR_FIXED]
    for kind in (DocumentKind.CONFIRMATION, DocumentKind.CHANGE, DocumentKind.RENEWAL):
        assert not allowed[kind]
    with pytest.raises(Conflict) as err:
        lifecycle.require_fits(shop.job, DocumentKind.CHANGE)
    assert err.value.code == "lifecycle.step_not_allowed"
    assert "第十条" in err.value.message_zh


def test_lcl_art19_confirmation_only_after_a_signed_contract_with_probation(shop):
    _signed_contract(shop, probation_end_date="", probation_wage="")
    with pytest.raises(Conflict) as err:
        lifecycle.require_fits(shop.job, DocumentKind.CONFIRMATION)
    assert "第十九条" in err.value.message_zh  # no probation agreed: nothing to confirm
    _signed_contract(shop, **_later_start())
    lifecycle.require_fits(shop.job, DocumentKind.CONFIRMATION)
    assert not _allowed(shop.job)[DocumentKind.OFFER]  # the contract is signed: no offer now


def test_lcl_art19_confirmation_is_done_once(shop):
    _signed_contract(shop)
    confirmation = drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("confirmation"),
        fields={"confirm_date": timezone.localdate().isoformat()},
        created_by=shop.hr,
        employment=shop.job,
    )
    # While it is a draft, a second one is refused as a duplicate in progress.
    with pytest.raises(Conflict):
        lifecycle.require_fits(shop.job, DocumentKind.CONFIRMATION)
    Envelope.objects.filter(pk=confirmation.pk).update(
        status=Envelope.Status.COMPLETED, completed_at=timezone.now()
    )
    with pytest.raises(Conflict) as err:
        lifecycle.require_fits(shop.job, DocumentKind.CONFIRMATION)
    assert "已办理转正" in err.value.message_zh


def test_lcl_art35_change_agreement_needs_a_signed_contract_of_an_active_employment(shop):
    assert not _allowed(shop.job)[DocumentKind.CHANGE]
    _signed_contract(shop)
    assert _allowed(shop.job)[DocumentKind.CHANGE]
    _end(shop.job)
    assert not _allowed(shop.job)[DocumentKind.CHANGE]


def test_lcl_art46_only_a_fixed_term_contract_is_renewed(shop):
    _signed_contract(shop, code="labour-open-ended", term_type="open_ended", end_date="")
    with pytest.raises(Conflict) as err:
        lifecycle.require_fits(shop.job, DocumentKind.RENEWAL)
    assert "固定期限" in err.value.message_zh
    _signed_contract(shop, **_later_start(probation=False))  # Art. 19: probation once
    lifecycle.require_fits(shop.job, DocumentKind.RENEWAL)


def test_lcl_art50_termination_only_while_the_employment_is_active(shop):
    _signed_contract(shop)
    lifecycle.require_fits(shop.job, DocumentKind.TERMINATION)
    _end(shop.job)
    with pytest.raises(Conflict) as err:
        lifecycle.require_fits(shop.job, DocumentKind.TERMINATION)
    assert "第五十条" in err.value.message_zh


def test_lcl_art50_leaving_certificate_only_after_the_employment_ended(shop):
    with pytest.raises(Conflict) as err:
        lifecycle.require_fits(shop.job, DocumentKind.LEAVING_CERTIFICATE)
    assert "第五十条" in err.value.message_zh and err.value.extra["article"]
    _end(shop.job)
    allowed = _allowed(shop.job)
    assert allowed[DocumentKind.LEAVING_CERTIFICATE]
    # Once ended, nothing else fits: not a new contract, not a change.
    assert [k for k, ok in allowed.items() if ok] == [DocumentKind.LEAVING_CERTIFICATE]


def test_timeline_lists_start_documents_and_end_in_time_order(shop):
    first = _signed_contract(shop)
    change = drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published("change"),
        fields={
            "change_effective_date": timezone.localdate().isoformat(),
            "change_description": "岗位调整为高级软件工程师，月工资调整为 12000 元",
        },
        created_by=shop.hr,
        employment=shop.job,
    )
    # The contract completed after the change was drafted: completion time orders it.
    Envelope.objects.filter(pk=first.pk).update(completed_at=timezone.now() + dt.timedelta(hours=1))
    _end(shop.job, timezone.localdate() + dt.timedelta(days=10))
    events = lifecycle.timeline(shop.job)
    assert [e.kind for e in events] == [
        "employment.start",
        DocumentKind.CHANGE,
        DocumentKind.LABOUR_FIXED,
        "employment.end",
    ]
    assert events[1].envelope.pk == change.pk
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_timeline_of_one_employment_leaves_out_another_enterprises_documents(shop, make_enterprise):
    other = make_enterprise(name="深圳市另一家公司")
    other_job = Employment.objects.create(
        person=shop.worker, enterprise=other, start_date=dt.date(2025, 1, 1)
    )
    _signed_contract(shop)
    assert [e.kind for e in lifecycle.timeline(other_job)] == ["employment.start"]


def _api(user, employment):
    request = RequestFactory().get("/")
    request.user = user
    request.auth_principal = user
    return employment_timeline(request, str(employment.public_id))


def test_api_timeline_for_hr_and_not_found_for_others(shop, make_user, make_enterprise):
    _signed_contract(shop)
    body = _api(shop.hr, shop.job)
    assert [e["kind"] for e in body["events"]] == ["employment.start", "labour_fixed"]
    steps = {s["kind"]: s for s in body["next_steps"]}
    assert steps["change"]["allowed"] and not steps["leaving_certificate"]["allowed"]
    assert "第五十条" in steps["leaving_certificate"]["article"]
    other_hr = make_user("hr", enterprise=make_enterprise(name="别家公司"))
    street = make_user("street_officer", street="futian")  # even the enterprise's own street
    for outsider in (other_hr, street, make_user("worker")):
        with pytest.raises(NotFound) as err:
            _api(outsider, shop.job)
        assert err.value.code == "core.not_found"
    # The worker sees their own timeline, without HR's next steps.
    from accord.identity.models import User

    mine = _api(User.objects.get(person=shop.worker), shop.job)
    assert mine["next_steps"] == [] and mine["worker"] == "张三"
