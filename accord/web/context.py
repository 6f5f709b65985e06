"""Role-aware navigation for every page."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# (url name, label, roles that see it; None = everyone logged in)
NAV = [
    ("web:home", _("首页"), None),
    (
        "web:enterprise_list",
        _("企业"),
        {"admin", "bureau_officer", "auditor", "street_officer", "hr"},
    ),
    ("web:person_list", _("人员"), {"admin", "bureau_officer", "auditor", "street_officer", "hr"}),
    ("envelopes:hr_list", _("电子文件"), {"admin", "bureau_officer", "auditor", "hr"}),
    ("web:audit_list", _("审计日志"), {"admin", "auditor", "hr"}),
    ("web:registry_import", _("导入人口库"), {"admin", "bureau_officer"}),
    ("web:staff_accounts", _("账号管理"), {"admin"}),
    ("envelopes:worker_documents", _("我的文件"), {"worker"}),
    ("web:inbox", _("消息"), None),
]


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        roles = user.roles
        items = [
            (name, label) for name, label, allowed in NAV if allowed is None or roles & allowed
        ]
    return {
        "nav_items": items,
        "debug_pages": settings.DEBUG,
        "large_type": request.COOKIES.get("large_type") == "1",
        "site_title": "福田区和谐劳动关系服务平台",
    }
