"""Who sees which contract templates."""

from django.db.models import Q, QuerySet

from accord.contracts.models import ContractTemplate, TemplateVersion
from accord.core.roles import BUREAU_ACTS, BUREAU_READS
from accord.core.scoping import scope_for

ALL_SEEING = BUREAU_READS  # accord.core.roles


@scope_for(ContractTemplate)
def templates_for(user) -> QuerySet[ContractTemplate]:
    qs = ContractTemplate.objects.select_related("enterprise")
    if user.has_role(*ALL_SEEING):
        return qs
    if not (user.enterprise_ids or user.street_ids):
        return qs.none()
    return qs.filter(
        Q(enterprise__isnull=True)
        | Q(enterprise_id__in=list(user.enterprise_ids))
        | Q(enterprise__street_id__in=list(user.street_ids))
    )


@scope_for(TemplateVersion)
def versions_for(user) -> QuerySet[TemplateVersion]:
    return TemplateVersion.objects.select_related("template").filter(
        template__in=templates_for(user)
    )


def can_edit(user, template: ContractTemplate) -> bool:
    if template.enterprise_id is None:
        return user.has_role(*BUREAU_ACTS)
    return template.enterprise_id in user.enterprise_ids
