"""Mediation: mediators of the 26 organisations, cases with their claims, evidence, sessions,
clock events, agreements with their instalments (issue #14; 《劳动争议调解仲裁法》).

The organisation itself is ``identity.Organisation`` (name, kind, street): the scope of a
mediator's membership. Personal data of an applicant who has no account yet (their phone and
identity number) is encrypted at rest beside a blind index and a masked form, as identity's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accord.core.crypto import EncryptedTextField
from accord.core.models import AccordModel


class ClaimCategory(models.TextChoices):
    """The disputes of Art. 2 of the Mediation and Arbitration Law, one code each (public: the
    time-limit check and the API take these codes)."""

    RELATIONSHIP = "relationship", _("确认劳动关系")
    CONTRACT = "contract", _("订立、履行、变更、解除和终止劳动合同")
    DISMISSAL = "dismissal", _("除名、辞退、辞职、离职")
    HOURS = "hours", _("工作时间、休息休假")
    SOCIAL_INSURANCE = "social_insurance", _("社会保险")
    WELFARE = "welfare", _("福利、培训、劳动保护")
    WAGES = "wages", _("劳动报酬")
    INJURY_MEDICAL = "injury_medical", _("工伤医疗费")
    COMPENSATION = "compensation", _("经济补偿或者赔偿金")
    OTHER = "other", _("法律、法规规定的其他劳动争议")


#: Claims that are about money: an amount in fen is required (issue #14 "Bad input").
MONEY_CLAIMS = frozenset(
    {
        ClaimCategory.WAGES,
        ClaimCategory.INJURY_MEDICAL,
        ClaimCategory.COMPENSATION,
        ClaimCategory.SOCIAL_INSURANCE,
    }
)
#: Art. 16: an unperformed agreement on these may go to court for a payment order.
PAYMENT_ORDER_CLAIMS = frozenset(
    {ClaimCategory.WAGES, ClaimCategory.INJURY_MEDICAL, ClaimCategory.COMPENSATION}
)


class Mediator(AccordModel):
    """A registered (备案) mediator of one organisation."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        SUSPENDED = "suspended", _("暂停")
        RETIRED = "retired", _("已注销")

    class Qualification(models.TextChoices):
        LAWYER = "lawyer", _("律师")
        LEGAL = "legal", _("法律职业资格")
        HR_PRO = "hr_professional", _("人力资源管理师")
        UNION = "union", _("工会干部")
        SOCIAL_WORKER = "social_worker", _("社会工作者")
        LABOUR_OFFICER = "labour_officer", _("劳动保障协理员")
        PSYCHOLOGY = "psychology", _("心理咨询")

    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="mediators"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediator",
    )
    registration_number = models.CharField(max_length=30, unique=True)
    registered_on = models.DateField()
    qualifications = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    max_open_cases = models.PositiveSmallIntegerField(default=15)

    class Meta:
        ordering = ["organisation_id", "registration_number"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.registration_number}）"


class TrainingRecord(AccordModel):
    """Hours of training a mediator completed (《劳动争议调解工作规范》: yearly hours)."""

    mediator = models.ForeignKey(Mediator, on_delete=models.CASCADE, related_name="trainings")
    year = models.PositiveSmallIntegerField()
    hours = models.PositiveSmallIntegerField()
    course = models.CharField(max_length=200)
    completed_on = models.DateField()

    class Meta:
        ordering = ["-completed_on", "id"]
        indexes = [models.Index(fields=["mediator", "year"])]


class Relationship(AccordModel):
    """A registered relationship of a mediator with an enterprise or a person: a conflict of
    interest that bars them from that party's cases."""

    class Kind(models.TextChoices):
        EMPLOYED = "employed", _("曾任职或现任职")
        RELATIVE = "relative", _("近亲属")
        COUNSEL = "counsel", _("代理人或法律顾问")
        SHAREHOLDER = "shareholder", _("投资人或股东")

    mediator = models.ForeignKey(Mediator, on_delete=models.CASCADE, related_name="relationships")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        "identity.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)


class Case(AccordModel):
    """One labour dispute brought to a mediation organisation."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("已申请")
        ACCEPTED = "accepted", _("已受理")
        DECLINED = "declined", _("不予受理")
        IN_MEDIATION = "in_mediation", _("调解中")
        AGREED = "agreed", _("达成协议")
        ENDED = "ended", _("调解不成")
        EXPIRED = "expired", _("调解期满")
        REFERRED = "referred", _("已转仲裁")
        WITHDRAWN = "withdrawn", _("已撤回")

    OPEN = (Status.APPLIED, Status.ACCEPTED, Status.IN_MEDIATION)
    # The Art. 14 period runs in these: the organisation has the application.
    CLOCK_RUNNING = (Status.APPLIED, Status.ACCEPTED, Status.IN_MEDIATION)

    class Channel(models.TextChoices):
        WORKER_ONLINE = "worker_online", _("劳动者网上申请")
        EMPLOYER = "employer", _("用人单位申请")
        ORAL = "oral", _("口头申请（工作人员记录）")

    class Side(models.TextChoices):
        WORKER = "worker", _("劳动者")
        EMPLOYER = "employer", _("用人单位")

    number = models.CharField(max_length=30, unique=True)
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="cases"
    )
    street = models.ForeignKey(
        "identity.Street", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=14, choices=Channel.choices)
    applicant_side = models.CharField(max_length=10, choices=Side.choices)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.APPLIED)
    # The worker: a registered person when known, else the details the application gave.
    worker = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    worker_name = models.CharField(max_length=60)
    worker_phone = EncryptedTextField(blank=True)
    worker_phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    worker_phone_masked = models.CharField(max_length=20, blank=True)
    worker_id_number = EncryptedTextField(blank=True)
    worker_id_number_masked = models.CharField(max_length=40, blank=True)
    enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    enterprise_name = models.CharField(max_length=200)
    # Art. 12: the facts and the time of an oral application are recorded.
    facts = EncryptedTextField()
    employment_started_on = models.DateField(null=True, blank=True)
    employment_ended_on = models.DateField(null=True, blank=True)
    knew_on = models.DateField(null=True, blank=True)
    received_on = models.DateField()
    received_at = models.DateTimeField()
    accepted_on = models.DateField(null=True, blank=True)
    mediation_deadline = models.DateField(null=True, blank=True, db_index=True)
    deadline_warned_on = models.DateField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    mediator = models.ForeignKey(
        Mediator, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    urgent = models.BooleanField(default=False)
    migrant_worker = models.BooleanField(default=False)
    collective = models.BooleanField(default=False)
    worker_count = models.PositiveIntegerField(default=1)
    claimed_fen = models.BigIntegerField(default=0)
    recovered_fen = models.BigIntegerField(default=0)
    closed_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=500, blank=True)
    referred_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-received_at"]),
            models.Index(fields=["street", "status"]),
            models.Index(fields=["enterprise", "status"]),
            models.Index(fields=["worker", "status"]),
            models.Index(fields=["status", "mediation_deadline"]),
            models.Index(fields=["received_on"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Claim(AccordModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claims")
    category = models.CharField(max_length=20, choices=ClaimCategory.choices, db_index=True)
    amount_fen = models.BigIntegerField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["case", "id"]


class Representative(AccordModel):
    """An elected representative of a collective case (Art. 7)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="representatives")
    name = models.CharField(max_length=60)
    phone = EncryptedTextField(blank=True)
    phone_masked = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["case", "id"]


class Evidence(AccordModel):
    class Kind(models.TextChoices):
        UPLOAD = "upload", _("上传的材料")
        CONTRACT = "contract", _("福易签已签文件")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # A signed 福易签 document: its envelope and the ledger entry that proves it.
    envelope = models.ForeignKey(
        "envelopes.Envelope", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ledger_index = models.BigIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["case", "id"]


class Session(AccordModel):
    """A mediation session, in person or online."""

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("现场调解")
        ONLINE = "online", _("线上视频调解")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("已安排")
        HELD = "held", _("已举行")
        CANCELLED = "cancelled", _("已取消")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField()
    mode = models.CharField(max_length=10, choices=Mode.choices)
    place = models.CharField(max_length=200, blank=True)
    room = models.CharField(max_length=100, blank=True)
    join_url = models.CharField(max_length=400, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    minutes = models.TextField(blank=True)
    present = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["case", "starts_at"]


class ClockEvent(AccordModel):
    """An event on the case's clocks: an interruption or suspension of the Art. 27 limitation,
    or an extension of the mediation period agreed by both parties."""

    class Kind(models.TextChoices):
        INTERRUPTION = "interruption", _("时效中断")
        SUSPENSION_START = "suspension_start", _("时效中止开始")
        SUSPENSION_END = "suspension_end", _("时效中止结束")
        EXTENSION = "extension", _("双方同意延长调解期限")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clock_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    on = models.DateField()
    days = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["case", "on", "id"]


class Agreement(AccordModel):
    """The mediation agreement (调解协议书), signed through an envelope (Art. 14)."""

    class Status(models.TextChoices):
        SIGNING = "signing", _("签署中")
        EFFECTIVE = "effective", _("已生效")
        VOID = "void", _("未生效")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="agreement")
    terms = models.TextField()
    total_fen = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SIGNING)
    envelope = models.OneToOneField(
        "envelopes.Envelope", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    effective_on = models.DateField(null=True, blank=True)
    # The signed document with the organisation's seal over it, and that seal's ledger entry.
    final_sha256 = models.CharField(max_length=64, blank=True)
    ledger_index = models.BigIntegerField(null=True, blank=True)


class Instalment(AccordModel):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="instalments")
    due_on = models.DateField()
    amount_fen = models.BigIntegerField()
    paid_on = models.DateField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["agreement", "due_on", "id"]


class PhoneCode(models.Model):
    """A code texted to an applicant without an account (apply, follow a case)."""

    phone_index = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)


class CalendarDay(models.Model):
    """A day of the State Council's holiday schedule that the shipped calendar lacks or gets
    wrong (next year's schedule, published each November): a holiday, or a swapped working day."""

    day = models.DateField(unique=True)
    is_workday = models.BooleanField()
    name = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["day"]


class MeetingJoin(models.Model):
    """Who joined an online session, and when (the local meeting provider records it)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="joins")
    name = models.CharField(max_length=60)
    side = models.CharField(max_length=20)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "joined_at"]
