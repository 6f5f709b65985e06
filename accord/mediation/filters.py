"""The case and mediator lists' filters: the same FilterSet for the page and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from accord.identity.reference import ORGANISATION_KINDS
from accord.mediation.models import Case, ClaimCategory, Mediator

KIND_CHOICES = [(code, _(zh)) for code, zh, _en in ORGANISATION_KINDS]


class CaseFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(
        field_name="number", lookup_expr="istartswith", label=_("案件编号")
    )
    status = django_filters.ChoiceFilter(choices=Case.Status.choices, label=_("状态"))
    kind = django_filters.ChoiceFilter(
        field_name="organisation__kind", choices=KIND_CHOICES, label=_("调解组织类型")
    )
    claim = django_filters.ChoiceFilter(
        field_name="claims__category",
        choices=ClaimCategory.choices,
        label=_("争议类别"),
        distinct=True,
    )
    urgent = django_filters.BooleanFilter(label=_("紧急（农民工欠薪）"))
    collective = django_filters.BooleanFilter(label=_("集体争议"))

    class Meta:
        model = Case
        fields = ["number", "status", "kind", "claim", "urgent", "collective"]


class MediatorFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(
        field_name="person__name", lookup_expr="startswith", label=_("姓名")
    )
    kind = django_filters.ChoiceFilter(
        field_name="organisation__kind", choices=KIND_CHOICES, label=_("调解组织类型")
    )
    status = django_filters.ChoiceFilter(choices=Mediator.Status.choices, label=_("状态"))

    class Meta:
        model = Mediator
        fields = ["name", "kind", "status"]
