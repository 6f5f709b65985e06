"""Fixtures shared by the signing tests: PDFs made with Typst, the platform PKI."""

from __future__ import annotations

from functools import cache

import pytest
import typst
from django.conf import settings

FONTS = [str(d) for d in settings.ACCORD_FONT_DIRS]  # Debian's Noto CJK, or npm's Noto Serif SC

CONTRACT = """
#set page(paper: "a4", margin: 2cm)
#set text(font: ("Noto Serif CJK SC", "Noto Serif SC"), size: 11pt, lang: "zh")
= 劳动合同书
甲方（用人单位）：深圳市福田区测试科技有限公司 \\
乙方（劳动者）：张三

第一条 合同期限：自 2026 年 1 月 1 日起至 2028 年 12 月 31 日止，其中试用期 2 个月。

第二条 工作内容和工作地点：软件工程师，深圳市福田区。

#lorem(300)
#pagebreak()
第三条 劳动报酬：每月人民币 20,000 元。
"""


@cache
def contract_bytes() -> bytes:
    return typst.compile(CONTRACT.encode(), font_paths=FONTS)


@pytest.fixture
def contract_pdf() -> bytes:
    return contract_bytes()


@pytest.fixture
def platform(db):
    from accord.signing import pki

    pki.ensure_platform()
    return pki


@pytest.fixture(autouse=True)
def unreachable_revocation_urls(settings):
    """Certificates made in tests point at a closed port: pdfsig's OCSP look-up fails fast
    (soft-fail) instead of reaching whatever a developer runs on 127.0.0.1:8000."""
    settings.ACCORD_SIGNING_BASE_URL = "http://127.0.0.1:9"


@pytest.fixture
def live_pki(live_server, settings, transactional_db):
    """The PKI with its URLs (OCSP, CRL, issuer) served by a live server, as in production.

    pdfsig asks the OCSP responder named in the certificate; poppler 22.12 reports any failed
    look-up as "Unknown issue with Certificate", so the responder must really answer.
    """
    settings.ROOT_URLCONF = "tests.signing.urls"
    settings.ACCORD_SIGNING_BASE_URL = live_server.url
    from accord.signing import pki

    pki.ensure_platform()
    return pki


@pytest.fixture
def nss_db(live_pki, tmp_path):
    """An NSS database trusting our root, for poppler's pdfsig."""
    import subprocess

    platform = live_pki

    root_der = tmp_path / "root.der"
    root_der.write_bytes(bytes(platform.root().der))
    db = tmp_path / "nss"
    db.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{db}",
            "-n",
            "accord-root",
            "-t",
            "CT,C,C",
            "-i",
            str(root_der),
        ],
        check=True,
    )
    return f"sql:{db}"


def pdfsig(nss: str, data: bytes, tmp_path) -> str:
    """poppler's independent opinion of a signed PDF."""
    import subprocess
    import uuid

    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True, timeout=60
    ).stdout
