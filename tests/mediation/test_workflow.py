"""The case's state machine (issue #14 item 3): every transition from every state, allowed or
refused with a clear error and nothing written; assignment by workload without conflicts of
interest; the Art. 14 sweep on the law's clock (freezegun)."""

import datetime as dt

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accord.core.errors import AccordError
from accord.core.models import AuditEntry, OutboxEvent
from accord.mediation import policy, services
from accord.mediation.models import Case, Mediator
from tests.support import factories

pytestmark = pytest.mark.django_db
S = Case.Status


def drive(case: Case, state: str, actor, mediator: Mediator) -> Case:
    """Bring ``case`` to ``state`` through the services (the way a handler would)."""
    if state == S.APPLIED:
        return case
    if state == S.DECLINED:
        return services.decline(case, actor=actor, reason="不属于受理范围")
    if state == S.WITHDRAWN:
        return services.withdraw(case, actor=actor)
    services.accept(case, actor=actor)
    if state == S.ACCEPTED:
        return Case.objects.get(pk=case.pk)
    if state == S.ENDED:
        return services.end(case, actor=actor, reason="分歧较大")
    if state == S.EXPIRED:
        with freeze_time(timezone.now() + dt.timedelta(days=40)):
            services.sweep()
        return Case.objects.get(pk=case.pk)
    services.assign(case, actor=actor, mediator=mediator)
    services.schedule_session(
        case, actor=actor, starts_at=timezone.now() + dt.timedelta(days=1), mode="online"
    )
    if state == S.IN_MEDIATION:
        return Case.objects.get(pk=case.pk)
    if state == S.AGREED:
        services.draft_agreement(case, actor=actor, terms="一次性支付", instalments=[])
        return Case.objects.get(pk=case.pk)
    if state == S.REFERRED:
        services.end(case, actor=actor, reason="分歧较大")
        return services.refer(case, actor=actor)
    raise AssertionError(state)


def attempt(action: str, case: Case, actor, mediator: Mediator):
    calls = {
        "accept": lambda: services.accept(case, actor=actor),
        "decline": lambda: services.decline(case, actor=actor, reason="理由"),
        "schedule": lambda: services.schedule_session(
            case,
            actor=actor,
            starts_at=timezone.now() + dt.timedelta(days=2),
            mode="in_person",
            place="调解室 1",
        ),
        "extend": lambda: services.extend(case, actor=actor, days=5, both_agreed=True),
        "agree": lambda: services.draft_agreement(case, actor=actor, terms="支付", instalments=[]),
        "end": lambda: services.end(case, actor=actor, reason="调解不成"),
        "refer": lambda: services.refer(case, actor=actor),
        "withdraw": lambda: services.withdraw(case, actor=actor),
    }
    return calls[action]()


ACTIONS = ["accept", "decline", "schedule", "extend", "agree", "end", "refer", "withdraw"]


@pytest.mark.parametrize("state", list(S.values))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_transition_from_every_state_is_allowed_or_refused_with_nothing_written(
    state, action, org, officer
):
    mediator = factories.MediatorFactory(organisation=org)
    case = drive(factories.CaseFactory(organisation=org), state, officer, mediator)
    if action == "schedule" and case.mediator_id is None and state in (S.ACCEPTED,):
        services.assign(case, actor=officer, mediator=mediator)
    assert case.status == state
    allowed = state in policy.TRANSITIONS[action] and not (action == "refer" and state == S.AGREED)
    audit_before, events_before = AuditEntry.objects.count(), OutboxEvent.objects.count()
    if allowed:
        attempt(action, case, officer, mediator)
        case.refresh_from_db()
        if action in policy.TARGET:
            assert case.status == policy.TARGET[action]
    else:
        with pytest.raises(AccordError) as refused:
            attempt(action, case, officer, mediator)
        assert refused.value.code == "mediation.transition_not_allowed"
        assert refused.value.status == 409
        assert refused.value.message_en and refused.value.message_zh
        assert Case.objects.get(pk=case.pk).status == state
        assert AuditEntry.objects.count() == audit_before
        assert OutboxEvent.objects.count() == events_before


def test_every_state_change_is_audited_and_published(org, officer, mediator):
    case = factories.CaseFactory(organisation=org)
    services.accept(case, actor=officer)
    services.assign(case, actor=officer, mediator=mediator)
    services.end(case, actor=officer, reason="调解不成")
    actions = list(
        AuditEntry.objects.filter(object_id=str(case.public_id))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "mediation.case.apply",
        "mediation.case.accept",
        "mediation.case.assign",
        "mediation.case.end",
    ]
    topics = set(OutboxEvent.objects.values_list("topic", flat=True))
    assert {"mediation.case.applied", "mediation.case.accept", "mediation.case.end"} <= topics


def test_decline_and_end_need_a_reason(org, officer):
    case = factories.CaseFactory(organisation=org)
    with pytest.raises(AccordError) as e:
        services.decline(case, actor=officer, reason="  ")
    assert (e.value.code, e.value.field) == ("mediation.reason_required", "reason")


def test_a_mediator_of_another_organisation_may_not_handle_the_case(org):
    case = factories.CaseFactory(organisation=org)
    stranger = factories.MediatorFactory(user=True)  # another organisation's
    with pytest.raises(AccordError) as e:
        services.accept(case, actor=stranger.user)
    assert e.value.code == "mediation.not_handling"


def test_a_party_may_not_accept_their_own_case(org):
    case = factories.CaseFactory(organisation=org)
    worker = factories.UserFactory(role="worker", person=case.worker)
    assert not policy.can(worker, case, "accept")
    assert policy.can(worker, case, "withdraw")


# ---- assignment --------------------------------------------------------------------------


def test_assignment_refuses_a_mediator_outside_the_organisation(org, officer):
    case = factories.CaseFactory(organisation=org, status=S.ACCEPTED, actor=officer)
    outsider = factories.MediatorFactory()
    with pytest.raises(AccordError) as e:
        services.assign(case, actor=officer, mediator=outsider)
    assert (e.value.code, e.value.status) == ("mediation.mediator_outside_organisation", 422)
    assert Case.objects.get(pk=case.pk).mediator_id is None


def test_assignment_refuses_a_mediator_with_a_registered_relationship(org, officer):
    case = factories.CaseFactory(organisation=org, status=S.ACCEPTED, actor=officer)
    conflicted = factories.MediatorFactory(organisation=org)
    services.register_relationship(conflicted, kind="counsel", enterprise=case.enterprise)
    with pytest.raises(AccordError) as e:
        services.assign(case, actor=officer, mediator=conflicted)
    assert (e.value.code, e.value.status) == ("mediation.mediator_conflict", 409)


def test_automatic_assignment_takes_the_least_loaded_mediator_without_a_conflict(org, officer):
    busy = factories.MediatorFactory(organisation=org)
    free = factories.MediatorFactory(organisation=org)
    related = factories.MediatorFactory(organisation=org)
    for _ in range(2):
        factories.CaseFactory(organisation=org, status=S.IN_MEDIATION, mediator=busy, actor=officer)
    case = factories.CaseFactory(organisation=org, status=S.ACCEPTED, actor=officer)
    services.register_relationship(related, kind="relative", person=case.worker)
    services.assign(case, actor=officer)
    assert Case.objects.get(pk=case.pk).mediator == free


def test_a_suspended_mediator_is_not_assigned(org, officer):
    case = factories.CaseFactory(organisation=org, status=S.ACCEPTED, actor=officer)
    m = services.set_mediator_status(factories.MediatorFactory(organisation=org), "suspended")
    with pytest.raises(AccordError) as e:
        services.assign(case, actor=officer, mediator=m)
    assert e.value.code == "mediation.mediator_not_active"


# ---- Art. 14: the sweep ------------------------------------------------------------------


def test_art14_sweep_warns_before_and_expires_after_the_fifteenth_day(org, officer, mediator):
    with freeze_time("2026-03-02 10:00:00+08:00"):
        case = factories.CaseFactory(
            organisation=org, status=S.IN_MEDIATION, mediator=mediator, actor=officer
        )
    assert case.mediation_deadline == dt.date(2026, 3, 17)
    with freeze_time("2026-03-14 10:00:00+08:00"):
        assert services.sweep().warned == 1
        assert services.sweep().warned == 0  # once
    with freeze_time("2026-03-17 18:00:00+08:00"):
        assert services.sweep().expired == 0  # the last day still counts
    with freeze_time("2026-03-18 09:00:00+08:00"):
        assert services.sweep().expired == 1
        case.refresh_from_db()
        assert case.status == S.EXPIRED
        assert "refer" in policy.case_actions(officer, case)
    assert mediator.user.notifications.filter(title__contains="期限将届满").exists()


def test_art14_extension_agreed_by_both_moves_the_last_day(org, officer, mediator):
    with freeze_time("2026-03-02 10:00:00+08:00"):
        case = factories.CaseFactory(
            organisation=org, status=S.IN_MEDIATION, mediator=mediator, actor=officer
        )
        with pytest.raises(AccordError) as e:
            services.extend(case, actor=officer, days=10, both_agreed=False)
        assert e.value.code == "mediation.extension_invalid"
        services.extend(case, actor=officer, days=10, both_agreed=True)
    case.refresh_from_db()
    assert case.mediation_deadline == dt.date(2026, 3, 27)
    with freeze_time("2026-03-20 09:00:00+08:00"):
        assert services.sweep().expired == 0


def test_art14_a_case_received_before_the_spring_festival_runs_past_it(org, officer):
    with freeze_time("2026-02-01 10:00:00+08:00"):
        case = factories.CaseFactory(organisation=org)
    assert case.mediation_deadline == dt.date(2026, 2, 24)
    with freeze_time("2026-02-23 12:00:00+08:00"):
        assert services.sweep().expired == 0
    with freeze_time("2026-02-25 09:00:00+08:00"):
        assert services.sweep().expired == 1


def test_art15_referral_of_an_agreement_only_once_an_instalment_is_overdue(org, officer, mediator):
    case = factories.CaseFactory(
        organisation=org, status=S.IN_MEDIATION, mediator=mediator, actor=officer
    )
    due = timezone.localdate() + dt.timedelta(days=5)
    services.draft_agreement(
        case,
        actor=officer,
        terms="分两期支付",
        instalments=[services.InstalmentInput(due, 300_000)],
    )
    case.refresh_from_db()
    with pytest.raises(AccordError):
        services.refer(case, actor=officer)
    with freeze_time(timezone.now() + dt.timedelta(days=7)):
        assert services.remind_overdue() == 1
        assert services.remind_overdue() == 0
        services.refer(case, actor=officer)
    assert Case.objects.get(pk=case.pk).status == S.REFERRED
    assert OutboxEvent.objects.filter(topic="mediation.agreement_unperformed").count() == 1
