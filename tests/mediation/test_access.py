"""Who sees what (issue #14 item 8): every mediation URL, page or API, tried by every outsider
(another enterprise's HR, worker and token, another street's officer, another organisation's
mediator) is a 404 that changes nothing; the owner gets the declared answer."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accord.identity.models import Role
from accord.mediation.models import Case
from tests.support import factories
from tests.support.access import AccessMatrix, ObjectUrl, World

REGISTER_SEEN = ("hr_other", "worker_other", "street_other", "mediator", "token_other")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def _tomorrow(world: World) -> str:
    return (timezone.now() + dt.timedelta(days=1)).isoformat()


class TestMediationAccess(AccessMatrix):
    urls = [
        # pages
        ObjectUrl("get", "/mediation/cases/{case}/"),
        ObjectUrl("get", "/mediation/cases/{case}/", owner="worker"),
        ObjectUrl("get", "/mediation/cases/{case}/documents/{kind}"),
        ObjectUrl("post", "/mediation/cases/{applied}/act/{accept}", {}, 302, owner="handler"),
        ObjectUrl(
            "post",
            "/mediation/cases/{case}/act/{end}",
            {"reason": "调解不成"},
            302,
            owner="handler",
        ),
        ObjectUrl(
            "post", "/mediation/cases/{case}/act/{evidence}", {"file": PDF}, 302, owner="worker"
        ),
        # API
        ObjectUrl("get", "/api/v1/mediation/cases/{case}"),
        ObjectUrl("get", "/api/v1/mediation/cases/{case}/documents/{kind}"),
        ObjectUrl("post", "/api/v1/mediation/cases/{applied}/accept", {}, owner="handler"),
        ObjectUrl(
            "post",
            "/api/v1/mediation/cases/{applied}/decline",
            {"reason": "不属于受理范围"},
            owner="handler",
        ),
        ObjectUrl(
            "post",
            "/api/v1/mediation/cases/{accepted}/assign",
            {"mediator": "{mediator}"},
            owner="handler",
        ),
        ObjectUrl(
            "post",
            "/api/v1/mediation/cases/{case}/sessions",
            {"starts_at": _tomorrow, "mode": "online"},
            201,
            owner="handler",
        ),
        ObjectUrl(
            "post",
            "/api/v1/mediation/cases/{case}/extend",
            {"days": 5, "both_agreed": True},
            owner="handler",
        ),
        ObjectUrl(
            "post", "/api/v1/mediation/cases/{case}/end", {"reason": "调解不成"}, owner="handler"
        ),
        ObjectUrl(
            "post",
            "/api/v1/mediation/cases/{case}/agreement",
            {"terms": "一次性支付 5,000 元", "instalments": []},
            201,
            owner="handler",
        ),
        # In mediation: a referral is refused (409) until the case ends (Art. 14).
        ObjectUrl("post", "/api/v1/mediation/cases/{case}/refer", {}, 409, owner="worker"),
        ObjectUrl("post", "/api/v1/mediation/cases/{case}/withdraw", {}, owner="worker"),
        ObjectUrl(
            "post", "/api/v1/mediation/cases/{case}/evidence", {"file": PDF}, 201, owner="worker"
        ),
        # A contract not yet signed is refused as evidence (422), not hidden.
        ObjectUrl(
            "post",
            "/api/v1/mediation/cases/{case}/contracts",
            {"envelope": "{draft}"},
            422,
            owner="worker",
        ),
        # The register is public to logged-in users: others see the mediator, are refused (403).
        ObjectUrl(
            "post",
            "/api/v1/mediation/mediators/{mediator}/trainings",
            {"hours": 6, "course": "调解实务", "completed_on": "2026-03-01"},
            201,
            owner="bureau",
            may_see=REGISTER_SEEN,
        ),
        ObjectUrl(
            "post",
            "/api/v1/mediation/mediators/{mediator}/status",
            {"status": "suspended"},
            owner="bureau",
            may_see=REGISTER_SEEN,
        ),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        org = factories.OrganisationFactory(
            name="福田街道劳动争议调解中心(测试)", kind="street", street=world.enterprise.street
        )
        mediator = factories.MediatorFactory(organisation=org, user=True)
        world.users["handler"] = mediator.user
        world.users["bureau"] = factories.UserFactory(role=Role.BUREAU_OFFICER)
        world.add("mediator", mediator)

        def case(status, name):
            employment = factories.EmploymentFactory(
                enterprise=world.enterprise, person=factories.PersonFactory(name=name)
            )
            return factories.CaseFactory(
                organisation=org,
                employment=employment,
                status=status,
                mediator=mediator,
                actor=factories.UserFactory(role=Role.BUREAU_OFFICER),
            )

        in_mediation = case(Case.Status.IN_MEDIATION, "调解中员工")
        world.add("case", in_mediation)
        world.add("applied", case(Case.Status.APPLIED, "申请员工"))
        world.add("accepted", case(Case.Status.ACCEPTED, "受理员工"))
        world.users["worker"] = factories.UserFactory(role=Role.WORKER, person=in_mediation.worker)
        draft = factories.EnvelopeFactory(
            enterprise=world.enterprise,
            person=in_mediation.worker,
            fields=factories.contract_fields(),
            created_by=world.users["owner"],
        )
        world.add("draft", draft)
        for name in ("accept", "end", "evidence"):
            world.ids[name] = name
        world.ids["kind"] = "arbitration"
