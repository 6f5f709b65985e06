"""``accord sms-gateway``: run the stand-in SMS gateway (see accord.core.sms_simulator)."""

from django.core.management.base import BaseCommand

from accord.core.sms_simulator import serve


class Command(BaseCommand):
    help = (
        "Run a local SMS gateway over HTTP that behaves like a commercial one (failures included)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9025)
        parser.add_argument(
            "--secret", required=True, help="shared HMAC secret (ACCORD_SMS_HTTP_SECRET)"
        )

    def handle(self, *args, host, port, secret, **opts):
        server = serve(host, port, secret)
        bound_port = server.server_address[1]  # --port 0 takes a free port
        self.stdout.write(f"SMS gateway simulator on http://{host}:{bound_port}/", ending="\n")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
