"""What leads where: the role-aware main navigation, and the links that higher apps' pages add
to identity's enterprise and employment pages. The site composes the apps, so it is the one
place that names every app's pages; a lower app draws the links it is given."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accord.core.pages import PageLink, add_page_links
from accord.core.roles import (
    AUDIT_READS,
    BUREAU_ACTS,
    BUREAU_READS,
    DISTRICT_READS,
    REGISTER_READS,
    Role,
)
from accord.identity.selectors import may_act_for, reads_enterprise_records
from accord.identity.views import EMPLOYMENT_LINKS, ENTERPRISE_LINKS

# (url name, label, roles that see it; None = everyone logged in)
NAV: list[tuple[str, Any, frozenset[str] | None]] = [
    ("web:home", _("首页"), None),
    ("web:enterprise_list", _("企业"), REGISTER_READS),
    ("web:person_list", _("人员"), REGISTER_READS),
    ("envelopes:hr_list", _("电子文件"), BUREAU_READS | {Role.HR}),
    ("web:audit_list", _("审计日志"), AUDIT_READS | {Role.HR}),
    ("web:registry_import", _("导入人口库"), BUREAU_ACTS),
    ("web:staff_accounts", _("账号管理"), frozenset({Role.ADMIN})),
    ("envelopes:worker_documents", _("我的文件"), frozenset({Role.WORKER})),
    ("mediation:case_list", _("调解"), None),
    ("mediation:statistics", _("调解统计"), DISTRICT_READS | {Role.MEDIATOR}),
    ("web:inbox", _("消息"), None),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the main navigation of this user, and where to log out."""
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        roles = user.roles
        items = [
            (name, label) for name, label, allowed in NAV if allowed is None or roles & allowed
        ]
    return {"nav_items": items, "logout_url": reverse("web:logout")}


def _acts_in_its_name(user: Any, enterprise: Any) -> bool:
    return may_act_for(user, enterprise, in_its_name=True)


def _reads_employment(user: Any, employment: Any) -> bool:
    return reads_enterprise_records(user, employment.enterprise)


def register_page_links() -> None:
    """Called once, when the site app is ready."""
    add_page_links(
        ENTERPRISE_LINKS,
        PageLink("seals:enterprise_seals", _("电子印章"), _acts_in_its_name),
        PageLink("integrations:enterprise_webhooks", _("Webhook 通知"), _acts_in_its_name),
        PageLink("envelopes:hr_new", _("新建电子文件"), _acts_in_its_name),
        PageLink("envelopes:batch_list", _("批量发起合同"), _acts_in_its_name),
        PageLink("envelopes:workspace", _("合同工作台"), reads_enterprise_records),
    )
    add_page_links(
        EMPLOYMENT_LINKS, PageLink("envelopes:hr_timeline", _("文件时间线"), _reads_employment)
    )
