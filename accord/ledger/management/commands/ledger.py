"""``accord ledger ...``: verify the log, write proof bundles, manage witnesses.

Subcommands:
  verify                    re-hash the whole log against its checkpoints (exit 1 + first bad index)
  prove HASH [-o FILE]      write the proof bundle of the entry with leaf hash HASH (hex)
  verify-bundle FILE --log-key VKEY [--witness-key VKEY ...] [--quorum N]
                            check a bundle offline, with nothing but the public keys
  keys                      print the log's public key (vkey) and the witnesses'
  checkpoint                print the latest checkpoint with its cosignatures
  cosign                    ask every witness to cosign the latest checkpoint
  add-witness NAME URL VKEY register a witness (tlog-witness) for cosigning
  audit-digest [--day YYYY-MM-DD]
                            append the daily digest of the audit log (default: yesterday)
  append-demo --batches N --batch-size B
                            append test entries (load tests, the crash test)
  sequencer [--socket PATH] run the sequencer process: grouped appends for every process
  index                     bring the look-up index up to the tree (the sequencer does it too)
  publish DIR               write the log as static tlog-tiles files (tiles, bundles, checkpoint)
  monitor URL --log-key VKEY [--state FILE] [--entries]
                            follow a log or a mirror of its tiles; report a fork or rollback
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accord.core.errors import AccordError


class Command(BaseCommand):
    help = (
        "The evidence ledger: verify, prove, verify-bundle, keys, checkpoint, cosign, add-witness."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="re-hash the whole log and check every checkpoint")
        prove = sub.add_parser("prove", help="write the proof bundle of one entry")
        prove.add_argument("leaf_hash", help="the entry's leaf hash, 64 hex digits")
        prove.add_argument("-o", "--output", help="file to write (default: stdout)")
        prove.add_argument("--disclose", action="store_true", help="include personal-field salts")
        vb = sub.add_parser("verify-bundle", help="check a proof bundle offline")
        vb.add_argument("bundle", help="bundle JSON file ('-' for stdin)")
        vb.add_argument("--log-key", required=True, help="the log's vkey")
        vb.add_argument("--witness-key", action="append", default=[], help="a witness vkey")
        vb.add_argument("--quorum", type=int, default=None)
        sub.add_parser("keys", help="print the public keys")
        sub.add_parser("checkpoint", help="print the latest cosigned checkpoint")
        sub.add_parser("cosign", help="collect witness cosignatures for the latest checkpoint")
        aw = sub.add_parser("add-witness", help="register a witness")
        aw.add_argument("name")
        aw.add_argument("url")
        aw.add_argument("vkey")
        digest = sub.add_parser("audit-digest", help="append the audit log's daily digest")
        digest.add_argument("--day", help="YYYY-MM-DD, Asia/Shanghai (default: yesterday)")
        demo = sub.add_parser("append-demo", help="append demo entries in batches")
        demo.add_argument("--batches", type=int, default=10)
        demo.add_argument("--batch-size", type=int, default=100)
        demo.add_argument("--pause", type=float, default=0.0, help="seconds between batches")
        seq = sub.add_parser("sequencer", help="run the sequencer process (grouped appends)")
        seq.add_argument("--socket", help="Unix socket path (default ACCORD_LEDGER_SOCKET)")
        sub.add_parser("index", help="index the entries appended since the last run")
        pub = sub.add_parser("publish", help="write static tlog-tiles files to a directory")
        pub.add_argument("directory")
        mon = sub.add_parser("monitor", help="follow a log or a static mirror of it")
        from accord.ledger import monitor

        monitor.add_arguments(mon)

    def handle(self, *args, **opts):
        try:
            getattr(self, "do_" + opts["action"].replace("-", "_"))(opts)
        except AccordError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None

    def do_verify(self, opts):
        from accord.ledger.verification import verify_log

        report = verify_log()
        rate = report.tree_size / report.seconds if report.seconds else 0
        if report.ok:
            self.stdout.write(
                f"OK: {report.tree_size} entries re-hashed, {report.tiles_checked} tiles and "
                f"{report.checkpoints_checked} checkpoints checked in {report.seconds:.2f} s "
                f"({rate:,.0f} entries/s)."
            )
            return
        self.stderr.write(f"FAILED: first bad index {report.first_bad_index}")
        for problem in report.problems:
            self.stderr.write(f"  index {problem.index}: {problem.what}")
        if report.truncated:
            self.stderr.write("  ... and more; fix or explain these first")
        sys.exit(1)

    def do_prove(self, opts):
        from accord.ledger.services import bundle_for

        text = opts["leaf_hash"].strip().lower()
        try:
            leaf = bytes.fromhex(text)
        except ValueError:
            leaf = b""
        if len(leaf) != 32:
            raise CommandError(
                "ledger.invalid_leaf_hash: 叶哈希应为 64 位十六进制。/ The leaf hash must be 64 hex digits."
            )
        bundle = bundle_for(leaf_hash=leaf, disclose=opts["disclose"])
        out = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
        if opts["output"]:
            Path(opts["output"]).write_text(out, encoding="utf-8")
            self.stdout.write(
                f"bundle for entry {bundle['entry']['index']} written to {opts['output']}"
            )
        else:
            self.stdout.write(out, ending="")

    def do_verify_bundle(self, opts):
        from accord.ledger.bundle import BundleError, verify_bundle

        try:
            raw = (
                sys.stdin.read()
                if opts["bundle"] == "-"
                else Path(opts["bundle"]).read_text("utf-8")
            )
        except OSError as exc:
            raise CommandError(f"cannot read bundle: {exc}") from None
        try:
            result = verify_bundle(raw, opts["log_key"], opts["witness_key"], opts["quorum"])
        except BundleError as exc:
            raise CommandError(f"{exc.code}: {exc.message_zh} / {exc.message_en}") from None
        self.stdout.write(
            f"OK: entry {result.index} ({result.body.get('type', '?')}) is in {result.origin} "
            f"at tree size {result.tree_size}; cosigned by {', '.join(sorted(result.cosigned_by)) or 'no witness'}."
        )

    def do_keys(self, opts):
        from accord.ledger.checkpoints import log_verifier
        from accord.ledger.models import Witness

        self.stdout.write(f"log      {log_verifier().vkey}")
        for w in Witness.objects.filter(active=True).order_by("name"):
            self.stdout.write(f"witness  {w.vkey}  {w.url}")

    def do_checkpoint(self, opts):
        from accord.ledger.checkpoints import cosigned_text, latest_checkpoint

        self.stdout.write(cosigned_text(latest_checkpoint()), ending="")

    def do_cosign(self, opts):
        from accord.ledger.checkpoints import collect_cosignatures

        failed = False
        for outcome in collect_cosignatures():
            state = "cosigned" if outcome.ok else f"REFUSED ({outcome.status}) {outcome.detail}"
            failed |= not outcome.ok
            self.stdout.write(f"{outcome.witness}: {state}")
        if failed:
            sys.exit(1)

    def do_add_witness(self, opts):
        from accord.ledger.models import Witness
        from accord.ledger.note import NoteError, Verifier

        try:
            verifier = Verifier.from_vkey(opts["vkey"])
        except NoteError as exc:
            raise CommandError(f"ledger.bad_public_key: {exc}") from None
        if verifier.name != opts["name"]:
            raise CommandError("ledger.bad_public_key: the vkey's name differs from NAME")
        Witness.objects.update_or_create(
            name=opts["name"], defaults={"url": opts["url"], "vkey": opts["vkey"], "active": True}
        )
        self.stdout.write(f"witness {opts['name']} at {opts['url']} registered")

    def do_audit_digest(self, opts):
        from datetime import date, timedelta

        from django.utils import timezone

        from accord.ledger.services import record_audit_digest

        try:
            day = (
                date.fromisoformat(opts["day"])
                if opts["day"]
                else timezone.localdate() - timedelta(days=1)
            )
        except ValueError:
            raise CommandError(
                "ledger.invalid_day: 日期格式应为 YYYY-MM-DD。/ The day must be YYYY-MM-DD."
            ) from None
        entry = record_audit_digest(day)
        self.stdout.write(f"audit digest of {day} recorded as entry {entry.index}")

    def do_append_demo(self, opts):
        from accord.ledger import storage
        from accord.ledger.entries import prepare

        start = storage.tree_size()
        for b in range(opts["batches"]):
            items = [
                prepare("test.demo", {"n": start + b * opts["batch_size"] + i, "note": "demo"})
                for i in range(opts["batch_size"])
            ]
            result = storage.append(items)
            self.stdout.write(f"batch {b} -> size {result.tree_size}")
            self.stdout.flush()
            if opts["pause"]:
                time.sleep(opts["pause"])

    def do_sequencer(self, opts):
        import signal

        from accord.ledger import sequencer

        path = Path(opts["socket"]) if opts["socket"] else sequencer.socket_path()
        batcher = sequencer.Batcher(**sequencer.batcher_options()).start()

        def terminate(*_):
            raise KeyboardInterrupt  # finish the batch in hand, remove the socket, exit

        signal.signal(signal.SIGTERM, terminate)

        def ready():
            self.stdout.write(f"ledger sequencer listening on {path}")
            self.stdout.flush()

        try:
            sequencer.serve(path, batcher, ready)
        except KeyboardInterrupt:
            pass

    def do_index(self, opts):
        from accord.ledger import storage

        size = storage.tree_size()
        done = storage.catch_up_index()
        while done < size:
            done = storage.catch_up_index()
        self.stdout.write(f"look-up index covers {done} of {size} entries")

    def do_publish(self, opts):
        from accord.ledger.mirror import publish

        size, written = publish(Path(opts["directory"]))
        self.stdout.write(f"published tree size {size}: {written} new files in {opts['directory']}")

    def do_monitor(self, opts):
        from types import SimpleNamespace

        from accord.ledger import monitor

        args = SimpleNamespace(
            url=opts["url"],
            log_key=opts["log_key"],
            state=Path(opts["state"]) if opts["state"] else None,
            entries=opts["entries"],
        )
        code = monitor.run(args, self.stdout)
        if code:
            sys.exit(code)
