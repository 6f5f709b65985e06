"""Who may see webhook endpoints and deliveries: HR of the enterprise (or its API token) and
the bureau. Outside that scope an endpoint is a 404 (docs/architecture.md, "Who may see what")."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.core.roles import BUREAU_READS
from accord.core.scoping import scope_for
from accord.integrations.models import WebhookDelivery, WebhookEndpoint

SEE_ALL = BUREAU_READS  # accord.core.roles


@scope_for(WebhookEndpoint)
def endpoints_for(user) -> QuerySet[WebhookEndpoint]:
    qs = WebhookEndpoint.objects.select_related("enterprise")
    if user.has_role(*SEE_ALL):
        return qs
    return qs.filter(enterprise_id__in=list(user.enterprise_ids))


@scope_for(WebhookDelivery)
def deliveries_for(user) -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.select_related("endpoint__enterprise")
    if user.has_role(*SEE_ALL):
        return qs
    return qs.filter(endpoint__enterprise_id__in=list(user.enterprise_ids))
