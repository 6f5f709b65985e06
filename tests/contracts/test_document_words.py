"""A document's words (issue #11): an empty optional field leaves its sentence out, never a
"— 元" or a stray "________"; the term is stated once; the text a worker reads on a phone is
the PDF's own text (both come from ``render.content``)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from accord.contracts.clauses import BLANK, check_sections, fill_paragraphs
from accord.contracts.render import content, document_text, render_document
from accord.contracts.shipped import TEMPLATES

SHIPPED = {t[0]: t for t in TEMPLATES}
VALUES = {
    "employer.name": "深圳市福田区福易科技有限公司",
    "employer.uscc": "91440300MA5G8XXX1T",
    "employer.address": "深圳市福田区福华三路 100 号",
    "employer.legal_representative": "王五",
    "worker.name": "张三",
    "worker.id_number": "440304198209044742",
    "worker.phone": "13900001111",
    "term": "固定期限，自 2026年01月01日 起至 2028年12月31日 止",
    "term.start_date": "2026-01-01",
    "term.end_date": "2028-12-31",
    "probation": "不约定",
    "job.title": "仓库管理员",
    "job.place": "深圳市福田区",
    "hours.system": "标准工时制",
    "pay.monthly_wage": "6,000.00",
    "pay.day": "10",
    "document.date": "2026年12月04日",
}


def _all_words(data: dict) -> str:
    parts = [data["title"]]
    for s in data["sections"]:
        parts += [s["heading"], *s["paragraphs"]]
        parts += [x for line in s.get("signatures", []) for x in line.values()]
    return "\n".join(parts)


def test_a_sentence_naming_an_empty_field_is_left_out_and_the_rest_stays():
    text = "乙方月工资为人民币 {{pay.monthly_wage}} 元。试用期工资为人民币 {{probation.wage}} 元。甲方按月支付。"
    assert fill_paragraphs(text, {"pay.monthly_wage": "6,000.00"}) == [
        "乙方月工资为人民币 6,000.00 元。甲方按月支付。"
    ]
    # A value of blanks only counts as empty.
    assert fill_paragraphs(text, {"pay.monthly_wage": "1", "probation.wage": "  "}) == [
        "乙方月工资为人民币 1 元。甲方按月支付。"
    ]


def test_a_line_left_without_any_sentence_is_dropped():
    text = "姓名：{{worker.name}}\n住址：{{worker.address}}\n联系电话：{{worker.phone}}"
    assert fill_paragraphs(text, {"worker.name": "张三", "worker.phone": "139"}) == [
        "姓名：张三",
        "联系电话：139",
    ]


def test_a_blank_form_keeps_every_placeholder_as_a_blank_to_fill_in():
    assert fill_paragraphs("试用期工资为人民币 {{probation.wage}} 元。", {}, blanks=True) == [
        f"试用期工资为人民币 {BLANK} 元。"
    ]


@pytest.mark.parametrize("code", [c for c in SHIPPED if c.startswith("labour-")])
def test_lcl_art17_shipped_contract_without_probation_or_optional_texts_has_no_artefacts(code):
    _code, _kind, _name, title, sections = SHIPPED[code]
    words = _all_words(content(title, sections, VALUES))
    assert BLANK not in words and "_" not in words
    assert "—" not in words and "试用期工资" not in words
    assert "{{" not in words
    # The term is stated once: its dates appear a single time.
    assert words.count("2026年01月01日") == 1, words


def test_shipped_fixed_contract_with_probation_states_it_with_its_wage():
    _code, _kind, _name, title, sections = SHIPPED["labour-fixed"]
    values = dict(
        VALUES,
        probation="自 2026年01月01日 起至 2026年03月31日 止（包含在劳动合同期限内）",
        **{"probation.wage": "5,000.00"},
    )
    words = _all_words(content(title, sections, values))
    assert "试用期：自 2026年01月01日 起至 2026年03月31日 止（包含在劳动合同期限内）。" in words
    assert "试用期工资为人民币 5,000.00 元。" in words


def test_every_shipped_template_passes_the_section_checks_and_has_both_party_lines():
    for code, _kind, _name, _title, sections in TEMPLATES:
        assert check_sections(sections) == [], code
        parties = [line["party"] for s in sections for line in s.get("signatures", [])]
        assert parties == ["employer", "worker"], code


def test_a_signature_line_for_anyone_but_the_two_parties_is_refused():
    problems = check_sections([{"text": "", "signatures": [{"party": "witness", "name": "x"}]}])
    assert [p.code for p in problems] == ["template.signature_party_unknown"]
    assert check_sections([{"text": "", "signatures": []}])[0].code == "template.section_empty"


def _pdf_text(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "d.pdf"
        src.write_bytes(pdf)
        out = subprocess.run(
            ["pdftotext", "-raw", str(src), "-"], capture_output=True, check=True, text=True
        ).stdout
    return re.sub(r"\s+", "", out)


def test_the_phone_text_is_the_pdf_text_word_for_word():
    _code, _kind, _name, title, sections = SHIPPED["labour-fixed"]
    text = document_text(title, sections, VALUES, number="FY20261204-7K3Q9D2M")
    pdf_text = _pdf_text(render_document(title, sections, VALUES, number=text.number).pdf)
    assert re.sub(r"\s+", "", text.title) in pdf_text
    paragraphs = [p for s in text.sections for p in [s.heading, *s.paragraphs] if p]
    assert len(paragraphs) > 15
    for paragraph in paragraphs:
        assert re.sub(r"\s+", "", paragraph) in pdf_text, paragraph


@pytest.mark.django_db
def test_reviewed_shipped_texts_are_published_as_a_new_version_and_the_old_one_retired():
    from importlib import import_module

    from django.apps import apps

    from accord.contracts.models import TemplateVersion

    migration = import_module("accord.contracts.migrations.0007_shipped_templates_reviewed")
    old = TemplateVersion.objects.get(template__code="labour-fixed", status="published")
    # A database made before the review holds the old wording.
    TemplateVersion.objects.filter(pk=old.pk).update(sections=[{"text": "旧文本"}])
    migration.publish_reviewed(apps, None)
    current = TemplateVersion.objects.get(template__code="labour-fixed", status="published")
    assert current.number == old.number + 1 and current.sections == SHIPPED["labour-fixed"][4]
    assert TemplateVersion.objects.get(pk=old.pk).status == "retired"
    # Run again: nothing changes (the published text is the shipped one).
    migration.publish_reviewed(apps, None)
    assert TemplateVersion.objects.filter(template__code="labour-fixed").count() == 2
