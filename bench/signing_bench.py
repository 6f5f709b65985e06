"""Signing benchmark: prints a markdown section for docs/benchmarks.md.

    .venv/bin/python bench/signing_bench.py [--samples 30] [--parallel 40]

Measured in one run, against one fresh SQLite database in a temporary directory:

* **service vs bare pyHanko** — sealing one contract PDF at PAdES B-T through
  ``accord.signing.services.seal_with_bureau`` (input checks, certificate look-up, key
  unsealing, the timestamp from our TSA, the signature record, the audit entry and the
  evidence-ledger append, in one transaction) beside bare pyHanko signing the same PDF with
  the same key, the same visible seal and the same in-process TSA (nothing else): the ratio
  is the service's overhead (goal ≤ 1.5×);
* a person's whole signing (intent + SMS code, code check, event certificate issued, sign,
  key destroyed, records) — the per-signature cost of sole control;
* signatures per second with two worker processes (the machine's 2 cores);
* ``verify_pdf`` time for the sealed PDF.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONTRACT = """
#set page(paper: "a4", margin: 2cm)
#set text(font: ("Noto Serif CJK SC", "Noto Serif SC"), size: 11pt, lang: "zh")
= 劳动合同书
甲方（用人单位）：深圳市福田区测试科技有限公司 \\
乙方（劳动者）：张三
#for i in range(1, 40) [
  第#(i)条 本条约定双方的权利义务，依照《中华人民共和国劳动合同法》执行。#lorem(60)

]
"""


def _django(var_dir: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir}/bench.sqlite3"
    os.environ["ACCORD_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    os.environ.setdefault("ACCORD_ENV", "development")
    os.environ.setdefault("ACCORD_DEBUG", "0")
    import django

    django.setup()


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(samples) * 1000:.1f} ms (p95 {p95 * 1000:.1f})"


def _contract() -> bytes:
    import typst
    from django.conf import settings

    return typst.compile(CONTRACT.encode(), font_paths=[str(d) for d in settings.ACCORD_FONT_DIRS])


def _bare_signer(pdf: bytes):
    """Bare pyHanko: the same key, chain, appearance and TSA, loaded once, outside any service."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
    from pyhanko.stamp import TextStampStyle
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from accord.signing import appearance, pki
    from accord.signing.tsa import LocalTimeStamper, TsaMaterial

    cert = pki.bureau_seal()
    key_der = pki.load_key(cert).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(bytes(cert.der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(bytes(c.der)) for c in pki.chain(cert)[1:-1]]
        ),
    )
    material = TsaMaterial.load()
    seal = appearance.seal_pdf("福田区人力资源局", "电子印章")

    def sign_once() -> bytes:
        meta = PdfSignatureMetadata(
            field_name="seal1", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
        )
        style = TextStampStyle(
            stamp_text="%(ts)s",
            border_width=0,
            background=appearance.PdfBytesPage(seal),
            background_opacity=1,
        )
        pdf_signer = PdfSigner(
            meta,
            signer=signer,
            timestamper=LocalTimeStamper(material),
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec("seal1", on_page=-1, box=(376, 50, 495, 169)),
        )
        return pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf))).getvalue()

    return sign_once


def _timed(fn, samples: int) -> list[float]:
    fn()  # warm-up (fonts, caches)
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _worker(var_dir: str, pdf: bytes, count: int, queue) -> None:
    _django(var_dir)
    from django.db import connection

    from accord.signing.services import seal_with_bureau

    connection.close()
    seal_with_bureau(pdf)
    start = time.perf_counter()
    for _ in range(count):
        seal_with_bureau(pdf)
    queue.put((count, time.perf_counter() - start))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--parallel", type=int, default=40, help="signatures per worker process")
    args = parser.parse_args()
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="accord-signing-bench-") as var_dir:
        _django(var_dir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        from accord.signing import pki, services
        from accord.signing.verify import verify_pdf

        pki.ensure_platform()
        pdf = _contract()
        bare = _bare_signer(pdf)
        # Interleave the two so that machine noise hits both alike.
        service_times: list[float] = []
        bare_times: list[float] = []
        services.seal_with_bureau(pdf)
        bare()
        for _ in range(args.samples):
            start = time.perf_counter()
            services.seal_with_bureau(pdf)
            service_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            bare()
            bare_times.append(time.perf_counter() - start)
        ratio = statistics.median(service_times) / statistics.median(bare_times)

        from accord.core.models import SmsMessage
        from accord.identity import services as identity

        person = identity.create_person(
            name="张三", id_number="11010519491231002X", phone="13900001111"
        )
        person.verification_level = "registry"
        person.save()
        from django.core.cache import cache

        def person_signing() -> None:
            cache.clear()  # the per-person code rate limit is not what is measured
            intent = services.request_signing_code(person, pdf, document_name="劳动合同")
            code = SmsMessage.objects.order_by("-id").first().text.split("验证码 ")[1][:6]
            services.sign_as_person(pdf, intent=intent, code=code)

        person_times = _timed(person_signing, max(args.samples // 2, 5))
        signed = services.seal_with_bureau(pdf, level="B-T").pdf
        signed_lt = services.seal_with_bureau(pdf, level="B-LT").pdf
        verify_times = _timed(lambda: verify_pdf(signed), args.samples)
        verify_lt_times = _timed(lambda: verify_pdf(signed_lt), max(args.samples // 2, 5))

        from django.db import connection

        connection.close()
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        workers = [
            ctx.Process(target=_worker, args=(var_dir, pdf, args.parallel, queue)) for _ in range(2)
        ]
        wall = time.perf_counter()
        for w in workers:
            w.start()
        results = [queue.get(timeout=1800) for _ in workers]
        for w in workers:
            w.join()
        wall = time.perf_counter() - wall
        total = sum(r[0] for r in results)
        per_second = total / max(r[1] for r in results)

    print("## Signing (PAdES with pyHanko)\n")
    print(
        f"A {len(pdf) // 1024} KiB Chinese labour contract (Typst, Noto CJK), sealed with the "
        f"bureau seal (ECDSA P-256) and a visible red seal; SQLite; load average before the run "
        f"{load_before}. Medians of {args.samples} interleaved runs.\n"
    )
    print("| measure | figure | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    print(
        f"| seal one PDF at B-T through the service | {_ms(service_times)} | bare pyHanko, same key, "
        f"seal and TSA: {_ms(bare_times)} | **{ratio:.2f}×** (goal ≤ 1.5×) |"
    )
    print(
        f"| a person's whole signing (intent, code, event certificate, sign, key destroyed) | "
        f"{_ms(person_times)} | — | — |"
    )
    print(
        f"| signatures per second, 2 worker processes × {args.parallel} | {per_second:.1f} /s | "
        f"1 process: {1 / statistics.median(service_times):.1f} /s | "
        f"{per_second * statistics.median(service_times):.2f}× |"
    )
    print(f"| verify_pdf, one B-T signature | {_ms(verify_times)} | — | — |")
    print(f"| verify_pdf, one B-LT signature | {_ms(verify_lt_times)} | — | — |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
