"""What a labour-contract template must say (LCL Art. 17) and the placeholders it may use.

A template's body is a list of sections; each section may be tagged with the Art. 17 clause it
fulfils. A labour contract cannot be published unless every clause is present and the party
clauses carry the particulars the article names.
"""

from __future__ import annotations

import re

from accord.contracts.errors import (
    ART17_CLAUSE_MISSING,
    ART17_PARTICULAR_MISSING,
    CLAUSE_UNKNOWN,
    PLACEHOLDER_UNKNOWN,
    SECTION_EMPTY,
    SIGNATURE_PARTY_UNKNOWN,
)
from accord.core.errors import Problem

ART17 = "《劳动合同法》第十七条"

# (key, paragraph of Art. 17, Chinese, English, placeholders the clause must contain; a tuple
# among them lists alternatives)
CLAUSES = [
    (
        "employer",
        "（一）",
        "用人单位的名称、住所和法定代表人或者主要负责人",
        "employer name, domicile and legal representative",
        ("employer.name", "employer.address", "employer.legal_representative"),
    ),
    (
        "worker",
        "（二）",
        "劳动者的姓名、住址和居民身份证或者其他有效身份证件号码",
        "worker name, address and identity document number",
        ("worker.name", "worker.address", "worker.id_number"),
    ),
    ("term", "（三）", "劳动合同期限", "term of the contract", ("term",)),
    (
        "job",
        "（四）",
        "工作内容和工作地点",
        "job content and place of work",
        ("job.title", "job.place"),
    ),
    ("hours", "（五）", "工作时间和休息休假", "working hours, rest and leave", ("hours.system",)),
    ("pay", "（六）", "劳动报酬", "remuneration", (("pay.monthly_wage", "pay.hourly_wage"),)),
    ("social_insurance", "（七）", "社会保险", "social insurance", ()),
    (
        "protection",
        "（八）",
        "劳动保护、劳动条件和职业危害防护",
        "labour protection, working conditions and occupational-hazard protection",
        (),
    ),
    (
        "other",
        "（九）",
        "法律、法规规定应当纳入劳动合同的其他事项",
        "other matters required by law",
        (),
    ),
]
CLAUSE_KEYS = [c[0] for c in CLAUSES]

PLACEHOLDERS = {
    "employer.name",
    "employer.address",
    "employer.legal_representative",
    "employer.uscc",
    "worker.name",
    "worker.address",
    "worker.id_number",
    "worker.phone",
    "term",
    "term.start_date",
    "term.end_date",
    "term.type",
    "probation",
    "probation.end_date",
    "probation.wage",
    "job.title",
    "job.place",
    "hours.system",
    "hours.description",
    "pay.monthly_wage",
    "pay.hourly_wage",
    "pay.day",
    "social_insurance.description",
    "protection.description",
    "non_compete.months",
    "document.number",
    "document.date",
    "change.description",
    "change.effective_date",
    "leave.date",
    "leave.reason",
    "confirm.date",
    "renewal.end_date",
}
PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z_]+)?)\s*\}\}")


def placeholders_in(text: str) -> set[str]:
    return set(PLACEHOLDER_RE.findall(text))


def check_sections(sections: list[dict]) -> list[Problem]:
    """Shape and placeholder checks that apply to every template, published or not."""
    problems: list[Problem] = []
    for i, section in enumerate(sections):
        where = f"sections[{i}]"
        signatures = section.get("signatures") if isinstance(section, dict) else None
        if not isinstance(section, dict) or not (
            str(section.get("text", "")).strip() or signatures
        ):
            problems.append(SECTION_EMPTY.problem(where, number=i + 1))
            continue
        for line in signatures or []:
            if not isinstance(line, dict) or line.get("party") not in PARTIES:
                problems.append(SIGNATURE_PARTY_UNKNOWN.problem(where, number=i + 1))
                break
        clause = section.get("clause") or ""
        if clause and clause not in CLAUSE_KEYS:
            problems.append(CLAUSE_UNKNOWN.problem(where, number=i + 1, clause=clause))
        texts = [str(section.get("text", ""))] + [
            str(line.get(key, ""))
            for line in signatures or []
            if isinstance(line, dict)
            for key in ("label", "name", "date")
        ]
        for name in sorted(set().union(*map(placeholders_in, texts)) - PLACEHOLDERS):
            problems.append(PLACEHOLDER_UNKNOWN.problem(where, number=i + 1, name=name))
    return problems


def check_art17(sections: list[dict]) -> list[Problem]:
    """LCL Art. 17: every mandatory clause, with the particulars it names."""
    problems: list[Problem] = []
    by_clause: dict[str, set[str]] = {}
    for section in sections:
        if (
            isinstance(section, dict)
            and section.get("clause") in CLAUSE_KEYS
            and str(section.get("text", "")).strip()
        ):
            by_clause.setdefault(section["clause"], set()).update(placeholders_in(section["text"]))
    for key, para, zh, en, needed in CLAUSES:
        if key not in by_clause:
            problems.append(
                ART17_CLAUSE_MISSING.problem(
                    article=f"{ART17}{para}", para=para, clause_zh=zh, clause_en=en
                )
            )
            continue
        for need in needed:
            # A tuple lists alternatives: a part-time contract states an hourly wage instead.
            options = need if isinstance(need, tuple) else (need,)
            name = " / ".join(options)
            if not by_clause[key].intersection(options):
                problems.append(
                    ART17_PARTICULAR_MISSING.problem(
                        article=f"{ART17}{para}", para=para, clause_zh=zh, clause_en=en, name=name
                    )
                )
    return problems


BLANK = "________"
# A sentence ends at 。；！？ (or the end of its line); the ending stays with it.
_SENTENCE_RE = re.compile(r"[^。；！？]+[。；！？]?|[。；！？]")
PARTIES = ("employer", "worker")


def _value(values: dict[str, str], name: str) -> str:
    return str(values.get(name) or "").strip()


def fill(text: str, values: dict[str, str]) -> str:
    """Replace placeholders by values; an unfilled placeholder becomes a visible blank line
    (for a template's blank form only: documents are filled by ``fill_paragraphs``)."""
    return PLACEHOLDER_RE.sub(lambda m: _value(values, m.group(1)) or BLANK, text)


def fill_paragraphs(text: str, values: dict[str, str], *, blanks: bool = False) -> list[str]:
    """A section's text as filled paragraphs (one a line). A sentence that names a field with
    no value is left out whole ("试用期工资为人民币 — 元" or a stray "________" never reach a
    document), and a line left empty is dropped. ``blanks``: a template's blank form, where
    every placeholder shows as a blank to fill in."""
    paragraphs = []
    for line in text.split("\n"):
        kept = []
        for sentence in _SENTENCE_RE.findall(line):
            names = placeholders_in(sentence)
            if not blanks and any(not _value(values, n) for n in names):
                continue
            kept.append(fill(sentence, values))
        paragraph = "".join(kept).strip()
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs
