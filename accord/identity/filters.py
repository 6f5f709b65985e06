"""Filters shared by the list pages and the API (one shape for every object, as in NetBox).

The searches are written so that PostgreSQL answers them from an index at district scale
(300,000 enterprises, 2.2 million people; migration 0003_search_indexes, docs/benchmarks.md):

- a person's name by prefix: ``name COLLATE "C" LIKE '王%'`` is a range of the index on
  ``(name COLLATE "C", id)``, read in that order, so the first page is the first 50 entries
  of the range (the default-collation ``name`` index can neither serve ``LIKE`` nor be
  walked to the range: that walk took 6–9 s);
- identity numbers and phones (encrypted) by their blind index, exactly, only when the text
  could be one: an OR with the name prefix would make PostgreSQL filter every row;
- an enterprise's name by substring: a GIN index of the bigrams (two-character pieces) of
  ``UPPER(name)``. Not pg_trgm: the usual Chinese search term is two characters (科技, 华为),
  which has no trigram, so a trigram index left those as a scan of every enterprise (2 × 200 ms
  for the count and the page). PostgreSQL keeps statistics of the bigrams, so a term in nearly
  every name (有限, 深圳) is read in name order instead and stops after a page.
"""

from __future__ import annotations

import re

import django_filters
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import CharField, F, Func, Q, TextField, Value
from django.db.models.functions import Collate, Upper
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accord.core.crypto import blind_index
from accord.core.models import AuditEntry
from accord.identity.models import Employment, Enterprise, Person
from accord.identity.reference import SECTIONS, STREETS

STREET_CHOICES = [(code, _(zh)) for code, zh, _en in STREETS]
SECTION_CHOICES = [(k, format_lazy("{} {}", k, _(v[0]))) for k, v in SECTIONS.items()]

# Every identity document number and phone number the validators accept (validators.py:
# resident ID, HK/Macau and Taiwan permits, foreign permanent residence, passport, mobile).
DOCUMENT_OR_PHONE = re.compile(r"[0-9A-Z]{5,20}")


class Bigrams(Func):
    """``accord_bigrams(text)``: the distinct two-character pieces of a text (migration
    identity 0003_search_indexes, PostgreSQL only)."""

    function = "accord_bigrams"
    output_field = ArrayField(TextField())


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
        if connection.vendor == "postgresql" and len(value) >= 2:
            # The name's bigrams hold the term's bigrams: a GIN index answers, LIKE confirms.
            qs = qs.alias(name_bigrams=Bigrams(Upper("name"))).filter(
                name_bigrams__contains=Bigrams(Upper(Value(value)))
            )
        if value.upper() == value.lower():
            # No letter with a case (Chinese): compare the name itself, whose statistics tell
            # PostgreSQL how common the term is; UPPER(name) has none.
            return qs.filter(name__contains=value)
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
        if connection.vendor == "postgresql":
            by_name = Q(name_c__startswith=value)
            qs = qs.alias(name_c=Collate("name", "C"))
        else:
            by_name = Q(name__startswith=value)
        if not DOCUMENT_OR_PHONE.fullmatch(value):
            if connection.vendor == "postgresql":
                qs = qs.order_by("name_c", "id")
            return qs.filter(by_name)
        # Encrypted fields are found by their blind index, exactly, never by substring.
        exact = Q(
            id_number_index__in=[
                blind_index(f"{t}:{value}", "id") for t, _ in Person.IdType.choices
            ]
        )
        exact |= Q(phone_index=blind_index(value, "phone"))
        return qs.filter(exact | by_name)

    def by_enterprise(self, qs, name, value):
        # By the enterprise's key, not a join on its public id: PostgreSQL then knows from its
        # statistics whether the enterprise has eight employees or eight thousand.
        key = Enterprise.objects.filter(public_id=value).values_list("pk", flat=True).first()
        qs = qs.filter(employments__enterprise_id=key, employments__end_date__isnull=True)
        if connection.vendor == "postgresql" and not self.form.cleaned_data.get("q"):
            # An enterprise's people are few enough to sort; left to itself PostgreSQL walks the
            # name index of every person in the district and filters, 10× slower for the
            # largest enterprise (docs/benchmarks.md). An expression no index can serve makes it
            # fetch the enterprise's people and sort them, in the same order.
            qs = qs.alias(
                name_sorted=Func(F("name"), Value(""), function="CONCAT", output_field=CharField())
            ).order_by("name_sorted", "id")
        return qs


class EmploymentFilter(django_filters.FilterSet):
    """The employees of an enterprise; by default only the current ones (no end date)."""

    current = django_filters.BooleanFilter(method="only_current", label=_("仅在职"))

    class Meta:
        model = Employment
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("current", "true")
        super().__init__(data, *args, **kwargs)

    def only_current(self, qs, name, value):
        return qs.filter(end_date__isnull=True) if value else qs


class AuditFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", label=_("操作")
    )
    object_id = django_filters.CharFilter(field_name="object_id", label=_("对象编号"))

    class Meta:
        model = AuditEntry
        fields: list[str] = []
