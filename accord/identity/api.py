"""Identity API: enterprises, people, verification, API tokens, audit log."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from accord.core.api import SessionAuth, principal
from accord.core.errors import forbidden
from accord.core.inputs import Day
from accord.core.models import AuditEntry
from accord.core.pagination import ListMeta, filtered, page_response, paginate
from accord.core.roles import BUREAU_ACTS
from accord.core.scoping import get_scoped, scoped
from accord.identity import auth as auth_services
from accord.identity import employment, services
from accord.identity.errors import IMPORT_TOO_LARGE
from accord.identity.filters import AuditFilter, EmploymentFilter, EnterpriseFilter, PersonFilter
from accord.identity.models import ApiToken, Employment, Enterprise, Person, Role
from accord.identity.selectors import managed_enterprise

router = Router(tags=["identity"])


def require_role(request: HttpRequest, *roles: str):
    who = principal(request)
    if not who.has_role(*roles):
        raise forbidden()
    return who


class MeOut(Schema):
    username: str
    roles: list[str]
    primary_role: str
    person: UUID | None
    enterprises: list[UUID]


class EnterpriseOut(Schema):
    id: UUID
    name: str
    uscc: str
    legal_representative: str
    address: str
    street: str
    street_name: str
    industry: str
    section: str
    industry_name: str
    size: str
    employee_count: int
    status: str

    @staticmethod
    def from_model(e: Enterprise) -> dict:
        return {
            "id": e.public_id,
            "name": e.name,
            "uscc": e.uscc,
            "legal_representative": e.legal_representative,
            "address": e.address,
            "street": e.street.code,
            "street_name": e.street.name_zh,
            "industry": e.industry.code,
            "section": e.industry.section,
            "industry_name": e.industry.name_zh,
            "size": e.size,
            "employee_count": e.employee_count,
            "status": e.status,
        }


class EnterpriseList(ListMeta):
    results: list[EnterpriseOut]


class EnterpriseIn(Schema):
    name: str
    uscc: str
    legal_representative: str
    address: str
    street: str
    industry: str
    size: str = "small"
    employee_count: int = 0


class EnterprisePatch(Schema):
    name: str | None = None
    legal_representative: str | None = None
    address: str | None = None
    street: str | None = None
    industry: str | None = None
    size: str | None = None
    status: str | None = None
    employee_count: int | None = None


class PersonOut(Schema):
    id: UUID
    name: str
    id_type: str
    id_number_masked: str
    phone_masked: str
    birth_date: dt.date | None
    gender: str
    verification_level: str

    @staticmethod
    def from_model(p: Person) -> dict:
        return {
            "id": p.public_id,
            "name": p.name,
            "id_type": p.id_type,
            "id_number_masked": p.id_number_masked,
            "phone_masked": p.phone_masked,
            "birth_date": p.birth_date,
            "gender": p.gender,
            "verification_level": p.verification_level,
        }


class PersonList(ListMeta):
    results: list[PersonOut]


class PersonIn(Schema):
    name: str
    id_type: str = "resident"
    id_number: str
    phone: str = ""


class PersonalDataOut(Schema):
    id_type: str
    id_number: str
    phone: str


class VerificationOut(Schema):
    id: UUID
    result: str
    level: str
    verifier: str
    at: dt.datetime
    person_level: str


class TokenIn(Schema):
    name: str


class TokenOut(Schema):
    id: UUID
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenList(ListMeta):
    results: list[TokenOut]


class TokenCreated(TokenOut):
    token: str


class AuditOut(Schema):
    at: dt.datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: dict
    ip: str | None


class AuditList(ListMeta):
    results: list[AuditOut]


class ImportResult(Schema):
    imported: int
    updated: int
    skipped: int


@router.get("/me", response=MeOut)
def me(request: HttpRequest):
    who = principal(request)
    person = getattr(who, "person", None)
    return {
        "username": who.get_username(),
        "roles": sorted(who.roles),
        "primary_role": who.primary_role,
        "person": person.public_id if person else None,
        "enterprises": list(
            Enterprise.objects.filter(pk__in=who.enterprise_ids).values_list("public_id", flat=True)
        ),
    }


@router.get("/enterprises", response=EnterpriseList)
def list_enterprises(request: HttpRequest, page: int = 1, page_size: int = 50):
    qs = filtered(EnterpriseFilter, request.GET, scoped(Enterprise, principal(request)))
    return page_response(paginate(qs, page, page_size), EnterpriseOut.from_model)


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut)
def get_enterprise(request: HttpRequest, enterprise_id: str):
    return EnterpriseOut.from_model(get_scoped(Enterprise, principal(request), enterprise_id))


@router.post("/enterprises", response={201: EnterpriseOut})
def create_enterprise(request: HttpRequest, payload: EnterpriseIn):
    require_role(request, *BUREAU_ACTS)
    return Status(201, EnterpriseOut.from_model(services.create_enterprise(**payload.dict())))


@router.patch("/enterprises/{enterprise_id}", response=EnterpriseOut)
def update_enterprise(request: HttpRequest, enterprise_id: str, payload: EnterprisePatch):
    who = principal(request)
    enterprise = get_scoped(Enterprise, who, enterprise_id)
    changes = payload.dict(exclude_unset=True)
    if not who.has_role(*BUREAU_ACTS):
        # HR keeps its own contact details current; registration facts are the bureau's.
        if not (
            enterprise.pk in who.enterprise_ids
            and set(changes) <= {"address", "legal_representative"}
        ):
            raise forbidden()
    return EnterpriseOut.from_model(services.update_enterprise(enterprise, changes))


@router.get("/people", response=PersonList)
def list_people(request: HttpRequest, page: int = 1, page_size: int = 50):
    qs = filtered(PersonFilter, request.GET, scoped(Person, principal(request)))
    return page_response(paginate(qs, page, page_size), PersonOut.from_model)


@router.get("/people/{person_id}", response=PersonOut)
def get_person(request: HttpRequest, person_id: str):
    return PersonOut.from_model(get_scoped(Person, principal(request), person_id))


@router.get("/people/{person_id}/personal-data", response=PersonalDataOut)
def get_personal_data(request: HttpRequest, person_id: str):
    who = principal(request)
    person = get_scoped(Person, who, person_id)
    return services.reveal_personal_data(person, who).__dict__


@router.post("/people", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonIn):
    require_role(request, Role.ADMIN, Role.BUREAU_OFFICER, Role.HR)
    return Status(201, PersonOut.from_model(services.create_person(**payload.dict())))


@router.post("/people/{person_id}/verify", response=VerificationOut)
def verify_person(request: HttpRequest, person_id: str):
    who = principal(request)
    person = get_scoped(Person, who, person_id)
    if not (who.has_role(Role.ADMIN, Role.BUREAU_OFFICER, Role.HR) or who.person_id == person.pk):
        raise forbidden()
    v = services.verify_person(person)
    person.refresh_from_db()
    return {
        "id": v.public_id,
        "result": v.result,
        "level": v.level,
        "verifier": v.verifier,
        "at": v.created_at,
        "person_level": person.verification_level,
    }


@router.post("/registry/import", response=ImportResult)
def import_registry(
    request: HttpRequest, file: UploadedFile = File(...), skip_bad_rows: bool = False
):
    require_role(request, *BUREAU_ACTS)
    if file.size and file.size > 20 * 1024 * 1024:
        raise IMPORT_TOO_LARGE("file")
    return services.import_registry(
        file.read(), source=file.name or "upload", skip_bad_rows=skip_bad_rows
    )


def _token_out(t: ApiToken) -> dict:
    return {
        "id": t.public_id,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
    }


def _hr_enterprise(request: HttpRequest, enterprise_id: str) -> Enterprise:
    who = principal(request)
    enterprise = get_scoped(Enterprise, who, enterprise_id)
    if enterprise.pk not in getattr(who, "enterprise_ids", set()) or not hasattr(
        who, "memberships"
    ):
        raise forbidden()
    return enterprise


@router.get("/enterprises/{enterprise_id}/tokens", response=TokenList, auth=SessionAuth())
def list_tokens(request: HttpRequest, enterprise_id: str, page: int = 1, page_size: int = 50):
    enterprise = _hr_enterprise(request, enterprise_id)
    return page_response(
        paginate(enterprise.api_tokens.order_by("-created_at", "-id"), page, page_size),
        _token_out,
    )


@router.post(
    "/enterprises/{enterprise_id}/tokens", response={201: TokenCreated}, auth=SessionAuth()
)
def create_token(request: HttpRequest, enterprise_id: str, payload: TokenIn):
    enterprise = _hr_enterprise(request, enterprise_id)
    token, plaintext = auth_services.create_api_token(
        enterprise=enterprise, name=payload.name, created_by=request.user
    )
    return Status(201, {**_token_out(token), "token": plaintext})


@router.delete(
    "/enterprises/{enterprise_id}/tokens/{token_id}", response={204: None}, auth=SessionAuth()
)
def revoke_token(request: HttpRequest, enterprise_id: str, token_id: str):
    enterprise = _hr_enterprise(request, enterprise_id)
    token = get_scoped(ApiToken, request.user, token_id, queryset=enterprise.api_tokens.all())
    auth_services.revoke_api_token(token)
    return Status(204, None)


@router.get("/audit", response=AuditList)
def list_audit(request: HttpRequest, page: int = 1, page_size: int = 50):
    """Filters (``AuditFilter``): ``action`` (a prefix, e.g. ``envelope.``), ``object_id``."""
    qs = filtered(AuditFilter, request.GET, scoped(AuditEntry, principal(request)))
    return page_response(paginate(qs, page, page_size), _audit_out)


def _audit_out(a: AuditEntry) -> dict:
    return {
        "at": a.at,
        "actor": a.actor_label,
        "role": a.role,
        "action": a.action,
        "object_type": a.object_type,
        "object_id": a.object_id,
        "object_label": a.object_label,
        "changes": a.changes,
        "ip": a.ip,
    }


class EmploymentOut(Schema):
    id: UUID
    person: PersonOut
    enterprise: UUID
    position: str
    start_date: dt.date
    end_date: dt.date | None

    @staticmethod
    def from_model(e: Employment) -> dict:
        return {
            "id": e.public_id,
            "person": PersonOut.from_model(e.person),
            "enterprise": e.enterprise.public_id,
            "position": e.position,
            "start_date": e.start_date,
            "end_date": e.end_date,
        }


class EmploymentList(ListMeta):
    results: list[EmploymentOut]


class EmployeeIn(Schema):
    name: str
    id_type: str = "resident"
    id_number: str
    phone: str = ""
    position: str = ""
    start_date: Day


class EmploymentEnd(Schema):
    end_date: Day
    reason: str = ""


def _employer(request: HttpRequest, enterprise_id: str) -> Enterprise:
    """An enterprise the caller may register employees for: its HR, or the bureau."""
    return managed_enterprise(principal(request), enterprise_id)


@router.get("/enterprises/{enterprise_id}/employees", response=EmploymentList)
def list_employees(
    request: HttpRequest,
    enterprise_id: str,
    page: int = 1,
    page_size: int = 50,
):
    """Filters (``EmploymentFilter``): ``current`` (default true: only those without an end)."""
    enterprise = get_scoped(Enterprise, principal(request), enterprise_id)
    qs = (
        scoped(Employment, principal(request))
        .filter(enterprise=enterprise)
        .select_related("person")
    )
    qs = filtered(EmploymentFilter, request.GET, qs)
    return page_response(paginate(qs, page, page_size), EmploymentOut.from_model)


@router.post("/enterprises/{enterprise_id}/employees", response={201: EmploymentOut})
def register_employee(request: HttpRequest, enterprise_id: str, payload: EmployeeIn):
    enterprise = _employer(request, enterprise_id)
    return Status(
        201, EmploymentOut.from_model(employment.register_employee(enterprise, **payload.dict()))
    )


@router.post("/employments/{employment_id}/end", response=EmploymentOut)
def end_employment(request: HttpRequest, employment_id: str, payload: EmploymentEnd):
    who = principal(request)
    record = get_scoped(Employment, who, employment_id)
    _employer(request, str(record.enterprise.public_id))
    return EmploymentOut.from_model(
        employment.end_employment(record, payload.end_date, payload.reason)
    )
