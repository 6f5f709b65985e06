"""Shenzhen's minimum wage: each row with its source and how far it is confirmed (issue #11).

0002 shipped three rows without saying how sure they were, with the 2,360-yuan standard from
2022-07-01. Published reports give 2021-12-01, the date of the Guangdong provincial notice of
2021 that set it, so the row moves there. The project's legal sources (../shared/LAW.md) name no
source for any Shenzhen figure: no row is marked confirmed — the bureau confirms each against
the official notice (``accord minimum-wage add … --monthly-confidence confirmed``). Rows an
officer has changed since (another source) are left as they are.
"""

import datetime as dt

from django.db import migrations

LAW_MD_SILENT = "LAW.md 未给出深圳最低工资的出处；"

# (effective from, monthly fen, hourly fen, source, monthly confidence, hourly confidence, note)
ROWS = [
    (
        dt.date(2015, 3, 1),
        203000,
        1850,
        "深圳市 2015 年 3 月 1 日起月最低工资 2030 元、非全日制小时最低工资 18.5 元（据公开报道）",
        "unconfirmed",
        "unconfirmed",
        LAW_MD_SILENT + "数字据公开报道，未见官方通知文号与原文，须核实后方可作为依据。",
    ),
    (
        dt.date(2017, 6, 1),
        213000,
        1950,
        "深圳市 2017 年 6 月 1 日起月最低工资 2130 元、非全日制小时最低工资 19.5 元（据公开报道）",
        "unconfirmed",
        "unconfirmed",
        LAW_MD_SILENT + "数字据公开报道，未见官方通知文号与原文，须核实后方可作为依据。",
    ),
    (
        dt.date(2018, 7, 1),
        220000,
        2030,
        "粤府函〔2018〕187号：深圳市月最低工资 2200 元，非全日制小时最低工资 20.3 元",
        "reported",
        "reported",
        LAW_MD_SILENT + "文号与数字据公开报道，官方通知原文未核对。",
    ),
    (
        dt.date(2021, 12, 1),
        236000,
        2220,
        "广东省人民政府 2021 年调整最低工资标准的通知：深圳市自 2021 年 12 月 1 日起月最低工资 "
        "2360 元，非全日制小时最低工资 22.2 元",
        "reported",
        "reported",
        LAW_MD_SILENT + "生效日期按公开报道所引的省政府通知为 2021-12-01（原数据误作 2022-07-01）；"
        "通知文号与原文未核对。",
    ),
    (
        dt.date(2025, 3, 1),
        252000,
        2370,
        "广东省人民政府 2025 年调整最低工资标准：深圳市自 2025 年 3 月 1 日起月最低工资 2520 元，"
        "非全日制小时最低工资 23.7 元（小时标准待核实）",
        "reported",
        "unconfirmed",
        LAW_MD_SILENT + "月标准据公开报道；非全日制小时标准 23.7 元未经核实，须以官方通知为准。",
    ),
]
# What 0002 shipped: a row still carrying one of these sources was never changed by an officer.
SHIPPED_0002 = {
    dt.date(
        2018, 7, 1
    ): "粤府函〔2018〕187号：深圳市月最低工资 2200 元，非全日制小时最低工资 20.3 元",
    dt.date(
        2022, 7, 1
    ): "深圳市人力资源和社会保障局公布：自 2022 年 7 月 1 日起月最低工资 2360 元，"
    "非全日制小时最低工资 22.2 元",
    dt.date(
        2025, 3, 1
    ): "广东省人民政府 2025 年调整最低工资标准：深圳市自 2025 年 3 月 1 日起月最低工资 "
    "2520 元，非全日制小时最低工资 23.7 元",
}


def load(apps, schema_editor):
    MinimumWage = apps.get_model("contracts", "MinimumWage")
    shipped = MinimumWage.objects.filter(region="shenzhen")
    moved = shipped.filter(
        effective_from=dt.date(2022, 7, 1), source=SHIPPED_0002[dt.date(2022, 7, 1)]
    )
    moved.delete()  # the 2,360 standard is in force from 2021-12-01 (added below)
    for day, monthly, hourly, source, monthly_conf, hourly_conf, note in ROWS:
        row = shipped.filter(effective_from=day).first()
        if row is not None and row.source != SHIPPED_0002.get(day):
            continue  # an officer's own row: not ours to overwrite
        MinimumWage.objects.update_or_create(
            region="shenzhen",
            effective_from=day,
            defaults={
                "monthly_fen": monthly,
                "hourly_fen": hourly,
                "source": source,
                "monthly_confidence": monthly_conf,
                "hourly_confidence": hourly_conf,
                "note": note,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0005_minimumwage_confidence")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
