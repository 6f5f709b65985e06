"""The shipped templates, reviewed (issue #11): each party line carries the place of its seal or
signature, the term is stated once, an optional field's sentence stands alone so that it is left
out when the field is empty. A shipped template whose published text differs from shipped.py
gets a new published version; the old one is retired (documents made from it keep it)."""

import hashlib
import json

from django.db import migrations
from django.utils import timezone


def publish_reviewed(apps, schema_editor):
    from accord.contracts.shipped import TEMPLATES

    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    TemplateVersion = apps.get_model("contracts", "TemplateVersion")
    for code, kind, name, title, sections in TEMPLATES:
        template, _ = ContractTemplate.objects.get_or_create(
            code=code, defaults={"kind": kind, "name": name}
        )
        current = template.versions.filter(status="published").order_by("-number").first()
        if current is not None and current.title == title and current.sections == sections:
            continue
        body = json.dumps(
            {"title": title, "sections": sections}, ensure_ascii=False, sort_keys=True
        )
        last = template.versions.order_by("-number").first()
        template.versions.filter(status="published").update(status="retired")
        TemplateVersion.objects.create(
            template=template,
            number=(last.number + 1) if last else 1,
            status="published",
            title=title,
            sections=sections,
            body_sha256=hashlib.sha256(body.encode()).hexdigest(),
            published_at=timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0006_shenzhen_minimum_wage_sources")]
    operations = [migrations.RunPython(publish_reviewed, migrations.RunPython.noop)]
