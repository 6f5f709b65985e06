"""Templates: LCL Art. 17 checked on publishing, versions immutable, CJK PDFs, scoped."""

import re
import subprocess

import pytest

from accord.contracts import templates
from accord.contracts.clauses import check_art17
from accord.contracts.models import ContractTemplate, TemplateVersion
from accord.contracts.shipped import TEMPLATES
from accord.core.errors import Conflict, InvalidInput
from tests.conftest import login

pytestmark = pytest.mark.django_db


def labour_sections():
    return list(next(t for t in TEMPLATES if t[0] == "labour-fixed")[4])


def test_every_shipped_labour_contract_carries_every_art17_clause():
    shipped = TemplateVersion.objects.filter(
        template__code__startswith="labour-", status="published"
    )
    assert shipped.count() == 4
    for version in shipped:
        assert check_art17(version.sections) == []


def test_art17_publish_refused_without_social_insurance_clause(make_enterprise):
    sections = [s for s in labour_sections() if s["clause"] != "social_insurance"]
    version = templates.create_template(
        enterprise=make_enterprise(),
        kind="labour_fixed",
        name="缺条款",
        title="劳动合同",
        sections=sections,
    )
    with pytest.raises(InvalidInput) as e:
        templates.publish(version)
    assert e.value.code == "template.art17_clause_missing"
    assert e.value.problems[0].article == "《劳动合同法》第十七条（七）"
    version.refresh_from_db()
    assert version.status == "draft"


def test_art17_party_clause_needs_the_worker_id_number(make_enterprise):
    sections = labour_sections()
    sections[2] = {**sections[2], "text": "姓名：{{worker.name}}，住址：{{worker.address}}"}
    version = templates.create_template(
        enterprise=make_enterprise(),
        kind="labour_fixed",
        name="缺身份证",
        title="劳动合同",
        sections=sections,
    )
    with pytest.raises(InvalidInput) as e:
        templates.publish(version)
    assert [p.code for p in e.value.problems] == ["template.art17_particular_missing"]
    assert "worker.id_number" in e.value.problems[0].message_en


def test_lifecycle_documents_need_no_art17_clauses(make_enterprise):
    version = templates.create_template(
        enterprise=make_enterprise(),
        kind="leaving_certificate",
        name="离职证明",
        title="离职证明",
        sections=[{"text": "兹证明 {{worker.name}} 已离职。"}],
    )
    assert templates.publish(version).status == "published"


def test_unknown_placeholders_and_empty_sections_are_refused(make_enterprise):
    with pytest.raises(InvalidInput) as e:
        templates.create_template(
            enterprise=make_enterprise(),
            kind="offer",
            name="x",
            title="x",
            sections=[{"text": "{{worker.salary}}"}, {"text": " "}],
        )
    assert [p.code for p in e.value.problems] == [
        "template.placeholder_unknown",
        "template.section_empty",
    ]


def test_published_version_is_immutable_and_a_new_version_replaces_it(make_enterprise):
    version = templates.create_template(
        enterprise=make_enterprise(),
        kind="labour_fixed",
        name="我的合同",
        title="劳动合同",
        sections=labour_sections(),
    )
    templates.publish(version)
    with pytest.raises(Conflict):
        templates.publish(version)
    second = templates.new_version(
        version.template, title="劳动合同（2027 版）", sections=labour_sections()
    )
    second = templates.publish(second)
    version.refresh_from_db()
    assert (version.status, second.number, second.status) == ("retired", 2, "published")
    assert second.body_sha256 and len(second.body_sha256) == 64


def test_preview_is_a_pdf_with_the_chinese_text_embedded(tmp_path):
    version = TemplateVersion.objects.get(template__code="labour-fixed")
    pdf = templates.preview(
        version, {"worker.name": "张三", "employer.name": "深圳福田示范科技有限公司"}
    )
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "劳动合同书" in text and "张三" in text and "深圳福田示范科技有限公司" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    # Debian's NotoSerifCJKsc or npm's NotoSerifSC (settings.ACCORD_FONT_DIRS), embedded.
    assert re.search(r"NotoSerif(CJK)?SC\S*\s.*\syes\s", fonts, re.IGNORECASE), fonts


def test_template_author_text_is_never_evaluated_as_markup(make_enterprise):
    version = templates.create_template(
        enterprise=make_enterprise(),
        kind="offer",
        name="注入",
        title='#read("/etc/passwd")',
        sections=[{"text": '#read("/etc/passwd") #import "x.typ" $x$ *bold* {{worker.name}}'}],
    )
    pdf = templates.preview(version, {"worker.name": "王五"})
    assert pdf.startswith(b"%PDF") and b"root:x:0:0" not in pdf


def test_api_hr_creates_publishes_and_previews_its_own_template(client, make_enterprise, make_user):
    enterprise = make_enterprise()
    login(client, make_user("hr", enterprise=enterprise, totp=False))
    r = client.post(
        "/api/v1/contract-templates",
        {
            "kind": "labour_fixed",
            "name": "本企业合同",
            "title": "劳动合同",
            "sections": labour_sections(),
            "enterprise": str(enterprise.public_id),
        },
        content_type="application/json",
    )
    assert r.status_code == 201
    version_id = r.json()["id"]
    assert (
        client.post(f"/api/v1/template-versions/{version_id}/publish").json()["status"]
        == "published"
    )
    preview = client.get(f"/api/v1/template-versions/{version_id}/preview.pdf")
    assert preview["Content-Type"] == "application/pdf" and preview.content.startswith(b"%PDF")
    kinds = {t["name"] for t in client.get("/api/v1/contract-templates").json()["results"]}
    assert "本企业合同" in kinds and "固定期限劳动合同" in kinds


def test_api_hr_may_not_change_platform_templates(client, make_enterprise, make_user):
    login(client, make_user("hr", enterprise=make_enterprise(), totp=False))
    platform = ContractTemplate.objects.get(code="labour-fixed")
    r = client.post(
        f"/api/v1/contract-templates/{platform.public_id}/versions",
        {"title": "改", "sections": labour_sections()},
        content_type="application/json",
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/contract-templates",
        {"kind": "offer", "name": "x", "sections": [{"text": "x"}]},
        content_type="application/json",
    )
    assert r.status_code == 403
