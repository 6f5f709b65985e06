from django.db import migrations


def load(apps, schema_editor):
    from accord.identity.reference import DIVISIONS, STREETS

    Street = apps.get_model("identity", "Street")
    IndustryDivision = apps.get_model("identity", "IndustryDivision")
    for code, zh, en in STREETS:
        Street.objects.update_or_create(code=code, defaults={"name_zh": zh, "name_en": en})
    for code, section, zh in DIVISIONS:
        IndustryDivision.objects.update_or_create(code=code, defaults={"section": section, "name_zh": zh})


class Migration(migrations.Migration):
    dependencies = [("identity", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
