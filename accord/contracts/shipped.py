"""The templates Accord ships: the four kinds of labour contract and the lifecycle documents.

The wording follows the structure of the model contracts published by the human-resources
authorities; every labour contract carries each clause of LCL Art. 17 (checked on publish).
"""

from __future__ import annotations

EMPLOYER = {
    "clause": "employer",
    "heading": "甲方（用人单位）",
    "text": "名称：{{employer.name}}\n统一社会信用代码：{{employer.uscc}}\n住所：{{employer.address}}\n"
    "法定代表人（主要负责人）：{{employer.legal_representative}}",
}
WORKER = {
    "clause": "worker",
    "heading": "乙方（劳动者）",
    "text": "姓名：{{worker.name}}\n居民身份证或其他有效身份证件号码：{{worker.id_number}}\n"
    "住址：{{worker.address}}\n联系电话：{{worker.phone}}",
}
PREAMBLE = {
    "clause": "",
    "heading": "",
    "text": "甲乙双方根据《中华人民共和国劳动法》《中华人民共和国劳动合同法》等法律法规，遵循合法、公平、平等自愿、"
    "协商一致、诚实信用的原则，订立本合同。",
}
JOB = {
    "clause": "job",
    "heading": "二、工作内容和工作地点",
    "text": "乙方同意根据甲方工作需要，担任 {{job.title}} 岗位工作。工作地点：{{job.place}}。"
    "甲方调整乙方工作岗位或工作地点的，应当与乙方协商一致，并采用书面形式（《劳动合同法》第三十五条）。",
}
HOURS = {
    "clause": "hours",
    "heading": "三、工作时间和休息休假",
    "text": "乙方实行 {{hours.system}}。{{hours.description}}\n"
    "甲方依法保证乙方的休息权利，乙方依法享有法定节假日、年休假、婚丧假、产假等假期。"
    "甲方安排加班的，依法支付加班工资或安排补休。",
}
PAY = {
    "clause": "pay",
    "heading": "四、劳动报酬",
    "text": "乙方月工资为人民币 {{pay.monthly_wage}} 元。试用期工资为人民币 {{probation.wage}} 元。"
    "甲方于每月 {{pay.day}} 日前以货币形式足额支付乙方上月工资，不得低于深圳市最低工资标准。",
}
SOCIAL = {
    "clause": "social_insurance",
    "heading": "五、社会保险",
    "text": "甲乙双方依法参加社会保险，按时足额缴纳社会保险费。乙方个人缴费部分由甲方代扣代缴。{{social_insurance.description}}",
}
PROTECTION = {
    "clause": "protection",
    "heading": "六、劳动保护、劳动条件和职业危害防护",
    "text": "甲方按照国家和地方有关规定，为乙方提供符合国家规定的劳动条件和必要的劳动防护用品，"
    "对可能产生职业病危害的岗位如实告知乙方并做好防护。{{protection.description}}",
}
OTHER = {
    "clause": "other",
    "heading": "七、其他事项",
    "text": "本合同未尽事宜，按国家和地方有关规定执行。本合同一式两份，甲乙双方各执一份；"
    "以电子形式订立的，双方均可随时免费查看、下载和打印（《劳动合同法》第十六条）。",
}


# The party lines: the layout leaves the seal's and the signature's place beside each and
# marks it, so the signing layer puts them there (render.py); the time each was made is the
# trusted timestamp printed under its mark.
def _signatures(document: str = "本合同") -> dict:
    return {
        "clause": "",
        "heading": "",
        "text": f"{document}于 {{{{document.date}}}} 拟定，自双方签名盖章之日起生效；"
        "签署时间以各方电子签名的可信时间为准。",
        "signatures": [
            {"party": "employer", "label": "甲方（盖章）：", "name": "{{employer.name}}"},
            {"party": "worker", "label": "乙方（签名）：", "name": "{{worker.name}}"},
        ],
    }


SIGNATURES = _signatures()
# A notice: the employer's seal over its name and the date; the worker signs for receipt.
NOTICE_SIGNATURES = {
    "clause": "",
    "heading": "",
    "text": "",
    "signatures": [
        {
            "party": "employer",
            "label": "",
            "name": "{{employer.name}}",
            "date": "{{document.date}}",
        },
        {"party": "worker", "label": "签收人（签名）：", "name": "{{worker.name}}"},
    ],
}


def _labour(term_text: str, hours: dict = HOURS, pay: dict = PAY) -> list[dict]:
    return [
        PREAMBLE,
        EMPLOYER,
        WORKER,
        {"clause": "term", "heading": "一、劳动合同期限", "text": term_text},
        JOB,
        hours,
        pay,
        SOCIAL,
        PROTECTION,
        OTHER,
        SIGNATURES,
    ]


TEMPLATES = [
    (
        "labour-fixed",
        "labour_fixed",
        "固定期限劳动合同",
        "劳动合同书（固定期限）",
        _labour("本合同期限为{{term}}。试用期：{{probation}}。"),
    ),
    (
        "labour-open-ended",
        "labour_open_ended",
        "无固定期限劳动合同",
        "劳动合同书（无固定期限）",
        _labour("本合同期限为{{term}}。试用期：{{probation}}。"),
    ),
    (
        "labour-task",
        "labour_task",
        "以完成一定工作任务为期限的劳动合同",
        "劳动合同书（以完成一定工作任务为期限）",
        _labour(
            "本合同期限为{{term}}，至该工作任务完成时止。"
            "本合同不约定试用期（《劳动合同法》第十九条第三款）。"
        ),
    ),
    (
        "labour-part-time",
        "labour_part_time",
        "非全日制用工劳动合同",
        "非全日制用工劳动合同书",
        _labour(
            "本合同为{{term}}。任何一方可随时通知对方终止用工，"
            "终止用工的甲方不向乙方支付经济补偿（《劳动合同法》第七十一条）。不约定试用期（第七十条）。",
            hours={
                "clause": "hours",
                "heading": "三、工作时间和休息休假",
                "text": "乙方实行 {{hours.system}}，在甲方平均每日工作时间不超过四小时，每周累计不超过二十四小时"
                "（《劳动合同法》第六十八条）。{{hours.description}}",
            },
            pay={
                "clause": "pay",
                "heading": "四、劳动报酬",
                "text": "乙方小时工资为人民币 {{pay.hourly_wage}} 元，不低于深圳市非全日制用工小时最低工资标准；"
                "劳动报酬结算支付周期最长不超过十五日（《劳动合同法》第七十二条）。",
            },
        ),
    ),
    (
        "offer",
        "offer",
        "录用通知书",
        "录用通知书",
        [
            {
                "clause": "",
                "heading": "",
                # Each particular in a sentence of its own: one left empty drops only itself.
                "text": "{{worker.name}}：\n经考核，{{employer.name}} 决定录用您担任 {{job.title}} 岗位。"
                "工作地点：{{job.place}}。月工资为人民币 {{pay.monthly_wage}} 元。请于 {{term.start_date}} 报到。"
                "自用工之日起一个月内，双方将订立书面劳动合同（《劳动合同法》第十条）。",
            },
            NOTICE_SIGNATURES,
        ],
    ),
    (
        "confirmation",
        "confirmation",
        "转正通知书",
        "转正通知书",
        [
            {
                "clause": "",
                "heading": "",
                "text": "{{worker.name}}：\n您的试用期已于 {{probation.end_date}} 届满，经考核合格，"
                "自 {{confirm.date}} 起转为正式员工。转正后月工资为人民币 {{pay.monthly_wage}} 元。",
            },
            NOTICE_SIGNATURES,
        ],
    ),
    (
        "change",
        "change",
        "劳动合同变更协议",
        "劳动合同变更协议",
        [
            EMPLOYER,
            WORKER,
            {
                "clause": "",
                "heading": "变更内容",
                "text": "经双方协商一致，自 {{change.effective_date}} 起对劳动合同作如下变更："
                "{{change.description}}。本协议采用书面形式（《劳动合同法》第三十五条），未变更部分继续履行。",
            },
            _signatures("本协议"),
        ],
    ),
    (
        "renewal",
        "renewal",
        "劳动合同续订书",
        "劳动合同续订书",
        [
            EMPLOYER,
            WORKER,
            {
                "clause": "",
                "heading": "续订",
                "text": "双方原订立的劳动合同期满，经协商一致续订劳动合同，续订期限至 {{renewal.end_date}} 止，"
                "其他条款按原合同执行。",
            },
            _signatures("本续订书"),
        ],
    ),
    (
        "termination",
        "termination",
        "解除（终止）劳动合同通知书",
        "解除（终止）劳动合同通知书",
        [
            {
                "clause": "",
                "heading": "",
                "text": "{{worker.name}}：\n{{employer.name}} 与您的劳动合同于 {{leave.date}} 解除（终止）。"
                "解除（终止）的原因：{{leave.reason}}。请于 {{leave.date}} 前办理工作交接；依法应支付的经济补偿将在办结交接时支付（《劳动合同法》第五十条）。",
            },
            NOTICE_SIGNATURES,
        ],
    ),
    (
        "leaving-certificate",
        "leaving_certificate",
        "离职证明",
        "离职证明",
        [
            {
                "clause": "",
                "heading": "",
                # What the certificate states (《劳动合同法实施条例》第二十四条): the term, the date
                # of leaving, the position and the years with the employer.
                "text": "兹证明 {{worker.name}}（身份证件号码 {{worker.id_number}}）自 {{term.start_date}} 起"
                "在我单位工作，劳动合同于 {{leave.date}} 解除（终止）。劳动合同期限：{{term}}。"
                "工作岗位：{{job.title}}。\n"
                "特此证明（《劳动合同法》第五十条）。",
            },
            NOTICE_SIGNATURES,
        ],
    ),
]
