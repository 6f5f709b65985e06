"""The roles of Accord and the named sets of them, defined once (DESIGN.md, "Who may see what").

A gate that needs "the bureau, read-only or more" says ``user.has_role(*BUREAU_READS)``; it never
spells the roles out again. Whether a user may act for one enterprise is not a role set but a
relation: ``accord.identity.selectors.may_act_for``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    WORKER = "worker", _("劳动者")
    HR = "hr", _("企业人事")
    MEDIATOR = "mediator", _("调解员")
    STREET_OFFICER = "street_officer", _("街道工作人员")
    BUREAU_OFFICER = "bureau_officer", _("人力资源局工作人员")
    AUDITOR = "auditor", _("审计员")
    ADMIN = "admin", _("系统管理员")


# Most powerful first: the primary role of a user with several memberships.
ROLE_ORDER = (
    Role.ADMIN,
    Role.BUREAU_OFFICER,
    Role.AUDITOR,
    Role.STREET_OFFICER,
    Role.MEDIATOR,
    Role.HR,
    Role.WORKER,
)

#: The bureau and its auditors read every enterprise's records (the auditor read-only).
BUREAU_READS = frozenset({Role.ADMIN, Role.BUREAU_OFFICER, Role.AUDITOR})
#: The bureau acts on any enterprise's behalf: registers and ends employments, manages its
#: settings and batches, imports the resident registry.
BUREAU_ACTS = frozenset({Role.ADMIN, Role.BUREAU_OFFICER})
#: Roles that see identity numbers and phones in full (each view audited); a person always sees
#: their own.
PERSONAL_DATA_ROLES = frozenset({Role.ADMIN, Role.BUREAU_OFFICER, Role.HR})
#: Roles that read the audit log unscoped; HR reads the entries of its own enterprise.
AUDIT_READS = frozenset({Role.ADMIN, Role.AUDITOR})
#: The enterprise's records pages (documents, seals, batches): its HR and the bureau, scoped.
ENTERPRISE_RECORD_READS = BUREAU_READS | {Role.HR}
#: The district overview (counts by street and industry): the bureau and the street offices.
DISTRICT_READS = BUREAU_READS | {Role.STREET_OFFICER}
#: Roles that open the enterprise and people lists (each scoped to what the user may see).
REGISTER_READS = DISTRICT_READS | {Role.HR}
#: Staff who may bind an authenticator while logged in (HR need one to seal; the others have
#: theirs from their first login).
AUTHENTICATOR_ROLES = frozenset(
    {Role.HR, Role.ADMIN, Role.BUREAU_OFFICER, Role.STREET_OFFICER, Role.MEDIATOR}
)
