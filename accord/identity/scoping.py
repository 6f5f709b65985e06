"""Who may see which enterprises, people and audit entries (DESIGN.md, "Who may see what")."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accord.core.models import AuditEntry
from accord.core.roles import AUDIT_READS, BUREAU_READS, PERSONAL_DATA_ROLES
from accord.core.scoping import scope_for
from accord.identity.models import Employment, Enterprise, Person

__all__ = [
    "audit_for",
    "can_see_personal_data",
    "employments_for",
    "enterprises_for",
    "people_for",
]


@scope_for(Enterprise)
def enterprises_for(user) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.select_related("street", "industry")
    if user.has_role(*BUREAU_READS):
        return qs
    cond = Q(pk__in=list(user.enterprise_ids)) | Q(street_id__in=list(user.street_ids))
    if getattr(user, "person_id", None):
        cond |= Q(employments__person_id=user.person_id)
    return qs.filter(cond).distinct() if getattr(user, "person_id", None) else qs.filter(cond)


@scope_for(Person)
def people_for(user) -> QuerySet[Person]:
    qs = Person.objects.all()
    if user.has_role(*BUREAU_READS):
        return qs
    cond = Q(pk__in=[user.person_id] if getattr(user, "person_id", None) else [])
    if user.enterprise_ids or user.street_ids:
        employed = Employment.objects.filter(
            Q(enterprise_id__in=list(user.enterprise_ids))
            | Q(enterprise__street_id__in=list(user.street_ids))
        ).values("person_id")
        cond |= Q(pk__in=employed)
    return qs.filter(cond)


@scope_for(Employment)
def employments_for(user) -> QuerySet[Employment]:
    qs = Employment.objects.select_related("enterprise", "person")
    if user.has_role(*BUREAU_READS):
        return qs
    cond = Q(enterprise_id__in=list(user.enterprise_ids)) | Q(
        enterprise__street_id__in=list(user.street_ids)
    )
    if getattr(user, "person_id", None):
        cond |= Q(person_id=user.person_id)
    return qs.filter(cond)


@scope_for(AuditEntry)
def audit_for(user) -> QuerySet[AuditEntry]:
    if user.has_role(*AUDIT_READS):
        return AuditEntry.objects.all()
    if user.enterprise_ids:
        # HR sees what happened to their own enterprise's objects.
        return AuditEntry.objects.filter(enterprise_id__in=list(user.enterprise_ids))
    return AuditEntry.objects.none()


def can_see_personal_data(user, person: Person) -> bool:
    if getattr(user, "person_id", None) == person.pk:
        return True
    return user.has_role(*PERSONAL_DATA_ROLES)
