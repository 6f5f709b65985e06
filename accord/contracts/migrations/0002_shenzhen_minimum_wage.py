"""Shenzhen's minimum wage as published by the Guangdong provincial government.

Officers keep this table current with `accord minimum-wage add` when a new standard is
published; the rows below are the standards in force since 2018 (docs/contracts-legal-checks.md).
"""

import datetime as dt

from django.db import migrations

ROWS = [
    (dt.date(2018, 7, 1), 220000, 2030, "粤府函〔2018〕187号：深圳市月最低工资 2200 元，非全日制小时最低工资 20.3 元"),
    (dt.date(2022, 7, 1), 236000, 2220, "深圳市人力资源和社会保障局公布：自 2022 年 7 月 1 日起月最低工资 2360 元，非全日制小时最低工资 22.2 元"),
    (dt.date(2025, 3, 1), 252000, 2370, "广东省人民政府 2025 年调整最低工资标准：深圳市自 2025 年 3 月 1 日起月最低工资 2520 元，非全日制小时最低工资 23.7 元"),
]


def load(apps, schema_editor):
    MinimumWage = apps.get_model("contracts", "MinimumWage")
    for effective_from, monthly, hourly, source in ROWS:
        MinimumWage.objects.update_or_create(
            region="shenzhen", effective_from=effective_from,
            defaults={"monthly_fen": monthly, "hourly_fen": hourly, "source": source},
        )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
