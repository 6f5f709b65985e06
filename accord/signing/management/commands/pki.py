"""``accord pki init-token`` and ``accord pki status``: the platform's keys and where they live.

``init-token`` puts the platform's keys into the configured PKCS#11 token (ACCORD_PKCS11_MODULE,
ACCORD_PKCS11_TOKEN, ACCORD_PKCS11_PIN; the token itself is initialised beforehand with the HSM's
own tool, e.g. ``softhsm2-util --init-token``):

* no platform yet: root, issuing CA, TSA and bureau seal are created with their keys in the token;
* a platform whose keys are envelope-encrypted: refused unless ``--rotate``, which issues a new
  issuing CA (and TSA and bureau seal under it) in the token. The root stays where it is: a new
  root is a new trust anchor (docs/signing.md, "Key rotation with a token").
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accord.core.errors import AccordError


class Command(BaseCommand):
    help = "Put the platform's CA keys in the PKCS#11 token (init-token), or show where they are."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser(
            "init-token", help="Create (or rotate) the platform keys in the token."
        )
        init.add_argument(
            "--rotate",
            action="store_true",
            help="Platform exists with envelope-encrypted keys: rotate the issuing CA into the token.",
        )
        sub.add_parser("status", help="Where each current platform key lives.")

    def handle(self, *args, **options):
        try:
            if options["action"] == "init-token":
                self._init(options["rotate"])
            self._status()
        except AccordError as exc:
            raise CommandError(f"{exc.code}: {exc.message_en}") from exc

    def _init(self, rotate: bool) -> None:
        from accord.signing import hsm, pki

        if hsm.config() is None:
            raise CommandError(
                "Set ACCORD_PKCS11_MODULE, ACCORD_PKCS11_TOKEN and ACCORD_PKCS11_PIN first."
            )
        with hsm.session():  # fails early, with the token's own error, if it cannot be opened
            pass
        issuing = pki.current(pki.Kind.ISSUING)
        if issuing is None:
            pki.ensure_platform()
            self.stdout.write("Platform created with its keys in the token.")
        elif hsm.is_token_reference(issuing.key_sealed):
            pki.ensure_platform()
            self.stdout.write("The issuing CA's key is in the token already; nothing to do.")
        elif not rotate:
            raise CommandError(
                "The platform's keys are envelope-encrypted. Run with --rotate to issue a new "
                "issuing CA, TSA and bureau seal with keys in the token."
            )
        else:
            new = pki.rotate_issuing_ca()
            self.stdout.write(f"New issuing CA {new.serial} with its key in the token.")

    def _status(self) -> None:
        from accord.signing import hsm, pki

        for kind in (pki.Kind.ROOT, pki.Kind.ISSUING, pki.Kind.TSA, pki.Kind.BUREAU_SEAL):
            cert = pki.current(kind)
            if cert is None:
                self.stdout.write(f"{kind:12} —")
                continue
            if hsm.is_token_reference(cert.key_sealed):
                label = cert.key_sealed.removeprefix(hsm.MARKER)
                attrs = hsm.attributes(label)
                where = (
                    f"PKCS#11 token, label {label}, "
                    f"extractable={attrs['extractable']}, sensitive={attrs['sensitive']}"
                )
            else:
                where = "envelope-encrypted (ACCORD_DATA_KEYS)"
            self.stdout.write(f"{kind:12} {cert.serial}  {where}")
