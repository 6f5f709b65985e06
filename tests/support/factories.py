"""factory-boy factories that build objects through the real services, so that every object a
test starts from obeys the same invariants as one made by a user (valid USCC and ID numbers,
audit entries, outbox events, scoped seals and grants, rendered and hashed documents).

A factory's ``_create`` calls the service; its declarations only supply plausible arguments.
Objects without a service of their own (an organisation, a staff membership, a webhook
delivery, a TOTP device) are made with the ORM, as the services' own callers would find them.

    enterprise = EnterpriseFactory(street="futian")
    hr = UserFactory(role=Role.HR, enterprise=enterprise)
    envelope = EnvelopeFactory(enterprise=enterprise, created_by=hr, send=True)
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import Workbook

from accord.contracts import batch as sheet
from accord.contracts import templates
from accord.contracts.models import TemplateVersion
from accord.envelopes import archive, batches, drafting
from accord.envelopes.models import Batch, Envelope
from accord.identity import auth, employment, services
from accord.identity.models import (
    ApiToken,
    Employment,
    Enterprise,
    Membership,
    Organisation,
    Person,
    Role,
    Street,
    User,
)
from accord.integrations import services as integrations
from accord.integrations.models import WebhookDelivery, WebhookEndpoint
from accord.mediation import services as mediation
from accord.mediation.models import Case, Mediator
from accord.seals import approvals
from accord.seals import services as seals
from accord.seals.models import Power, Seal, SealApproval, SealGrant
from tests.support.ids import make_uscc, serial, unique_resident_id

PASSWORD = "Correct-horse-42"


def _n() -> int:
    return next(serial)


def street(code: str = "futian") -> Street:
    """A street of Futian, from the reference data the migrations load (10 streets)."""
    return Street.objects.get(code=code)


def published(code: str) -> TemplateVersion:
    """The published version of a template shipped with the platform (``labour-fixed``, …)."""
    return TemplateVersion.objects.get(template__code=code, status="published")


def contract_fields(**over) -> dict:
    """Fields of a lawful fixed-term labour contract starting in three days."""
    start = timezone.localdate() + dt.timedelta(days=3)
    fields = {
        "term_type": "fixed",
        "start_date": start.isoformat(),
        "end_date": start.replace(year=start.year + 3).isoformat(),
        "probation_end_date": (start + dt.timedelta(days=90)).isoformat(),
        "monthly_wage": "8000.00",
        "probation_wage": "6800.00",
        "job_title": "软件工程师",
        "place": "深圳市福田区",
    }
    fields.update(over)
    return fields


class ServiceFactory(factory.Factory):
    """A factory whose ``create`` is a service call (``_service``), never a bare ORM insert."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._service(**kwargs)

    @classmethod
    def _service(cls, **kwargs):  # pragma: no cover - every concrete factory defines it
        raise NotImplementedError


class EnterpriseFactory(ServiceFactory):
    """``identity.services.create_enterprise``: a valid USCC, a street and an industry."""

    class Meta:
        model = Enterprise

    class Params:
        n = factory.LazyFunction(_n)

    name = factory.LazyAttribute(lambda o: f"测试企业{o.n}有限公司")
    uscc = factory.LazyAttribute(lambda o: make_uscc(o.n * 7919))
    legal_representative = "王五"
    address = factory.LazyAttribute(lambda o: f"福田区测试路{o.n}号")
    street = "futian"
    industry = "65"

    @classmethod
    def _service(cls, **kwargs):
        return services.create_enterprise(**kwargs)


class PersonFactory(ServiceFactory):
    """``identity.services.create_person``: a resident ID number with its check digit, a phone."""

    class Meta:
        model = Person

    class Params:
        n = factory.LazyFunction(_n)

    name = "李四"
    id_number = factory.LazyAttribute(lambda o: unique_resident_id(o.n))
    phone = factory.LazyAttribute(lambda o: f"139{o.n:08d}")
    verified = False  # verified against the resident registry (the level signing needs)

    @classmethod
    def _create(cls, model_class, *args, verified=False, **kwargs):
        person = services.create_person(**kwargs)
        if verified:
            # The real-name check against the resident registry (公安人口库): the bureau's
            # registry import holds the person, then the configured verifier finds them.
            row = f"name,id_type,id_number\n{person.name},{person.id_type},{person.id_number}\n"
            services.import_registry(row.encode(), "test registry")
            services.verify_person(person)
            person.refresh_from_db()
        return person


class EmploymentFactory(ServiceFactory):
    """``identity.employment.register_employee``: the person is matched by document number."""

    class Meta:
        model = Employment

    enterprise = factory.SubFactory(EnterpriseFactory)
    person = factory.SubFactory(PersonFactory)
    # Hired three weeks before the run: a contract drafted for it is still due in time (LCL Art.
    # 10); a fixed past date would make every draft late, then deemed open-ended (Art. 14 ¶3).
    start_date = factory.LazyFunction(
        lambda: (timezone.localdate() - dt.timedelta(days=21)).isoformat()
    )
    position = ""

    @classmethod
    def _service(cls, *, enterprise, person, start_date, position):
        return employment.register_employee(
            enterprise,
            name=person.name,
            id_type=person.id_type,
            id_number=person.id_number,
            phone=person.phone,
            position=position,
            start_date=start_date,
        )


class OrganisationFactory(factory.django.DjangoModelFactory):
    """A mediation organisation (mediation's own app will bring its service)."""

    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试调解委员会{n}")
    kind = "social"


class UserFactory(factory.Factory):
    """A user with one role and its scope.

    Staff (HR, street officer, mediator, bureau, auditor, admin) get a membership and, unless
    ``totp=False``, a confirmed TOTP device (the staff login's second step); a worker is the
    login account of a person (``identity.employment.ensure_worker_account``)."""

    class Meta:
        model = User

    role = Role.HR
    enterprise = None
    street = None  # a street code, for a street officer
    organisation = None
    person = None
    totp = True
    memberships = ()  # more (role, scope dict) pairs, for a user with several roles

    @classmethod
    def _create(
        cls,
        model_class,
        *,
        role,
        enterprise,
        street,
        organisation,
        person,
        totp,
        memberships,
    ):
        n = _n()
        if role == Role.WORKER:
            person = person or PersonFactory(name=f"工人{n}")
            user = employment.ensure_worker_account(person)
            return User.objects.get(pk=user.pk)
        if role == Role.HR and enterprise is None:
            enterprise = EnterpriseFactory()
        if role == Role.STREET_OFFICER and street is None:
            street = "futian"
        if role == Role.MEDIATOR and organisation is None:
            organisation = OrganisationFactory()
        user = User.objects.create_user(username=f"{role}{n}", password=PASSWORD)
        if person is not None:
            User.objects.filter(pk=user.pk).update(person=person)
        scopes = [
            (role, {"enterprise": enterprise, "street": street, "organisation": organisation})
        ]
        for extra_role, scope in [*scopes, *memberships]:
            code = scope.get("street")
            Membership.objects.create(
                user=user,
                role=extra_role,
                enterprise=scope.get("enterprise"),
                street=Street.objects.get(code=code) if isinstance(code, str) else code,
                organisation=scope.get("organisation"),
            )
        if totp:
            TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return User.objects.get(pk=user.pk)


class ApiTokenFactory(ServiceFactory):
    """``identity.auth.create_api_token``. The plaintext, shown once, is kept on the object as
    ``plaintext`` (for an ``Authorization: Bearer`` header); ``with_secret`` returns both."""

    class Meta:
        model = ApiToken

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = "HR system"
    created_by = factory.LazyAttribute(
        lambda o: UserFactory(role=Role.HR, enterprise=o.enterprise, totp=False)
    )

    @classmethod
    def _service(cls, **kwargs):
        token, plaintext = auth.create_api_token(**kwargs)
        token.plaintext = plaintext
        return token

    @classmethod
    def with_secret(cls, **kwargs) -> tuple[ApiToken, str]:
        token = cls(**kwargs)
        return token, token.plaintext


class TemplateVersionFactory(ServiceFactory):
    """``contracts.templates.create_template`` (a draft version 1), published with
    ``publish=True`` through ``templates.publish`` (which checks LCL Art. 17 for contracts)."""

    class Meta:
        model = TemplateVersion

    enterprise = factory.SubFactory(EnterpriseFactory)
    kind = "offer"
    name = factory.Sequence(lambda n: f"本企业录用通知{n}")
    title = "录用通知书"
    sections = factory.LazyFunction(lambda: [{"text": "{{worker.name}}：欢迎。"}])
    publish = False

    @classmethod
    def _service(cls, *, publish, **kwargs):
        version = templates.create_template(**kwargs)
        return templates.publish(version) if publish else version


class EnvelopeFactory(ServiceFactory):
    """``envelopes.drafting.create_from_template``: checked, rendered and created (sent with
    ``send=True``) with the default parties — the enterprise, then the worker — as HR would."""

    class Meta:
        model = Envelope

    enterprise = factory.SubFactory(EnterpriseFactory)
    person = factory.LazyAttribute(
        lambda o: EmploymentFactory(enterprise=o.enterprise, person=PersonFactory()).person
    )
    version = factory.LazyFunction(lambda: published("labour-fixed"))
    fields = factory.LazyFunction(contract_fields)
    created_by = None
    send = False

    @classmethod
    def _service(cls, **kwargs):
        return drafting.create_from_template(**kwargs)


class SealFactory(ServiceFactory):
    """``seals.services.setup_default_seals``: the enterprise's contract seal, managed by
    ``manager`` with the use power for ``users``."""

    class Meta:
        model = Seal

    enterprise = factory.SubFactory(EnterpriseFactory)
    manager = factory.LazyAttribute(lambda o: UserFactory(role=Role.HR, enterprise=o.enterprise))
    users = ()

    @classmethod
    def _service(cls, *, enterprise, manager, users):
        return seals.setup_default_seals(enterprise, manager=manager, users=list(users))


class SealGrantFactory(ServiceFactory):
    """``seals.services.grant_power``: ``by`` (a manager of the seal) grants ``power``."""

    class Meta:
        model = SealGrant

    seal = factory.SubFactory(SealFactory)
    by = factory.LazyAttribute(lambda o: o.seal.grants.get(power=Power.MANAGE).user)
    grantee = factory.LazyAttribute(
        lambda o: UserFactory(role=Role.HR, enterprise=o.seal.enterprise, totp=False)
    )
    power = Power.AUDIT

    @classmethod
    def _service(cls, *, seal, by, grantee, power):
        return seals.grant_power(seal, user=by, grantee=grantee, power=power)


class SealApprovalFactory(ServiceFactory):
    """``seals.approvals.request_approval``: a user of the seal asks to seal one document."""

    class Meta:
        model = SealApproval

    seal = factory.SubFactory(SealFactory)
    user = None  # a holder of the use power on the seal
    document_sha256 = "d" * 64
    title = "解除通知"
    document_kind = "termination"

    @classmethod
    def _service(cls, **kwargs):
        return approvals.request_approval(kwargs.pop("seal"), **kwargs)


class WebhookEndpointFactory(ServiceFactory):
    """``integrations.services.create_endpoint``. The signing secret, shown once, is kept on
    the object as ``plaintext_secret``; ``with_secret`` returns both."""

    class Meta:
        model = WebhookEndpoint

    enterprise = factory.SubFactory(EnterpriseFactory)
    # A closed port: a ping or redelivery made by a test fails fast and reaches nobody.
    url = "http://127.0.0.1:9/hooks/accord"
    topics = ("*",)
    description = ""
    created_by = None

    @classmethod
    def _service(cls, *, topics, **kwargs):
        endpoint, secret = integrations.create_endpoint(topics=list(topics), **kwargs)
        endpoint.plaintext_secret = secret
        return endpoint

    @classmethod
    def with_secret(cls, **kwargs) -> tuple[WebhookEndpoint, str]:
        endpoint = cls(**kwargs)
        return endpoint, endpoint.plaintext_secret


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    """A delivery that gave up (dead): what HR redelivers. Deliveries are written by the outbox
    consumer, not by a service a test could call with plain arguments."""

    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_id = factory.LazyFunction(uuid.uuid4)
    topic = "identity.employment.started"
    payload = factory.LazyAttribute(lambda o: {"enterprise": str(o.endpoint.enterprise.public_id)})
    occurred_at = factory.LazyFunction(timezone.now)
    status = WebhookDelivery.Status.DEAD
    attempts = 8


def batch_sheet(rows: int = 1, first: int = 1) -> bytes:
    """A batch spreadsheet (the platform's own columns) of ``rows`` lawful contracts."""
    book = Workbook()
    ws = book.active
    ws.append([zh for _k, zh, _en, _r in sheet.COLUMNS])
    start = timezone.localdate() + dt.timedelta(days=10)
    for i in range(first, first + rows):
        n = _n()
        values = {
            "name": f"批量工人{i}",
            "id_type": "居民身份证",
            "id_number": unique_resident_id(n),
            "phone": f"136{n:08d}",
            "job_title": "操作工",
            "place": "深圳市福田区",
            "term_type": "固定期限",
            "start_date": start.isoformat(),
            "end_date": (start.replace(year=start.year + 3) - dt.timedelta(days=1)).isoformat(),
            "probation_end_date": (start + dt.timedelta(days=89)).isoformat(),
            "monthly_wage": "8000",
            "probation_wage": "6800",
            "hourly_wage": "",
        }
        ws.append([values.get(k, "") for k, _zh, _en, _r in sheet.COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class BatchFactory(ServiceFactory):
    """``envelopes.batches.upload``: a checked batch (nothing sent) of ``rows`` good rows."""

    class Meta:
        model = Batch

    class Params:
        rows = 1

    enterprise = factory.SubFactory(EnterpriseFactory)
    user = factory.LazyAttribute(lambda o: UserFactory(role=Role.HR, enterprise=o.enterprise))
    version = factory.LazyFunction(lambda: published("labour-fixed"))
    data = factory.LazyAttribute(lambda o: batch_sheet(o.rows))
    file_name = "入职名单.xlsx"
    skip_bad_rows = False

    @classmethod
    def _service(cls, **kwargs):
        return batches.upload(kwargs.pop("enterprise"), **kwargs)[0]


def archive_export(enterprise: Enterprise, user) -> dict:
    """``envelopes.archive``: an export of the enterprise's archive, started and built (the
    task's work done in line); returns its state (``id``, ``status``, …)."""
    export = archive.start_export(enterprise, user)
    return archive.build(export["id"], str(enterprise.public_id))


# ---- mediation (issue #14) ------------------------------------------------------------------


class MediatorFactory(ServiceFactory):
    """``mediation.services.register_mediator`` (备案) for a person of an organisation; with
    ``user=True`` the mediator also gets a staff login of that organisation."""

    class Meta:
        model = Mediator

    person = factory.SubFactory(PersonFactory, name="调解员")
    organisation = factory.SubFactory(OrganisationFactory)
    registered_on = dt.date(2024, 3, 1)
    qualifications = ("lawyer",)
    user = False

    @classmethod
    def _service(cls, *, person, organisation, registered_on, qualifications, user):
        login = UserFactory(role=Role.MEDIATOR, organisation=organisation) if user else None
        if login is not None:
            User.objects.filter(pk=login.pk).update(person=person)
            login = User.objects.get(pk=login.pk)
        return mediation.register_mediator(
            person=person,
            organisation=organisation,
            registered_on=registered_on,
            qualifications=list(qualifications),
            user=login,
        )


def mediation_claims(**amounts) -> list:
    """Claims by Art. 2 category, e.g. ``mediation_claims(wages=800_000)`` (fen; None where no
    money is claimed)."""
    return [
        mediation.ClaimInput(code, amount)
        for code, amount in (amounts or {"wages": 500_000}).items()
    ]


class CaseFactory(ServiceFactory):
    """``mediation.services.submit_application``: an oral application recorded by staff (Art. 12)
    for a worker of an enterprise, received by ``organisation`` today; ``status`` drives it on
    through the workflow services (accepted, in_mediation with a mediator)."""

    class Meta:
        model = Case

    organisation = factory.SubFactory(OrganisationFactory)
    employment = factory.SubFactory(EmploymentFactory)
    claims = factory.LazyFunction(mediation_claims)
    # after the employment factory's hire date (21 days ago): a dispute cannot predate the job
    knew_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=14))
    facts = "拖欠三个月工资。"
    status = Case.Status.APPLIED
    mediator = None
    actor = None

    @classmethod
    def _service(cls, *, organisation, employment, claims, knew_on, facts, status, mediator, actor):
        person = employment.person
        case = mediation.submit_application(
            mediation.Application(
                channel=Case.Channel.ORAL,
                worker_name=person.name,
                worker_phone=person.phone,
                worker=person,
                enterprise=employment.enterprise,
                enterprise_name=employment.enterprise.name,
                facts=facts,
                claims=list(claims),
                employment_started_on=employment.start_date
                if isinstance(employment.start_date, dt.date)
                else dt.date.fromisoformat(employment.start_date),
                knew_on=knew_on,
                organisation=organisation,
            )
        )
        if status in (Case.Status.ACCEPTED, Case.Status.IN_MEDIATION):
            staff = actor or UserFactory(role=Role.BUREAU_OFFICER)
            mediation.accept(case, actor=staff)
            if status == Case.Status.IN_MEDIATION:
                mediator = mediator or MediatorFactory(organisation=organisation)
                mediation.assign(case, actor=staff, mediator=mediator)
                mediation.schedule_session(
                    case,
                    actor=staff,
                    starts_at=timezone.now() + dt.timedelta(days=1),
                    mode="online",
                )
            case.refresh_from_db()
        return case
