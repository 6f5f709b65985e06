"""Filters shared by the list pages and the API (one shape for every object, as in NetBox)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accord.core.crypto import blind_index
from accord.identity.models import Enterprise, Person
from accord.identity.reference import SECTIONS, STREETS

STREET_CHOICES = [(code, _(zh)) for code, zh, _en in STREETS]
SECTION_CHOICES = [(k, format_lazy("{} {}", k, _(v[0]))) for k, v in SECTIONS.items()]


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("名称或信用代码"))
    street = django_filters.ChoiceFilter(
        field_name="street__code", label=_("街道"), choices=STREET_CHOICES
    )
    section = django_filters.ChoiceFilter(
        field_name="industry__section", label=_("行业门类"), choices=SECTION_CHOICES
    )
    industry = django_filters.CharFilter(field_name="industry__code", label=_("行业大类代码"))
    size = django_filters.ChoiceFilter(choices=Enterprise.Size.choices, label=_("规模"))
    status = django_filters.ChoiceFilter(choices=Enterprise.Status.choices, label=_("状态"))

    class Meta:
        model = Enterprise
        fields: list[str] = []

    def search(self, qs, name, value):
        value = value.strip()
        if len(value) == 18 and value.isalnum():
            return qs.filter(uscc=value.upper())
        return qs.filter(name__icontains=value)


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("姓名、证件号或手机号"))
    verification_level = django_filters.ChoiceFilter(
        choices=Person.Level.choices, label=_("认证级别")
    )
    enterprise = django_filters.UUIDFilter(method="by_enterprise", label=_("企业"))

    class Meta:
        model = Person
        fields: list[str] = []

    def search(self, qs, name, value):
        value = value.strip().upper()
        if not value:
            return qs
        # Encrypted fields are found by their blind index, exactly, never by substring.
        exact = Q(
            id_number_index__in=[
                blind_index(f"{t}:{value}", "id") for t, _ in Person.IdType.choices
            ]
        )
        exact |= Q(phone_index=blind_index(value, "phone"))
        return qs.filter(exact | Q(name__startswith=value))

    def by_enterprise(self, qs, name, value):
        return qs.filter(
            employments__enterprise__public_id=value, employments__end_date__isnull=True
        )
