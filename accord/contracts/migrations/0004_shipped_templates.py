import hashlib
import json

from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    from accord.contracts.shipped import TEMPLATES

    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    TemplateVersion = apps.get_model("contracts", "TemplateVersion")
    for code, kind, name, title, sections in TEMPLATES:
        template, _ = ContractTemplate.objects.get_or_create(code=code, defaults={"kind": kind, "name": name})
        if not template.versions.exists():
            body = json.dumps({"title": title, "sections": sections}, ensure_ascii=False, sort_keys=True)
            TemplateVersion.objects.create(
                template=template, number=1, status="published", title=title, sections=sections,
                body_sha256=hashlib.sha256(body.encode()).hexdigest(), published_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("contracts", "0003_contracttemplate_templateversion_and_more")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
