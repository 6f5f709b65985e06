"""Contract templates: versions, the Art. 17 check on publishing, previews."""

from __future__ import annotations

import hashlib
import json
import uuid

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accord.contracts.clauses import check_art17, check_sections
from accord.contracts.errors import (
    KIND_UNKNOWN,
    NOT_DRAFT,
    SECTIONS_REQUIRED,
    TEMPLATE_NOT_FOUND,
    TOO_MANY_SECTIONS,
)
from accord.contracts.models import ContractTemplate, DocumentKind, TemplateVersion
from accord.contracts.render import render_pdf
from accord.core import audit
from accord.core.errors import REQUIRED, ProblemList


def _body_hash(title: str, sections: list[dict]) -> str:
    body = json.dumps({"title": title, "sections": sections}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _clean_sections(sections) -> list[dict]:
    if not isinstance(sections, list) or not sections:
        raise SECTIONS_REQUIRED("sections")
    if len(sections) > 200:
        raise TOO_MANY_SECTIONS("sections")
    problems = ProblemList(check_sections(sections))
    problems.raise_if_any()
    return [
        {
            "clause": s.get("clause") or "",
            "heading": str(s.get("heading", ""))[:200],
            "text": str(s["text"])[:20000],
        }
        for s in sections
    ]


@transaction.atomic
def create_template(*, enterprise, kind: str, name: str, title: str, sections) -> TemplateVersion:
    if kind not in DocumentKind.values:
        raise KIND_UNKNOWN("kind")
    if not name.strip():
        raise REQUIRED("name")
    template = ContractTemplate.objects.create(
        enterprise=enterprise, kind=kind, name=name.strip()[:200]
    )
    version = TemplateVersion.objects.create(
        template=template,
        number=1,
        title=(title or name).strip()[:200],
        sections=_clean_sections(sections),
    )
    audit.record(
        "contracts.template.create", template, enterprise_id=getattr(enterprise, "pk", None)
    )
    return version


@transaction.atomic
def new_version(template: ContractTemplate, *, title: str, sections) -> TemplateVersion:
    template = ContractTemplate.objects.select_for_update().get(pk=template.pk)
    number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = TemplateVersion.objects.create(
        template=template,
        number=number,
        title=title.strip()[:200],
        sections=_clean_sections(sections),
    )
    audit.record(
        "contracts.template.new_version",
        version,
        enterprise_id=template.enterprise_id,
        changes={"number": [None, number]},
    )
    return version


@transaction.atomic
def publish(version: TemplateVersion) -> TemplateVersion:
    """A labour contract is published only with every clause of LCL Art. 17."""
    version = (
        TemplateVersion.objects.select_for_update().select_related("template").get(pk=version.pk)
    )
    if version.status != TemplateVersion.Status.DRAFT:
        raise NOT_DRAFT("status")
    if version.template.is_labour_contract:
        ProblemList(check_art17(version.sections)).raise_if_any()
    version.template.versions.filter(status=TemplateVersion.Status.PUBLISHED).update(
        status=TemplateVersion.Status.RETIRED
    )
    version.status = TemplateVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.body_sha256 = _body_hash(version.title, version.sections)
    version.save(update_fields=["status", "published_at", "body_sha256", "updated_at"])
    audit.record(
        "contracts.template.publish",
        version,
        enterprise_id=version.template.enterprise_id,
        changes={"status": ["draft", "published"], "body_sha256": [None, version.body_sha256]},
    )
    return version


def preview(version: TemplateVersion, values: dict[str, str] | None = None) -> bytes:
    """The version rendered with the given values, or as a blank form (every placeholder a
    blank to fill in) without any."""
    return render_pdf(
        version.title,
        version.sections,
        values or {},
        footer=f"{version.template.name} v{version.number}",
        blanks=not values,
    )


# ---- which versions an enterprise may use (issue #10: the one home of this rule) -------------


def usable_versions(enterprise, kind: str | None = None) -> QuerySet[TemplateVersion]:
    """The published versions of the shipped templates and of the enterprise's own; another
    enterprise's templates, and drafts or retired versions, are not usable."""
    qs = (
        TemplateVersion.objects.filter(status=TemplateVersion.Status.PUBLISHED)
        .filter(Q(template__enterprise__isnull=True) | Q(template__enterprise=enterprise))
        .select_related("template")
    )
    if kind:
        qs = qs.filter(template__kind=kind)
    return qs.order_by("template__enterprise_id", "template__name", "-number")


def usable_version(enterprise, public_id, field: str = "template_version") -> TemplateVersion:
    """One usable version by public id; anything else (another enterprise's, a draft, garbage)
    is ``contracts.template_not_found`` (404: never say it exists)."""
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except (TypeError, ValueError, AttributeError):
        raise TEMPLATE_NOT_FOUND(field) from None
    version = usable_versions(enterprise).filter(public_id=key).first()
    if version is None:
        raise TEMPLATE_NOT_FOUND(field)
    return version
