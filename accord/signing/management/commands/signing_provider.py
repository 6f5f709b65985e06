"""``accord signing-provider``: run the stand-in signing vendor (accord/signing/remote_server.py)."""

from django.core.management.base import BaseCommand

from accord.signing.remote_server import serve


class Command(BaseCommand):
    help = "Run a stand-in commercial signing vendor over HTTP (asynchronous, signed webhooks)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9030)
        parser.add_argument("--secret", required=True)

    def handle(self, *args, host, port, secret, **opts):
        server = serve(host, port, secret)
        bound_port = server.server_address[1]  # --port 0 takes a free port
        self.stdout.write(f"signing vendor stand-in on http://{host}:{bound_port}/")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
