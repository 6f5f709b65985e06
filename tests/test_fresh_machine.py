"""A machine with only Python 3.11, Node 20 and Debian's apt runs Accord (issue #11, item 7).

Chinese text in the PDFs comes from npm's Noto Serif SC when Debian's Noto CJK is absent, and the
phone's page images are drawn by pypdfium2's wheel, not poppler's pdftoppm.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import typst
from django.conf import settings

from accord.core.errors import NotFound
from accord.envelopes import pages
from tests.core.test_worker import _worker_env
from tests.support.processes import accord_process, wait_until

TEMPLATES = [
    Path(settings.BASE_DIR) / "accord" / "contracts" / "typst" / "document.typ",
    Path(settings.BASE_DIR) / "accord" / "envelopes" / "typst" / "evidence.typ",
]
NPM_FONTS = [settings.NPM_CJK_FONT / "400Regular", settings.NPM_CJK_FONT / "700Bold"]


@pytest.mark.parametrize("layout", TEMPLATES, ids=lambda p: p.name)
def test_the_templates_fonts_render_chinese_with_the_npm_font_alone(layout, tmp_path):
    # The font list the template itself declares, compiled with no system font at all.
    fonts = re.search(r"#set text\(font: (\([^)]*\))", layout.read_text()).group(1)
    source = tmp_path / "t.typ"
    source.write_text(
        f"#set text(font: {fonts})\n劳动合同书 *甲方（用人单位）*：深圳福田示范科技有限公司\n"
    )
    pdf = typst.compile(
        str(source), font_paths=[str(d) for d in NPM_FONTS], ignore_system_fonts=True
    )
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+NotoSerifSC-Regular", pdf)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+NotoSerifSC-Bold", pdf)
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "劳动合同书" in text and "深圳福田示范科技有限公司" in text


def test_the_npm_font_is_among_the_font_dirs():
    assert set(NPM_FONTS) <= set(settings.ACCORD_FONT_DIRS)


def test_page_images_need_no_poppler(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdftoppm, nor any other program
    pdf = typst.compile(b'#set page(paper: "a4")\nA\n#pagebreak()\nB')
    png = pages._render(pdf, 2)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(NotFound) as excinfo:  # past the last page
        pages._render(pdf, 3)
    assert excinfo.value.code == "envelope.page_unavailable"


# ---- the web server's face: favicon, 404, compressed static files, idle connections ---------


def test_favicon_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in response["Cache-Control"]


@pytest.mark.django_db
def test_an_unknown_address_is_the_sites_own_404_page_even_in_development(client, settings):
    settings.DEBUG = True  # `make run`'s development mode
    response = client.get("/no-such-page")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-error-code="core.not_found"' in body
    assert "URLconf" not in body and "urlpatterns" not in body  # not Django's DEBUG page
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["code"] == "core.not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "page"), [("/login/", "/login"), ("/envelopes", "/envelopes/")])
def test_a_page_typed_with_a_slash_too_many_or_too_few_leads_to_it(client, typed, page):
    response = client.get(typed + "?next=/x")
    assert response.status_code == 301 and response["Location"] == page + "?next=/x"
    assert client.get(page).status_code in (200, 302)  # the page itself (or the login guard)


def test_static_files_are_compressed_and_cached_once_collected(tmp_path, settings):
    from django.core.management import call_command
    from django.test import Client

    settings.STATIC_ROOT = tmp_path / "static"
    # Bootstrap alone: compressing ECharts too (as `make run` does once) takes a minute here.
    settings.STATICFILES_DIRS = [d for d in settings.STATICFILES_DIRS if d[0] == "vendor/bootstrap"]
    settings.WHITENOISE_AUTOREFRESH = True  # development mode, as `make run` serves
    call_command("collectstatic", "--noinput", verbosity=0)
    storage_url = _storage_url("vendor/bootstrap/css/bootstrap.min.css")
    assert re.search(r"bootstrap\.min\.[0-9a-f]{12}\.css$", storage_url)  # hashed: cacheable
    client = Client()  # a new handler: WhiteNoise reads STATIC_ROOT when it starts
    response = client.get(storage_url, headers={"accept-encoding": "gzip, br"})
    assert response.status_code == 200
    assert response["Content-Encoding"] in ("br", "gzip")
    assert "immutable" in response["Cache-Control"]
    size = int(response["Content-Length"])
    plain = (settings.STATIC_ROOT / "vendor/bootstrap/css/bootstrap.min.css").stat().st_size
    assert size < plain / 4  # 232 KB → ~25 KB


def _storage_url(name: str) -> str:
    from accord.core.staticfiles import StaticFilesStorage

    # A fresh storage, as a process started after collectstatic has (it reads the manifest).
    return StaticFilesStorage(location=str(settings.STATIC_ROOT)).url(name)


@pytest.mark.django_db(transaction=True)
def test_idle_connections_do_not_stall_the_web_server():
    """Connections that sit idle — some having sent half a request, as a browser on a bad
    network or a pre-connect does — held one sync gunicorn worker each until it was killed
    (WORKER TIMEOUT). With threaded workers, one worker of four threads, with two half-sent
    requests and three silent connections open, still answers (a sync worker answers nothing)."""
    env = {**_worker_env(), "ACCORD_ENV": "development", "ACCORD_DEBUG": "0"}
    args = ["serve", "--port", "0", "--workers", "1", "--threads", "4", "--task-workers", "1"]
    with accord_process(*args, ready=r"Listening at: (http://\S+)", env=env) as ready:
        url = ready.group(1)
        host, port = url.removeprefix("http://").split(":")
        # "Listening" comes from gunicorn's arbiter; its worker may still be loading Django.
        wait_until(lambda: _answers(f"{url}/healthz"), "the web worker to answer")
        held = [socket.create_connection((host, int(port))) for _ in range(5)]
        for s in held[:2]:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and nothing more
        try:
            for _ in range(2):
                # The deadline turns a stall into a failure; it measures nothing.
                with urllib.request.urlopen(f"{url}/healthz", timeout=30) as response:
                    assert response.status == 200
                    assert json.loads(response.read())["database"] == "ok"
        finally:
            for s in held:
                s.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False
