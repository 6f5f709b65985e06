"""Demo mediation data: the 135 registered mediators of the 26 organisations in Futian's
proportions (37 district, 89 street, 6 social-organisation, 3 platform-enterprise), their
training and workload, and cases in every state — a few hundred at small scale, 100,000 at
district scale — drawn from the demo people and their employers with one seeded RNG.

Historical cases that reached agreement carry an agreement signed on paper (线下签署): no
e-signature is pretended. The demo worker 张三 has a case in mediation with the demo enterprise,
and the demo mediator's organisation has new applications to accept.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from stdnum.cn import ric

from accord.core.crypto import blind_index, mask_id_number, mask_phone
from accord.identity import demo_gen
from accord.identity.models import Employment, Organisation, Person, User
from accord.identity.services import person_index
from accord.identity.validators import clean_resident_id
from accord.mediation import clock
from accord.mediation.models import (
    MONEY_CLAIMS,
    Agreement,
    Case,
    Claim,
    ClaimCategory,
    Mediator,
    TrainingRecord,
)
from accord.mediation.services.base import calendar, new_case_number

#: Registered mediators per organisation kind (issue #14): 37 + 89 + 6 + 3 = 135.
MEDIATORS_BY_KIND = {"district": 37, "street": 89, "social": 6, "platform": 3}
CASES = {"small": 360, "district": 100_000}
# Share of cases by state: most conclude, a few are still open or were declined.
STATE_WEIGHTS = {
    Case.Status.APPLIED: 6,
    Case.Status.ACCEPTED: 6,
    Case.Status.IN_MEDIATION: 10,
    Case.Status.AGREED: 42,
    Case.Status.ENDED: 14,
    Case.Status.EXPIRED: 6,
    Case.Status.REFERRED: 10,
    Case.Status.DECLINED: 3,
    Case.Status.WITHDRAWN: 3,
}
CLAIM_WEIGHTS = {
    ClaimCategory.WAGES: 40,
    ClaimCategory.COMPENSATION: 22,
    ClaimCategory.DISMISSAL: 10,
    ClaimCategory.SOCIAL_INSURANCE: 8,
    ClaimCategory.HOURS: 6,
    ClaimCategory.CONTRACT: 5,
    ClaimCategory.RELATIONSHIP: 4,
    ClaimCategory.INJURY_MEDICAL: 3,
    ClaimCategory.WELFARE: 1,
    ClaimCategory.OTHER: 1,
}
QUALIFICATIONS = [q for q, _label in Mediator.Qualification.choices]
COURSES = ["劳动争议调解实务", "《劳动争议调解仲裁法》解读", "调解技巧与沟通", "工资支付与欠薪处置"]
CHUNK = 5_000


def _resident_id(rng: random.Random, places: list[str]) -> str:
    """A resident ID with a real birth-place code (stdnum's table, as identity's demo people)."""
    birth = dt.date(1966, 1, 1) + dt.timedelta(days=rng.randrange(365 * 25))
    first17 = f"{rng.choice(places)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def _phone(rng: random.Random) -> str:
    return rng.choice(demo_gen.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _mediators(rng: random.Random, gen: demo_gen.Generator, today: dt.date) -> list[Mediator]:
    """The 135 mediators: people with a valid ID number (its birth date and gender) and a phone,
    registered (备案) with an organisation."""
    orgs: dict[str, list[Organisation]] = {}
    for org in Organisation.objects.order_by("id"):
        orgs.setdefault(org.kind, []).append(org)
    places = [code for codes in demo_gen.area_codes().values() for code in codes]
    mediators, people = [], []
    taken: set[str] = set()
    n = 0
    for kind, count in MEDIATORS_BY_KIND.items():
        pool = orgs.get(kind, [])
        for i in range(count if pool else 0):
            n += 1
            while True:
                number, phone = _resident_id(rng, places), _phone(rng)
                index, phone_index = person_index("resident", number), blind_index(phone, "phone")
                if index in taken or phone_index in taken:
                    continue
                if phone.startswith(demo_gen.RESERVED_PHONE_PREFIX):
                    continue
                clash = Q(id_number_index=index) | Q(phone_index=phone_index)
                if Person.objects.filter(clash).exists():
                    continue
                break
            taken |= {index, phone_index}
            number, birth, gender = clean_resident_id(number)
            person = Person(
                name=gen.person_name(rng, gender == "M"),
                id_number=number,
                id_number_index=index,
                id_number_masked=mask_id_number(number),
                phone=phone,
                phone_index=phone_index,
                phone_masked=mask_phone(phone),
                birth_date=birth,
                gender=gender,
                verification_level=Person.Level.CHECKSUM,
            )
            people.append(person)
            org = pool[i % len(pool)]
            registered = today - dt.timedelta(days=rng.randrange(60, 365 * 6))
            mediators.append(
                Mediator(
                    person=person,
                    organisation=org,
                    registration_number=f"FTTJ{registered.year}-{org.pk:02d}-{n:04d}",
                    registered_on=registered,
                    qualifications=rng.sample(QUALIFICATIONS, rng.randint(1, 2)),
                    status=Mediator.Status.ACTIVE
                    if rng.random() < 0.95
                    else Mediator.Status.SUSPENDED,
                )
            )
    # One bulk write, as identity's demo people: the load is audited once (demo.load).
    Person.objects.bulk_create(people)
    Mediator.objects.bulk_create(mediators)
    trainings = []
    day_of_year = max(today.timetuple().tm_yday - 1, 1)
    for m in mediators:
        for _ in range(rng.randint(1, 4)):
            day = dt.date(today.year, 1, 1) + dt.timedelta(days=rng.randrange(day_of_year))
            trainings.append(
                TrainingRecord(
                    mediator=m,
                    year=day.year,
                    hours=rng.choice([4, 6, 8, 12]),
                    course=rng.choice(COURSES),
                    completed_on=day,
                )
            )
    TrainingRecord.objects.bulk_create(trainings)
    return mediators


def _link_demo_mediator(mediators: list[Mediator]) -> None:
    """The ``mediator`` demo account is the first registered mediator of the district centre."""
    user = User.objects.filter(username="mediator").first()
    if user is None:
        return
    district = next((m for m in mediators if m.organisation.kind == "district"), None)
    if district is not None:
        Mediator.objects.filter(pk=district.pk).update(user=user)


@transaction.atomic
def load(scale: str = "small", *, seed: int = 20260101) -> int:
    """Mediators and cases (once); returns the number of cases made."""
    if Mediator.objects.exists() or not Organisation.objects.exists():
        return 0
    rng = random.Random(f"mediation:{seed}")
    gen = demo_gen.Generator(seed, {})
    today = timezone.localdate()
    mediators = _mediators(rng, gen, today)
    _link_demo_mediator(mediators)
    made = make_cases(CASES.get(scale, CASES["small"]), seed=seed)
    _demo_worker_case(today, calendar())
    return made


def make_cases(total: int, *, seed: int = 20260101) -> int:
    """``total`` more cases in every state, drawn from the demo people and their employers."""
    rng = random.Random(f"mediation-cases:{seed}:{Case.objects.count()}")
    today = timezone.localdate()
    by_org: dict[int, list[Mediator]] = {}
    for m in Mediator.objects.filter(status=Mediator.Status.ACTIVE):
        by_org.setdefault(m.organisation_id, []).append(m)
    orgs = list(Organisation.objects.select_related("street").order_by("id"))
    street_centres = {o.street_id: o for o in orgs if o.kind == "street"}
    district = next(o for o in orgs if o.kind == "district")
    others = [o for o in orgs if o.kind in ("social", "platform")]
    employments = list(
        Employment.objects.select_related("enterprise", "person")
        .exclude(person__phone="")
        .order_by("id")[:20_000]
    )
    if not employments:
        return 0
    cal = calendar()
    states, state_w = zip(*STATE_WEIGHTS.items(), strict=True)
    claims_k, claims_w = zip(*CLAIM_WEIGHTS.items(), strict=True)
    made = 0
    used_numbers: set[str] = set()
    while made < total:
        cases, claims, agreements = [], [], []
        for _ in range(min(CHUNK, total - made)):
            em = rng.choice(employments)
            state = rng.choices(states, state_w)[0]
            roll = rng.random()
            org = (
                street_centres.get(em.enterprise.street_id, district)
                if roll < 0.62
                else district
                if roll < 0.9
                else rng.choice(others)
            )
            open_state = state in Case.OPEN
            days_ago = rng.randrange(0, 14) if open_state else rng.randrange(20, 540)
            received_on = today - dt.timedelta(days=days_ago)
            received_at = timezone.make_aware(
                dt.datetime.combine(received_on, dt.time(9 + rng.randrange(8), rng.randrange(60)))
            )
            deadline = clock.mediation_deadline(received_on, cal)
            if (
                state in (Case.Status.APPLIED, Case.Status.ACCEPTED, Case.Status.IN_MEDIATION)
                and deadline < today
            ):
                deadline = today + dt.timedelta(days=rng.randrange(1, 10))
            k = rng.choices([1, 2, 3], [60, 30, 10])[0]
            cats = list(dict.fromkeys(rng.choices(claims_k, claims_w, k=k)))
            cat_claims = []
            for cat in cats:
                amount = rng.randrange(2_000, 120_000) * 100 if cat in MONEY_CLAIMS else None
                cat_claims.append((cat, amount))
            claimed = sum(a or 0 for _, a in cat_claims)
            number = new_case_number(received_on)
            while number in used_numbers:
                number = new_case_number(received_on)
            used_numbers.add(number)
            collective = rng.random() < 0.03
            wages = ClaimCategory.WAGES in cats
            migrant = wages and rng.random() < 0.25
            mediator = None
            if state not in (Case.Status.APPLIED, Case.Status.DECLINED) and by_org.get(org.pk):
                mediator = rng.choice(by_org[org.pk])
            close_after = rng.randrange(2, 16)
            closed_on = (
                None if open_state else min(received_on + dt.timedelta(days=close_after), today)
            )
            if state == Case.Status.EXPIRED:
                closed_on = deadline + dt.timedelta(days=1)
            recovered = int(claimed * rng.uniform(0.5, 0.95)) if state == Case.Status.AGREED else 0
            case = Case(
                public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                number=number,
                organisation=org,
                street_id=em.enterprise.street_id,
                channel=rng.choices(list(Case.Channel.values), [60, 15, 25])[0],
                applicant_side=Case.Side.WORKER,
                status=state,
                worker=em.person,
                worker_name=em.person.name,
                worker_phone=em.person.phone,
                worker_phone_index=em.person.phone_index,
                worker_phone_masked=em.person.phone_masked,
                enterprise=em.enterprise,
                enterprise_name=em.enterprise.name,
                facts="（演示数据）劳动者与用人单位就上述事项发生争议，协商未果，申请调解。",
                employment_started_on=em.start_date,
                employment_ended_on=em.end_date,
                knew_on=received_on - dt.timedelta(days=rng.randrange(5, 200)),
                received_on=received_on,
                received_at=received_at,
                accepted_on=received_on + dt.timedelta(days=1)
                if state not in (Case.Status.APPLIED, Case.Status.DECLINED, Case.Status.WITHDRAWN)
                else None,
                mediation_deadline=deadline,
                decline_reason="不属于劳动争议调解受理范围"
                if state == Case.Status.DECLINED
                else "",
                mediator=mediator,
                urgent=migrant,
                migrant_worker=migrant,
                collective=collective,
                worker_count=rng.randrange(10, 40) if collective else 1,
                claimed_fen=claimed,
                recovered_fen=recovered,
                closed_on=closed_on,
                end_reason="双方分歧较大，调解不成" if state == Case.Status.ENDED else "",
                referred_on=closed_on if state == Case.Status.REFERRED else None,
            )
            if case.knew_on and em.start_date and case.knew_on < em.start_date:
                case.knew_on = em.start_date
            cases.append(case)
            claims.extend(Claim(case=case, category=c, amount_fen=a) for c, a in cat_claims)
            if state == Case.Status.AGREED:
                agreements.append(
                    Agreement(
                        case=case,
                        terms="（线下签署的调解协议书）",
                        total_fen=recovered,
                        status=Agreement.Status.EFFECTIVE,
                        effective_on=closed_on,
                    )
                )
        Case.objects.bulk_create(cases)
        Claim.objects.bulk_create(claims)
        Agreement.objects.bulk_create(agreements)
        made += len(cases)
    return made


def _demo_worker_case(today: dt.date, cal) -> None:
    """张三's unpaid-overtime case with the demo enterprise, in mediation with the demo mediator."""
    worker = Person.objects.filter(phone_index=blind_index(demo_gen.WORKER_PHONE, "phone")).first()
    mediator = (
        Mediator.objects.filter(user__username="mediator").select_related("organisation").first()
    )
    if worker is None or mediator is None:
        return
    em = Employment.objects.filter(
        person=worker, enterprise__name=demo_gen.HR_ENTERPRISE[0]
    ).first()
    if em is None:
        return
    received = today - dt.timedelta(days=3)
    case = Case.objects.create(
        number=new_case_number(received),
        organisation=mediator.organisation,
        street=em.enterprise.street,
        channel=Case.Channel.WORKER_ONLINE,
        applicant_side=Case.Side.WORKER,
        status=Case.Status.IN_MEDIATION,
        worker=worker,
        worker_name=worker.name,
        worker_phone=demo_gen.WORKER_PHONE,
        worker_phone_index=worker.phone_index,
        worker_phone_masked=mask_phone(demo_gen.WORKER_PHONE),
        enterprise=em.enterprise,
        enterprise_name=em.enterprise.name,
        facts="2026 年 9 月至 11 月每周六加班，单位未支付加班工资，多次向人事部门反映未果。",
        employment_started_on=em.start_date,
        knew_on=received - dt.timedelta(days=20),
        received_on=received,
        received_at=timezone.now() - dt.timedelta(days=3),
        accepted_on=received,
        mediation_deadline=clock.mediation_deadline(received, cal),
        mediator=mediator,
        assigned_at=timezone.now() - dt.timedelta(days=2),
        claimed_fen=864_000,
    )
    Claim.objects.create(
        case=case, category=ClaimCategory.WAGES, amount_fen=864_000, description="加班工资 12 天"
    )
