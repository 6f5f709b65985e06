"""The English catalogue: complete, compiled, and used. No browser needed, so not marked e2e."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"


def po_entries(path: Path) -> dict[tuple, list[str]]:
    """(context, msgid, msgid_plural) → msgstr(s) of a .po file; obsolete (#~) entries left out."""
    entries: dict[tuple, list[str]] = {}
    entry: dict = {}
    key = None

    def flush():
        if entry.get("msgid"):
            k = (entry.get("msgctxt"), entry["msgid"], entry.get("msgid_plural"))
            entries[k] = entry["msgstr"]

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(("msgctxt ", "msgid ")) and "msgstr" in entry:
            flush()
            entry = {}
        if line.startswith("msgctxt "):
            entry["msgctxt"], key = ast.literal_eval(line[8:]), "msgctxt"
        elif line.startswith("msgid "):
            entry["msgid"], key = ast.literal_eval(line[6:]), "msgid"
        elif line.startswith("msgid_plural "):
            entry["msgid_plural"], key = ast.literal_eval(line[13:]), "msgid_plural"
        elif line.startswith("msgstr"):
            entry.setdefault("msgstr", []).append(ast.literal_eval(line.split(" ", 1)[1]))
            key = "msgstr"
        elif line.startswith('"') and key == "msgstr":
            entry["msgstr"][-1] += ast.literal_eval(line)
        elif line.startswith('"') and key:
            entry[key] += ast.literal_eval(line)
    flush()
    return entries


def test_every_message_has_an_english_translation_and_the_mo_file_is_up_to_date():
    entries = po_entries(LOCALE / "django.po")
    assert len(entries) > 100
    untranslated = [m for m, s in entries.items() if not all(s)]
    assert not untranslated, f"untranslated in django.po: {untranslated}"
    with open(LOCALE / "django.mo", "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    stale = []
    for (context, msgid, plural), strs in entries.items():
        if plural and context:
            got = [catalogue.npgettext(context, msgid, plural, n) for n in (1, 2)]
        elif plural:
            got = [catalogue.ngettext(msgid, plural, n) for n in (1, 2)]
        elif context:
            got = [catalogue.pgettext(context, msgid)]
        else:
            got = [catalogue.gettext(msgid)]
        if got != strs:
            stale.append(msgid)
    assert not stale, f"django.mo is older than django.po (run compilemessages): {stale[:10]}"


@pytest.mark.django_db
def test_an_english_browser_is_served_english(client):
    html = client.get("/login", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="en"' in html
    assert "Staff login" in html and "工作人员登录" not in html
    assert "Skip to main content" in html


@pytest.mark.django_db
def test_a_chinese_browser_and_no_preference_are_served_chinese(client):
    for header in ("zh-CN,zh;q=0.9", ""):
        html = client.get("/login", HTTP_ACCEPT_LANGUAGE=header).content.decode()
        assert 'lang="zh-Hans"' in html and "工作人员登录" in html
