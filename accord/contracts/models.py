"""福易签 data. The minimum wage is data with effective dates and sources (LAW.md: rules that vary
by place or year are data, not constants)."""

from __future__ import annotations

import datetime as dt

from django.db import models

from accord.core.models import AccordModel


class MinimumWage(AccordModel):
    region = models.CharField(max_length=40, default="shenzhen")
    effective_from = models.DateField()
    monthly_fen = models.PositiveIntegerField(help_text="monthly minimum wage, in fen")
    hourly_fen = models.PositiveIntegerField(help_text="part-time hourly minimum wage, in fen")
    source = models.CharField(max_length=300)

    class Confidence(models.TextChoices):
        # Checked against the text of the official notice (the bureau confirms it).
        CONFIRMED = "confirmed", "已核对官方通知"
        # The figure as published reports give it; the official text not yet checked.
        REPORTED = "reported", "据公开报道，未核对官方通知原文"
        # Not confirmed by any source we hold: to be checked before it is relied on.
        UNCONFIRMED = "unconfirmed", "未经核实"

    monthly_confidence = models.CharField(
        max_length=12, choices=Confidence.choices, default=Confidence.CONFIRMED
    )
    hourly_confidence = models.CharField(
        max_length=12, choices=Confidence.choices, default=Confidence.CONFIRMED
    )
    note = models.TextField(blank=True, help_text="how the figures were sourced, what is open")

    class Meta:
        ordering = ["region", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "effective_from"], name="contracts_minwage_once_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.effective_from}: {self.monthly_fen / 100} / {self.hourly_fen / 100}"

    @classmethod
    def in_force(cls, on: dt.date, region: str = "shenzhen") -> MinimumWage | None:
        return (
            cls.objects.filter(region=region, effective_from__lte=on)
            .order_by("-effective_from")
            .first()
        )


class DocumentKind(models.TextChoices):
    LABOUR_FIXED = "labour_fixed", "固定期限劳动合同"
    LABOUR_OPEN_ENDED = "labour_open_ended", "无固定期限劳动合同"
    LABOUR_TASK = "labour_task", "以完成一定工作任务为期限的劳动合同"
    LABOUR_PART_TIME = "labour_part_time", "非全日制用工劳动合同"
    OFFER = "offer", "录用通知书"
    CONFIRMATION = "confirmation", "转正通知书"
    CHANGE = "change", "劳动合同变更协议"
    RENEWAL = "renewal", "劳动合同续订书"
    TERMINATION = "termination", "解除（终止）劳动合同通知书"
    LEAVING_CERTIFICATE = "leaving_certificate", "离职证明"
    # Not an HR document: the mediation app drafts it from a case (劳动争议调解仲裁法 Art. 14).
    MEDIATION_AGREEMENT = "mediation_agreement", "劳动争议调解协议书"


LABOUR_CONTRACT_KINDS = {
    DocumentKind.LABOUR_FIXED,
    DocumentKind.LABOUR_OPEN_ENDED,
    DocumentKind.LABOUR_TASK,
    DocumentKind.LABOUR_PART_TIME,
}


class ContractTemplate(AccordModel):
    """A template of one document kind; the platform's (enterprise empty) or an enterprise's own."""

    enterprise = models.ForeignKey(
        "identity.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contract_templates",
    )
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    name = models.CharField(max_length=200)
    code = models.SlugField(
        max_length=60, blank=True, help_text="stable key of a platform template"
    )

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="contracts_template_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_labour_contract(self) -> bool:
        return self.kind in LABOUR_CONTRACT_KINDS


class TemplateVersion(AccordModel):
    """One version of a template. Published versions never change; a change is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        RETIRED = "retired", "已停用"

    template = models.ForeignKey(
        ContractTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(max_length=200)
    sections = models.JSONField(default=list)
    body_sha256 = models.CharField(max_length=64, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="contracts_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"
