"""Seal management: powers under the enterprise's policy, approvals of exact documents, and the
usage log (Electronic Signature Law Art. 13 (2): the seal stays under the enterprise's control)."""

from __future__ import annotations

import pytest
import typst
from django.db import connection
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core.errors import AccordError
from accord.core.models import AppendOnlyError, AuditEntry
from accord.identity.models import Membership, Role
from accord.seals import approvals, services
from accord.seals.models import Power, Seal, SealApproval, SealGrant, SealPolicy, SealUsage
from accord.signing.models import Signature
from accord.signing.pdf import sha256
from accord.signing.verify import verify_pdf
from tests.signing.fixtures import CONTRACT, FONTS
from tests.support import factories

pytestmark = pytest.mark.django_db


def code(user) -> str:
    """A fresh TOTP code; a code once accepted is refused again, so the device forgets it here."""
    TOTPDevice.objects.filter(user=user).update(last_t=-1)
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def other_pdf() -> bytes:
    return typst.compile(CONTRACT.replace("20,000", "2,000").encode(), font_paths=FONTS)


@pytest.fixture
def firm(make_enterprise, make_user):
    """An enterprise with a contract seal: ``boss`` manages it, ``clerk`` uses it."""
    enterprise = make_enterprise(name="深圳市福田区印章测试有限公司")
    boss = make_user(Role.HR, enterprise=enterprise)
    clerk = make_user(Role.HR, enterprise=enterprise)
    seal = services.setup_default_seals(enterprise, manager=boss, users=[boss, clerk])
    return enterprise, seal, boss, clerk


def error_of(fn, *args, **kwargs) -> AccordError:
    with pytest.raises(AccordError) as err:
        fn(*args, **kwargs)
    return err.value


# ---- bootstrap and powers --------------------------------------------------------------------


def test_first_seal_is_created_by_any_hr_member_who_becomes_its_only_manager(
    make_enterprise, make_user
):
    enterprise = make_enterprise()
    hr, colleague = (make_user(Role.HR, enterprise=enterprise) for _ in range(2))
    seal = services.create_seal(enterprise, user=hr, name="公章", kind=Seal.Kind.OFFICIAL)
    assert services.powers_of(hr, seal) == {Power.MANAGE}
    assert AuditEntry.objects.filter(action="seal.create", object_id=str(seal.public_id)).exists()
    assert AuditEntry.objects.filter(action="seal.grant").count() == 1

    # Afterwards a colleague without the manage power cannot create another seal.
    err = error_of(services.create_seal, enterprise, user=colleague, kind=Seal.Kind.CONTRACT)
    assert err.code == "seal.not_manager"
    # The manager can; the name defaults to the kind's name.
    contract = services.create_seal(enterprise, user=hr, kind=Seal.Kind.CONTRACT)
    assert contract.name == "合同专用章"
    err = error_of(services.create_seal, enterprise, user=hr, kind=Seal.Kind.CONTRACT)
    assert err.code == "seal.name_taken"


def test_only_hr_of_the_enterprise_can_create_its_first_seal(make_enterprise, make_user):
    mine, theirs = make_enterprise(), make_enterprise()
    outsider = make_user(Role.HR, enterprise=theirs)
    officer = make_user(Role.BUREAU_OFFICER)
    for user in (outsider, officer):
        err = error_of(services.create_seal, mine, user=user, kind=Seal.Kind.OFFICIAL)
        assert err.code == "seal.not_hr_member"
    assert not Seal.objects.exists()


def test_only_a_manager_grants_and_only_to_hr_of_the_same_enterprise(
    firm, make_user, make_enterprise
):
    enterprise, seal, boss, clerk = firm
    newcomer = make_user(Role.HR, enterprise=enterprise)
    err = error_of(services.grant_power, seal, user=clerk, grantee=newcomer, power=Power.USE)
    assert err.code == "seal.not_manager"
    other_hr = make_user(Role.HR, enterprise=make_enterprise())
    err = error_of(services.grant_power, seal, user=boss, grantee=other_hr, power=Power.USE)
    assert err.code == "seal.grantee_not_hr"
    grant = services.grant_power(seal, user=boss, grantee=newcomer, power=Power.AUDIT)
    assert grant.granted_by == boss and grant.active
    err = error_of(services.grant_power, seal, user=boss, grantee=newcomer, power=Power.AUDIT)
    assert err.code == "seal.grant_exists"


def test_default_policy_refuses_manage_and_use_by_one_person(firm):
    _enterprise, seal, boss, clerk = firm
    # setup_default_seals skipped the manager's use power: the policy forbids it.
    assert services.powers_of(boss, seal) == {Power.MANAGE}
    assert services.powers_of(clerk, seal) == {Power.USE}
    err = error_of(services.grant_power, seal, user=boss, grantee=boss, power=Power.USE)
    assert err.code == "seal.power_combination_forbidden"
    assert "管理权与使用权不得由同一人兼任" in err.message_zh
    assert err.extra["policy"] == {"allow_manage_and_use": False, "allow_audit_with_other": False}
    err = error_of(services.grant_power, seal, user=boss, grantee=clerk, power=Power.MANAGE)
    assert err.code == "seal.power_combination_forbidden"


def test_default_policy_keeps_the_auditor_independent(firm, make_user):
    enterprise, seal, boss, clerk = firm
    err = error_of(services.grant_power, seal, user=boss, grantee=clerk, power=Power.AUDIT)
    assert err.code == "seal.power_combination_forbidden"
    assert "审计权不得与其他权限兼任" in err.message_zh
    auditor = make_user(Role.HR, enterprise=enterprise)
    services.grant_power(seal, user=boss, grantee=auditor, power=Power.AUDIT)
    err = error_of(services.grant_power, seal, user=boss, grantee=auditor, power=Power.USE)
    assert err.code == "seal.power_combination_forbidden"


def test_a_looser_policy_allows_the_combination_and_a_stricter_one_waits_for_revocation(firm):
    enterprise, seal, boss, clerk = firm
    policy = services.update_policy(
        enterprise,
        user=boss,
        allow_manage_and_use=True,
        allow_audit_with_other=False,
        approval_kinds=["termination"],
    )
    assert SealPolicy.objects.get(enterprise=enterprise).approval_kinds == ["termination"]
    assert AuditEntry.objects.filter(action="seal.policy").exists()
    grant = services.grant_power(seal, user=boss, grantee=boss, power=Power.USE)
    err = error_of(
        services.update_policy,
        enterprise,
        user=boss,
        allow_manage_and_use=False,
        allow_audit_with_other=False,
        approval_kinds=policy.approval_kinds,
    )
    assert err.code == "seal.policy_conflicts_with_grants"
    services.revoke_grant(grant, user=boss)
    services.update_policy(
        enterprise,
        user=boss,
        allow_manage_and_use=False,
        allow_audit_with_other=False,
        approval_kinds=policy.approval_kinds,
    )
    # Users cannot change the policy.
    err = error_of(
        services.update_policy,
        enterprise,
        user=clerk,
        allow_manage_and_use=True,
        allow_audit_with_other=True,
        approval_kinds=[],
    )
    assert err.code == "seal.not_manager"


def test_revoking_needs_a_manager_and_keeps_the_last_manager(firm, make_user):
    _enterprise, seal, boss, clerk = firm
    clerk_grant = SealGrant.objects.get(seal=seal, user=clerk, power=Power.USE)
    err = error_of(services.revoke_grant, clerk_grant, user=clerk)
    assert err.code == "seal.not_manager"
    boss_grant = SealGrant.objects.get(seal=seal, user=boss, power=Power.MANAGE)
    err = error_of(services.revoke_grant, boss_grant, user=boss)
    assert err.code == "seal.last_manager"
    services.revoke_grant(clerk_grant, user=boss)
    clerk_grant.refresh_from_db()
    assert clerk_grant.revoked_by == boss and clerk_grant.revoked_at is not None
    assert services.powers_of(clerk, seal) == set()
    err = error_of(services.revoke_grant, clerk_grant, user=boss)
    assert err.code == "seal.grant_revoked"
    assert AuditEntry.objects.filter(action="seal.revoke").count() == 1


def test_powers_end_with_the_hr_membership(firm):
    enterprise, seal, _boss, clerk = firm
    Membership.objects.filter(user=clerk).update(active=False)
    from accord.identity.models import User

    former = User.objects.get(pk=clerk.pk)
    assert services.powers_of(former, seal) == set()
    assert not services.usable_seals(former, enterprise).exists()


def test_default_seal_is_the_contract_seal_for_labour_contracts_else_the_official_seal(
    make_enterprise, make_user
):
    enterprise = make_enterprise()
    hr = make_user(Role.HR, enterprise=enterprise)
    err = error_of(services.default_seal, enterprise, "labour_fixed")
    assert err.code == "seal.none_configured"
    assert f"/enterprises/{enterprise.public_id}/seals" in err.message_zh
    assert err.extra["link"] == f"/enterprises/{enterprise.public_id}/seals"
    official = services.create_seal(enterprise, user=hr, kind=Seal.Kind.OFFICIAL)
    assert services.default_seal(enterprise, "labour_fixed") == official  # the fallback
    contract = services.create_seal(enterprise, user=hr, kind=Seal.Kind.CONTRACT)
    assert services.default_seal(enterprise, "labour_open_ended") == contract
    assert services.default_seal(enterprise, "termination") == official
    services.set_status(official, user=hr, status=Seal.Status.SUSPENDED)
    err = error_of(services.default_seal, enterprise, "termination")
    assert err.code == "seal.none_configured"


def test_usable_seals_are_the_active_seals_the_user_may_use(firm, make_user):
    enterprise, seal, boss, clerk = firm
    assert list(services.usable_seals(clerk, enterprise)) == [seal]
    assert list(services.usable_seals(boss, enterprise)) == []
    services.set_status(seal, user=boss, status=Seal.Status.SUSPENDED)
    assert list(services.usable_seals(clerk, enterprise)) == []


def test_status_changes_are_for_managers_and_retiring_is_final(firm):
    _enterprise, seal, boss, clerk = firm
    assert error_of(services.set_status, seal, user=clerk, status="suspended").code == (
        "seal.not_manager"
    )
    services.set_status(seal, user=boss, status="suspended", reason="盘点")
    services.set_status(seal, user=boss, status="active")
    services.set_status(seal, user=boss, status="retired")
    err = error_of(services.set_status, seal, user=boss, status="active")
    assert err.code == "seal.invalid_status_change"
    assert AuditEntry.objects.filter(action="seal.status").count() == 3


# ---- use ------------------------------------------------------------------------------------


def test_art13_use_seal_signs_with_the_enterprise_certificate_and_logs_the_use(
    platform, contract_pdf, firm
):
    enterprise, seal, _boss, clerk = firm
    signed = services.use_seal(
        contract_pdf,
        seal=seal,
        user=clerk,
        otp_token=code(clerk),
        document_kind="labour_fixed",
        title="张三劳动合同",
        reserve_person_fields=1,
        certify=True,
    )
    report = verify_pdf(signed.pdf)
    assert report.valid, [(s.field_name, s.reasons) for s in report.signatures]
    assert enterprise.name in report.signatures[0].signer
    assert signed.signature.certificate.enterprise == enterprise
    usage = SealUsage.objects.get(seal=seal)
    assert usage.outcome == SealUsage.Outcome.SIGNED
    assert usage.signature == signed.signature
    assert usage.user == clerk and usage.document_title == "张三劳动合同"
    assert usage.document_sha256 == sha256(contract_pdf)
    assert signed.signature.input_sha256 == usage.document_sha256
    assert AuditEntry.objects.filter(action="seal.use", object_id=str(seal.public_id)).exists()


def test_use_is_refused_without_the_use_power_and_the_attempt_is_logged(
    platform, contract_pdf, firm
):
    _enterprise, seal, boss, _clerk = firm
    err = error_of(
        services.use_seal,
        contract_pdf,
        seal=seal,
        user=boss,  # manages, may not use
        otp_token=code(boss),
        document_kind="labour_fixed",
        title="合同",
    )
    assert err.code == "seal.not_authorised" and err.status == 403
    usage = SealUsage.objects.get()
    assert (usage.outcome, usage.reason, usage.user) == ("refused", "seal.not_authorised", boss)
    assert usage.signature is None
    assert not Signature.objects.exists()
    assert AuditEntry.objects.filter(action="seal.use_refused").exists()


def test_a_wrong_second_factor_is_refused_and_logged(platform, contract_pdf, firm):
    _enterprise, seal, _boss, clerk = firm
    err = error_of(
        services.use_seal,
        contract_pdf,
        seal=seal,
        user=clerk,
        otp_token="000000" if code(clerk) != "000000" else "111111",
        document_kind="labour_fixed",
        title="合同",
    )
    assert err.code == "auth.totp_invalid"
    assert SealUsage.objects.get().reason == "auth.totp_invalid"
    assert not Signature.objects.exists()


@pytest.mark.parametrize("status", ["suspended", "retired"])
def test_suspended_or_retired_seals_cannot_be_used(platform, contract_pdf, firm, status):
    _enterprise, seal, boss, clerk = firm
    services.set_status(seal, user=boss, status=status)
    err = error_of(
        services.use_seal,
        contract_pdf,
        seal=seal,
        user=clerk,
        otp_token=code(clerk),
        document_kind="labour_fixed",
        title="合同",
    )
    assert err.code == "seal.not_active"
    assert SealUsage.objects.get().outcome == "refused"


def test_termination_notice_needs_an_approval_of_that_exact_document(
    platform, contract_pdf, firm, make_user
):
    enterprise, seal, boss, clerk = firm
    second_manager = make_user(Role.HR, enterprise=enterprise)
    services.grant_power(seal, user=boss, grantee=second_manager, power=Power.MANAGE)
    digest = sha256(contract_pdf)

    def seal_it(document):
        return services.use_seal(
            document,
            seal=seal,
            user=clerk,
            otp_token=code(clerk),
            document_kind="termination",
            title="解除劳动合同通知书",
        )

    err = error_of(seal_it, contract_pdf)  # no approval yet
    assert err.code == "seal.approval_required"

    approval = approvals.request_approval(
        seal,
        user=clerk,
        document_sha256=digest,
        title="解除劳动合同通知书",
        document_kind="termination",
    )
    err = error_of(seal_it, contract_pdf)  # still pending
    assert err.code == "seal.approval_required" and "尚待审批" in err.message_zh
    approvals.decide_approval(approval, user=boss, approve=True)

    # The approval is bound to the document's hash: another document is refused.
    err = error_of(seal_it, other_pdf())
    assert err.code == "seal.approval_required"
    approval.refresh_from_db()
    assert approval.status == SealApproval.Status.APPROVED

    signed = seal_it(contract_pdf)
    assert verify_pdf(signed.pdf).valid
    approval.refresh_from_db()
    assert approval.status == SealApproval.Status.USED and approval.used_at
    usage = SealUsage.objects.get(outcome="signed")
    assert usage.approval == approval

    # An approval is used once: the same document again needs a new one.
    err = error_of(seal_it, contract_pdf)
    assert err.code == "seal.approval_required"
    assert list(SealUsage.objects.order_by("id").values_list("outcome", "reason")) == [
        ("refused", "seal.approval_required"),
        ("refused", "seal.approval_required"),
        ("refused", "seal.approval_required"),
        ("signed", ""),
        ("refused", "seal.approval_required"),
    ]


def test_an_approval_older_than_seven_days_has_expired(platform, contract_pdf, firm):
    import datetime as dt

    from django.utils import timezone

    _enterprise, seal, boss, clerk = firm
    approval = approvals.request_approval(
        seal,
        user=clerk,
        document_sha256=sha256(contract_pdf),
        title="解除劳动合同通知书",
        document_kind="termination",
    )
    approvals.decide_approval(approval, user=boss, approve=True)
    SealApproval.objects.filter(pk=approval.pk).update(
        decided_at=timezone.now() - dt.timedelta(days=8)
    )
    err = error_of(
        lambda d: services.use_seal(
            d,
            seal=seal,
            user=clerk,
            otp_token=code(clerk),
            document_kind="termination",
            title="解除劳动合同通知书",
        ),
        contract_pdf,
    )
    assert err.code == "seal.approval_expired"
    approval.refresh_from_db()
    assert approval.status == SealApproval.Status.APPROVED  # not used up by the refusal


def test_a_failed_signing_gives_the_approval_back(platform, contract_pdf, firm):
    _enterprise, seal, _boss, clerk = firm
    other_manager = _second_manager(firm)
    approval = approvals.request_approval(
        seal,
        user=clerk,
        document_sha256=sha256(contract_pdf),
        title="离职证明",
        document_kind="leaving_certificate",
    )
    approvals.decide_approval(approval, user=other_manager, approve=True)
    err = error_of(
        services.use_seal,
        contract_pdf,
        seal=seal,
        user=clerk,
        otp_token="not-a-code",
        document_kind="leaving_certificate",
        title="离职证明",
    )
    assert err.code == "auth.totp_invalid"
    approval.refresh_from_db()
    assert approval.status == SealApproval.Status.APPROVED
    usage = SealUsage.objects.get()
    assert (usage.reason, usage.approval) == ("auth.totp_invalid", approval)


def _second_manager(firm):
    enterprise, seal, boss, _clerk = firm
    grant = factories.SealGrantFactory(
        seal=seal,
        by=boss,
        grantee=factories.UserFactory(role=Role.HR, enterprise=enterprise),
        power=Power.MANAGE,
    )
    return grant.user


def test_a_manager_cannot_approve_their_own_request(firm):
    enterprise, seal, boss, clerk = firm
    services.update_policy(
        enterprise,
        user=boss,
        allow_manage_and_use=True,
        allow_audit_with_other=False,
        approval_kinds=["termination", "change", "leaving_certificate"],
    )
    services.grant_power(seal, user=boss, grantee=boss, power=Power.USE)
    approval = approvals.request_approval(
        seal, user=boss, document_sha256="a" * 64, title="变更协议", document_kind="change"
    )
    err = error_of(approvals.decide_approval, approval, user=boss, approve=True)
    assert err.code == "seal.self_approval_forbidden"
    approval.refresh_from_db()
    assert approval.status == SealApproval.Status.PENDING
    # A user (not a manager) cannot decide either.
    err = error_of(approvals.decide_approval, approval, user=clerk, approve=True)
    assert err.code == "seal.not_manager"


def test_rejection_needs_a_reason_and_is_final(firm):
    _enterprise, seal, boss, clerk = firm
    approval = approvals.request_approval(
        seal,
        user=clerk,
        document_sha256="b" * 64,
        title="离职证明",
        document_kind="leaving_certificate",
    )
    assert error_of(approvals.decide_approval, approval, user=boss, approve=False).code == (
        "seal.reason_required"
    )
    approvals.decide_approval(approval, user=boss, approve=False, reason="离职日期有误")
    err = error_of(approvals.decide_approval, approval, user=boss, approve=True)
    assert err.code == "seal.approval_not_pending"
    assert AuditEntry.objects.filter(action="seal.approval.reject").exists()


def test_approval_requests_are_checked(firm):
    _enterprise, seal, boss, clerk = firm
    ask = approvals.request_approval
    assert error_of(
        ask, seal, user=boss, document_sha256="c" * 64, title="x", document_kind="termination"
    ).code == ("seal.not_authorised")
    assert error_of(
        ask, seal, user=clerk, document_sha256="xyz", title="x", document_kind="termination"
    ).code == ("seal.invalid_sha256")
    assert error_of(
        ask, seal, user=clerk, document_sha256="c" * 64, title="x", document_kind="offer"
    ).code == ("seal.approval_not_required")
    ask(seal, user=clerk, document_sha256="c" * 64, title="x", document_kind="termination")
    assert error_of(
        ask, seal, user=clerk, document_sha256="c" * 64, title="x", document_kind="termination"
    ).code == ("seal.approval_exists")


def test_usage_log_is_append_only(platform, contract_pdf, firm):
    _enterprise, seal, boss, _clerk = firm
    error_of(
        services.use_seal,
        contract_pdf,
        seal=seal,
        user=boss,
        otp_token="123456",
        document_kind="labour_fixed",
        title="合同",
    )
    usage = SealUsage.objects.get()
    usage.outcome = "signed"
    with pytest.raises(AppendOnlyError):
        usage.save()
    with pytest.raises(AppendOnlyError):
        usage.delete()
    if connection.vendor == "postgresql":  # the database itself refuses it too
        from django.db import DatabaseError, transaction

        with pytest.raises(DatabaseError), transaction.atomic():
            SealUsage.objects.filter(pk=usage.pk).update(outcome="signed")
    assert SealUsage.objects.get().outcome == "refused"


def test_a_one_person_enterprise_may_relax_the_policy_to_manage_and_use(
    platform, contract_pdf, make_enterprise, make_user
):
    enterprise = make_enterprise()
    hr = make_user(Role.HR, enterprise=enterprise)
    seal = services.setup_default_seals(
        enterprise, manager=hr, users=[hr], allow_manage_and_use=True
    )
    assert services.powers_of(hr, seal) == {Power.MANAGE, Power.USE}
    assert services.policy_for(enterprise).allow_manage_and_use
    assert AuditEntry.objects.filter(action="seal.policy").count() == 1
    signed = services.use_seal(
        contract_pdf,
        seal=seal,
        user=hr,
        otp_token=code(hr),
        document_kind="labour_fixed",
        title="劳动合同",
    )
    assert verify_pdf(signed.pdf).valid


def test_a_second_factor_checked_by_the_caller_for_the_whole_act_is_not_asked_again(
    platform, contract_pdf, firm
):
    _enterprise, seal, _boss, clerk = firm
    signed = services.use_seal(
        contract_pdf,
        seal=seal,
        user=clerk,
        otp_token="",
        document_kind="labour_fixed",
        title="合同",
        second_factor_checked=True,
    )
    assert verify_pdf(signed.pdf).valid
    assert signed.signature.intent.auth_method == "session+totp(act)"
    # Without it, the code is checked: an empty one is refused.
    err = error_of(
        services.use_seal,
        contract_pdf,
        seal=seal,
        user=clerk,
        otp_token="",
        document_kind="labour_fixed",
        title="合同",
    )
    assert err.code == "auth.totp_invalid"
