"""Forms of the HR envelope pages: the list filter and the structured fields of a new envelope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accord.contracts.models import LABOUR_CONTRACT_KINDS, DocumentKind
from accord.envelopes.models import Envelope

# The document kinds in English (DocumentKind's labels are the Chinese names).
KIND_LABELS: dict[str, Any] = {
    DocumentKind.LABOUR_FIXED: _("固定期限劳动合同"),
    DocumentKind.LABOUR_OPEN_ENDED: _("无固定期限劳动合同"),
    DocumentKind.LABOUR_TASK: _("以完成一定工作任务为期限的劳动合同"),
    DocumentKind.LABOUR_PART_TIME: _("非全日制用工劳动合同"),
    DocumentKind.OFFER: _("录用通知书"),
    DocumentKind.CONFIRMATION: _("转正通知书"),
    DocumentKind.CHANGE: _("劳动合同变更协议"),
    DocumentKind.RENEWAL: _("劳动合同续订书"),
    DocumentKind.TERMINATION: _("解除（终止）劳动合同通知书"),
    DocumentKind.LEAVING_CERTIFICATE: _("离职证明"),
    DocumentKind.MEDIATION_AGREEMENT: _("劳动争议调解协议书"),
}
KIND_CHOICES = [(k, KIND_LABELS[k]) for k in DocumentKind.values]
TERM_OF_KIND = {
    DocumentKind.LABOUR_FIXED: "fixed",
    DocumentKind.LABOUR_OPEN_ENDED: "open_ended",
    DocumentKind.LABOUR_TASK: "task",
    DocumentKind.LABOUR_PART_TIME: "part_time",
}

_CONTRACT_COMMON = [
    "start_date",
    "probation_end_date",
    "monthly_wage",
    "probation_wage",
    "job_title",
    "place",
    "hours_system",
    "hours_description",
    "pay_day",
    "social_insurance",
    "protection",
    "worker_address",
    "non_compete_months",
    "position_category",
    "non_compete_compensation",
    "hourly_wage",  # full-time by the hour: held to the monthly minimum per hour
]
# Clauses the law forbids or bounds (LCL Art. 9, 22, 25, 84) and the worker's choice of term
# (Art. 14 ¶2): asked in every labour contract so the legal check sees them.
_CONTRACT_PROMISES = [
    "penalty_service_period",
    "service_period_penalty",
    "training_cost",
    "penalty_non_compete",
    "penalty_other",
    "deposit",
    "holds_id_documents",
]
# What the platform cannot know of the past (paper contracts before it): HR may add it.
_CONTRACT_PAST = ["prior_written_contract", "consecutive_fixed_terms"]
_CONTRACT_COMMON += [*_CONTRACT_PROMISES, *_CONTRACT_PAST, "worker_requested_fixed_term"]
# Which structured fields (drafting.create_from_template's names) each kind asks for.
FIELDS_OF_KIND: dict[str, list[str]] = {
    DocumentKind.LABOUR_FIXED: ["start_date", "end_date", *_CONTRACT_COMMON[1:]],
    DocumentKind.LABOUR_OPEN_ENDED: [
        f for f in _CONTRACT_COMMON if f != "worker_requested_fixed_term"
    ],
    DocumentKind.LABOUR_TASK: [
        f for f in _CONTRACT_COMMON if f not in ("probation_end_date", "probation_wage")
    ],
    DocumentKind.LABOUR_PART_TIME: [
        "start_date",
        "hourly_wage",
        "monthly_wage",
        "daily_hours",
        "weekly_hours",
        "pay_cycle_days",
        "job_title",
        "place",
        "hours_description",
        "pay_day",
        "worker_address",
        "deposit",
        "holds_id_documents",
    ],
    DocumentKind.OFFER: ["start_date", "job_title", "place", "monthly_wage"],
    DocumentKind.CONFIRMATION: ["confirm_date", "monthly_wage"],
    DocumentKind.CHANGE: [
        "change_effective_date",
        "change_description",
        "job_title",
        "place",
        "monthly_wage",
    ],
    DocumentKind.RENEWAL: ["renewal_end_date", "worker_requested_fixed_term"],
    DocumentKind.TERMINATION: ["leave_date", "leave_reason"],
    DocumentKind.LEAVING_CERTIFICATE: ["leave_date", "job_title"],
}
# The form's three boxes as the check-up's ``penalties`` (LCL Art. 22, 23, 25).
PENALTY_FIELDS = {
    "penalty_service_period": "service_period",
    "penalty_non_compete": "non_compete",
    "penalty_other": "other",
}
REQUIRED_OF_KIND: dict[str, set[str]] = {
    DocumentKind.CONFIRMATION: {"confirm_date"},
    DocumentKind.CHANGE: {"change_effective_date", "change_description"},
    DocumentKind.RENEWAL: {"renewal_end_date"},
    DocumentKind.TERMINATION: {"leave_date", "leave_reason"},
    DocumentKind.LEAVING_CERTIFICATE: {"leave_date"},
}

HOURS_CHOICES = [
    ("standard", _("标准工时制")),
    ("comprehensive", _("综合计算工时工作制")),
    ("flexible", _("不定时工作制")),
]
CATEGORY_CHOICES = [
    ("other", _("一般岗位")),
    ("senior_manager", _("高级管理人员")),
    ("senior_technical", _("高级技术人员")),
    ("confidential", _("其他负有保密义务的人员")),
]


def _date(label, help_text=""):
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _money(label, help_text=""):
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class ScopedChoiceField(forms.ChoiceField):
    """A choice among the enterprise's own objects. Whether a value may be used is the service's
    to say, as for the API: another enterprise's object is "not found" there, not a form error."""

    def valid_value(self, value) -> bool:
        return True


class ScopedMultipleChoiceField(forms.MultipleChoiceField):
    def valid_value(self, value) -> bool:
        return True


class EnvelopeFieldsForm(forms.Form):
    """Every structured field; the page shows the ones of the chosen kind (FIELDS_OF_KIND)."""

    template_version = ScopedChoiceField(label=_("模板"))
    title = forms.CharField(label=_("文件标题（可留空）"), required=False, max_length=200)
    start_date = _date(_("开始日期"))
    end_date = _date(_("终止日期"), _("固定期限合同必填"))
    probation_end_date = _date(_("试用期截止日期"), _("不约定试用期请留空"))
    monthly_wage = _money(_("月工资（元）"))
    probation_wage = _money(_("试用期工资（元）"), _("不得低于约定工资的 80%"))
    hourly_wage = _money(_("小时工资（元）"))
    job_title = forms.CharField(label=_("工作岗位"), required=False, max_length=200)
    place = forms.CharField(label=_("工作地点"), required=False, max_length=200)
    hours_system = forms.ChoiceField(label=_("工时制度"), choices=HOURS_CHOICES, required=False)
    hours_description = forms.CharField(label=_("工作时间说明"), required=False, max_length=2000)
    pay_day = forms.IntegerField(label=_("每月发薪日"), required=False, min_value=1, max_value=31)
    social_insurance = forms.CharField(label=_("社会保险补充约定"), required=False, max_length=2000)
    protection = forms.CharField(label=_("劳动保护补充约定"), required=False, max_length=2000)
    worker_address = forms.CharField(label=_("劳动者住址"), required=False, max_length=200)
    non_compete_months = forms.IntegerField(
        label=_("竞业限制期限（月）"), required=False, min_value=0, max_value=120
    )
    position_category = forms.ChoiceField(
        label=_("人员类别"), choices=CATEGORY_CHOICES, required=False
    )
    non_compete_compensation = _money(
        _("竞业限制期间每月经济补偿（元）"), _("约定竞业限制的，须按月支付经济补偿")
    )
    daily_hours = forms.DecimalField(
        label=_("平均每日工作小时数"), required=False, min_value=0, max_value=24, decimal_places=1
    )
    weekly_hours = forms.DecimalField(
        label=_("每周工作小时数"), required=False, min_value=0, max_value=168, decimal_places=1
    )
    pay_cycle_days = forms.IntegerField(
        label=_("工资结算周期（天）"), required=False, min_value=1, max_value=366
    )
    penalty_service_period = forms.BooleanField(
        label=_("约定服务期违约金（单位出资专项培训）"), required=False
    )
    service_period_penalty = _money(_("服务期违约金（元）"))
    training_cost = _money(_("单位支付的专项培训费用（元）"))
    penalty_non_compete = forms.BooleanField(label=_("约定竞业限制违约金"), required=False)
    penalty_other = forms.BooleanField(label=_("约定其他由劳动者承担的违约金"), required=False)
    deposit = _money(_("向劳动者收取的押金或担保（元）"), _("法律禁止收取，请留空"))
    holds_id_documents = forms.BooleanField(label=_("单位保管劳动者身份证等证件"), required=False)
    prior_written_contract = forms.BooleanField(
        label=_("此前已与该劳动者订立过书面劳动合同（含纸质合同）"), required=False
    )
    consecutive_fixed_terms = forms.IntegerField(
        label=_("此前连续订立的固定期限劳动合同次数（含纸质合同）"),
        required=False,
        min_value=0,
        max_value=50,
    )
    worker_requested_fixed_term = forms.BooleanField(
        label=_("劳动者本人提出订立固定期限合同"), required=False
    )
    change_effective_date = _date(_("变更生效日期"))
    change_description = forms.CharField(
        label=_("变更内容"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm_date = _date(_("转正日期"))
    renewal_end_date = _date(_("续订期限至"))
    leave_date = _date(_("解除（终止）日期"))
    leave_reason = forms.CharField(label=_("解除（终止）原因"), required=False, max_length=2000)
    # Parties and sending
    signers = ScopedMultipleChoiceField(
        label=_("盖章经办人（不选则本单位任一有用印权限的人事均可盖章）"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    legal_rep = ScopedChoiceField(label=_("法定代表人签字（可选）"), required=False)
    deadline = _date(_("签署截止日期"), _("默认发送后 7 天"))

    def __init__(self, *args, kind: str, templates, hr_users, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["template_version"].choices = [
            (str(v.public_id), f"{v.template.name} v{v.number}") for v in templates
        ]
        self.fields["signers"].choices = [
            (str(u.public_id), u.person.name if u.person_id else u.username) for u in hr_users
        ]
        self.fields["legal_rep"].choices = [("", _("不需要"))] + [
            (str(p.public_id), p.name) for p in people
        ]
        for name in REQUIRED_OF_KIND.get(kind, ()):
            self.fields[name].required = True
        if kind in LABOUR_CONTRACT_KINDS or kind == DocumentKind.OFFER:
            self.fields["start_date"].required = True
        if kind == DocumentKind.LABOUR_FIXED:
            self.fields["end_date"].required = True
        for name, field in self.fields.items():
            checkbox = name == "signers" or isinstance(field, forms.BooleanField)
            css = "form-check-input" if checkbox else "form-control"
            if isinstance(field.widget, forms.Select) and name != "signers":
                css = "form-select"
            field.widget.attrs.setdefault("class", css)

    def kind_fields(self) -> list:
        """The bound fields of this kind, in order."""
        return [self[name] for name in FIELDS_OF_KIND[self.kind]]

    def structured(self) -> dict:
        """The cleaned fields of this kind as drafting.create_from_template expects them."""
        data: dict = {}
        for name in FIELDS_OF_KIND[self.kind]:
            value = self.cleaned_data.get(name)
            if name in PENALTY_FIELDS:
                if value:
                    data.setdefault("penalties", []).append(PENALTY_FIELDS[name])
                continue
            if value in (None, "", False):
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif hasattr(value, "quantize"):
                value = f"{value:.2f}"
            data[name] = value
        if self.kind in TERM_OF_KIND:
            data["term_type"] = TERM_OF_KIND[self.kind]
        return data

    def deadline_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("deadline")
        if not day:
            return None
        # The end of that day in Shanghai time.
        return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


class EnvelopeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("劳动者姓名、文件编号或标题"))
    status = django_filters.ChoiceFilter(choices=Envelope.Status.choices, label=_("状态"))
    kind = django_filters.ChoiceFilter(choices=KIND_CHOICES, label=_("文件类型"))
    enterprise = django_filters.UUIDFilter(
        field_name="enterprise__public_id", widget=forms.HiddenInput, label=_("企业")
    )

    class Meta:
        model = Envelope
        fields: list[str] = []

    def search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(number__iexact=value) | Q(person__name__icontains=value) | Q(title__icontains=value)
        )
