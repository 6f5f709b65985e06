"""Demo envelopes for `make run`: the demo enterprise's seals and two envelopes to try.

- a contract seal (合同专用章) and an official seal (公章) managed by ``sealmgr`` and used by ``hr``
  (separation of duties: the manager does not seal);
- a wage change agreement (LCL Art. 35) for the demo worker 张三, sent and waiting for HR's seal;
- a fixed-term labour contract draft for a colleague.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accord.contracts.models import TemplateVersion
from accord.core.context import Actor, acting_as
from accord.core.crypto import blind_index
from accord.envelopes import drafting
from accord.envelopes.models import Envelope
from accord.identity import demo_gen
from accord.identity.models import Employment, Enterprise, Person, User
from accord.seals import services as seals
from accord.seals.models import Seal
from accord.signing import pki


def load_demo() -> int:
    """Create the demo seals and envelopes (once); returns the number of envelopes made."""
    enterprise = Enterprise.objects.filter(name=demo_gen.HR_ENTERPRISE[0]).first()
    hr = User.objects.filter(username="hr").first()
    manager = User.objects.filter(username="sealmgr").first()
    if enterprise is None or hr is None or manager is None:
        return 0
    if Envelope.objects.filter(enterprise=enterprise).exists():
        return 0
    pki.ensure_platform()
    with acting_as(Actor(user_id=manager.pk, label=manager.username, role="hr")):
        seals.setup_default_seals(enterprise, manager=manager, users=[hr])
        if not Seal.objects.filter(enterprise=enterprise, kind=Seal.Kind.OFFICIAL).exists():
            official = seals.create_seal(
                enterprise, user=manager, name="公章", kind=Seal.Kind.OFFICIAL
            )
            seals.grant_power(official, user=manager, grantee=hr, power="use")
    made = 0
    worker = Person.objects.filter(phone_index=blind_index(demo_gen.WORKER_PHONE, "phone")).first()
    today = timezone.localdate()
    with acting_as(Actor(user_id=hr.pk, label=hr.username, role="hr")):
        if worker is not None:
            # A change agreement needs a signed contract first (LCL Art. 35, lifecycle.py): the
            # demo worker is sent the written labour contract to sign (LCL Art. 10).
            start = today + dt.timedelta(days=3)
            drafting.create_from_template(
                enterprise=enterprise,
                person=worker,
                version=_published("labour-fixed"),
                fields={
                    "term_type": "fixed",
                    "start_date": start.isoformat(),
                    "end_date": start.replace(year=start.year + 3).isoformat(),
                    "monthly_wage": "13500.00",
                    "job_title": "软件工程师",
                    "place": "深圳市福田区",
                    # He has worked here for years under paper contracts the platform never saw:
                    # this electronic one is not his first (LCL Art. 10, 14 ¶3).
                    "prior_written_contract": True,
                },
                created_by=hr,
                send=True,
            )
            made += 1
        colleague = (
            Employment.objects.filter(
                enterprise=enterprise,
                end_date__isnull=True,
                # Under ten years here: a fixed term is still lawful (LCL Art. 14 ¶2 (1)).
                start_date__gt=today - dt.timedelta(days=365 * 9),
            )
            .exclude(person=worker)
            .select_related("person")
            .order_by("id")
            .first()
        )
        if colleague is not None and colleague.person.phone:
            start = today + dt.timedelta(days=3)
            drafting.create_from_template(
                enterprise=enterprise,
                person=colleague.person,
                version=_published("labour-fixed"),
                fields={
                    "term_type": "fixed",
                    "start_date": start.isoformat(),
                    "end_date": start.replace(year=start.year + 3).isoformat(),
                    "probation_end_date": (start + dt.timedelta(days=90)).isoformat(),
                    "monthly_wage": "9000.00",
                    "probation_wage": "7500.00",
                    "job_title": colleague.position or "行政专员",
                    "place": "深圳市福田区",
                    "prior_written_contract": True,  # paper contracts before the platform
                },
                created_by=hr,
                employment=colleague,
            )
            made += 1
    return made


def _published(code: str) -> TemplateVersion:
    return TemplateVersion.objects.get(template__code=code, status="published")
