"""People, enterprises, streets, industries, organisations, memberships, verification, tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accord.core.crypto import EncryptedTextField
from accord.core.models import AccordModel
from accord.core.roles import ROLE_ORDER, Role  # defined there, importable from here too


class Street(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name_zh = models.CharField(max_length=30)
    name_en = models.CharField(max_length=40)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name_zh


class IndustryDivision(models.Model):
    """A GB/T 4754-2017 division (大类) with its section (门类)."""

    code = models.CharField(max_length=2, unique=True)
    section = models.CharField(max_length=1, db_index=True)
    name_zh = models.CharField(max_length=60)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.section}{self.code} {self.name_zh}"


class Enterprise(AccordModel):
    class Size(models.TextChoices):
        MICRO = "micro", _("微型")
        SMALL = "small", _("小型")
        MEDIUM = "medium", _("中型")
        LARGE = "large", _("大型")

    class Status(models.TextChoices):
        ACTIVE = "active", _("存续")
        CLOSED = "closed", _("注销")

    name = models.CharField(max_length=200, db_index=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    legal_representative = models.CharField(max_length=60)
    address = models.CharField(max_length=300)
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="enterprises")
    industry = models.ForeignKey(
        IndustryDivision, on_delete=models.PROTECT, related_name="enterprises"
    )
    size = models.CharField(max_length=10, choices=Size.choices, default=Size.SMALL)
    employee_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["street", "industry"])]

    def __str__(self) -> str:
        return self.name


class Person(AccordModel):
    """A natural person: a worker, an HR user, a mediator. Identity numbers encrypted at rest."""

    class IdType(models.TextChoices):
        RESIDENT = "resident", _("居民身份证")
        HK_MACAU = "hk_macau", _("港澳居民居住证/来往内地通行证")
        TAIWAN = "taiwan", _("台湾居民居住证/来往大陆通行证")
        FOREIGN_PERMANENT = "foreign_permanent", _("外国人永久居留身份证")
        PASSPORT = "passport", _("护照")

    class Level(models.TextChoices):
        NONE = "none", _("未认证")
        CHECKSUM = "checksum", _("号码校验")
        REGISTRY = "registry", _("人口库核验")
        IN_PERSON = "in_person", _("现场核验")

    name = models.CharField(max_length=60, db_index=True)
    id_type = models.CharField(max_length=20, choices=IdType.choices, default=IdType.RESIDENT)
    id_number = EncryptedTextField()
    id_number_index = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField(max_length=40)
    phone = EncryptedTextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(max_length=20, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=1, blank=True)
    verification_level = models.CharField(max_length=12, choices=Level.choices, default=Level.NONE)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Organisation(AccordModel):
    """A mediation organisation (调解组织); mediation's own details live in that app."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10)
    street = models.ForeignKey(Street, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    public_id = models.UUIDField(unique=True, editable=False, null=True)
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="user"
    )

    def save(self, *args, **kwargs):
        if self.public_id is None:
            import uuid

            self.public_id = uuid.uuid4()
        super().save(*args, **kwargs)

    @cached_property
    def memberships_list(self) -> list[Membership]:
        return list(
            self.memberships.filter(active=True).select_related(
                "enterprise", "street", "organisation"
            )
        )

    @cached_property
    def roles(self) -> set[str]:
        roles = {m.role for m in self.memberships_list}
        if self.person_id:
            roles.add(Role.WORKER)
        if self.is_superuser:
            roles.add(Role.ADMIN)
        return roles

    @cached_property
    def primary_role(self) -> str:
        for role in ROLE_ORDER:
            if role in self.roles:
                return str(role)
        return ""

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def primary_role_label(self) -> str:
        return str(Role(self.primary_role).label) if self.primary_role else ""

    @cached_property
    def enterprise_ids(self) -> set[int]:
        return {
            m.enterprise_id for m in self.memberships_list if m.role == Role.HR and m.enterprise_id
        }

    @cached_property
    def street_ids(self) -> set[int]:
        return {
            m.street_id
            for m in self.memberships_list
            if m.role == Role.STREET_OFFICER and m.street_id
        }

    @cached_property
    def organisation_ids(self) -> set[int]:
        return {
            m.organisation_id
            for m in self.memberships_list
            if m.role == Role.MEDIATOR and m.organisation_id
        }

    @property
    def needs_totp(self) -> bool:
        from django.conf import settings

        return bool(self.roles.intersection(settings.ACCORD_TOTP_ROLES))


class Membership(AccordModel):
    """A staff role held by a user, with the scope it applies to."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    street = models.ForeignKey(Street, on_delete=models.PROTECT, null=True, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="identity_membership_scope_matches_role",
                condition=(
                    models.Q(role="hr", enterprise__isnull=False)
                    | models.Q(role="street_officer", street__isnull=False)
                    | models.Q(role="mediator", organisation__isnull=False)
                    | models.Q(role__in=["bureau_officer", "auditor", "admin"])
                ),
            )
        ]


class Employment(AccordModel):
    """A labour relationship between a person and an enterprise."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employments")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="employments")
    position = models.CharField(max_length=100, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "id"]
        indexes = [models.Index(fields=["enterprise", "end_date"])]


class ResidentRegistryRecord(models.Model):
    """The trusted resident registry an officer imports; holds only keyed hashes, no clear data."""

    id_number_index = models.CharField(max_length=64, unique=True)
    name_index = models.CharField(max_length=64)
    source = models.CharField(max_length=200)
    imported_at = models.DateTimeField(auto_now_add=True)


class IdentityVerification(AccordModel):
    """One real-name check of a person, with its evidence."""

    class Result(models.TextChoices):
        VERIFIED = "verified", _("一致")
        MISMATCH = "mismatch", _("不一致")
        UNKNOWN = "unknown", _("无法核验")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="verifications")
    verifier = models.CharField(max_length=60)
    result = models.CharField(max_length=10, choices=Result.choices)
    level = models.CharField(max_length=12, choices=Person.Level.choices)
    evidence = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]


class ApiToken(AccordModel):
    """A token for an enterprise's HR system: only its hash is stored; scoped to one enterprise."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class LoginCode(models.Model):
    """A one-time SMS code for a worker's phone login (stored hashed)."""

    phone_index = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=20, default="login")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
