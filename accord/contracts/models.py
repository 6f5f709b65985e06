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
