"""The remote provider path against the stand-in vendor in its own process: asynchronous
completion by signed webhooks, duplicates and stale events, forged webhooks, failover."""

import hashlib
import io
import json
import socket
import time
import urllib.request

import pytest
import typst
from pyhanko.pdf_utils.reader import PdfFileReader

from accord.core.models import AuditEntry
from accord.signing.models import ProcessedWebhook, RemoteSigningRequest
from accord.signing.remote import ProviderUnavailable, get_provider, prepare_with_failover
from accord.signing.remote_server import sign_header
from tests.support.processes import accord_process, wait_until

SECRET = "vendor-shared-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def vendor_url():
    with accord_process(
        "signing-provider", "--port", "0", "--secret", SECRET, ready=r"on (http://\S+?)/?$"
    ) as ready:
        yield ready.group(1)


def _control(url: str, **flags) -> None:
    req = urllib.request.Request(f"{url}/_control", data=json.dumps(flags).encode(), method="POST")
    urllib.request.urlopen(req, timeout=5).read()


@pytest.fixture
def vendor(vendor_url, live_server, settings):
    settings.ACCORD_SIGNING_BASE_URL = live_server.url
    settings.ACCORD_SIGNING_REMOTE = {
        "vendor": {"url": vendor_url, "secret": SECRET},
        "dead": {"url": f"http://127.0.0.1:{_free_port()}", "secret": SECRET},
    }
    _control(vendor_url, down=False, duplicate_webhooks=False, stale_webhook=False)
    return vendor_url


def _complete(vendor_url: str, request_id: str) -> None:
    req = urllib.request.Request(
        f"{vendor_url}/v1/requests/{request_id}/complete", data=b"", method="POST"
    )
    urllib.request.urlopen(req, timeout=30).read()


def _wait_signed(request_id: str) -> RemoteSigningRequest:
    def signed():
        req = RemoteSigningRequest.objects.get(request_id=request_id)
        return req if req.status == "signed" else None

    return wait_until(signed, "the signed webhook")


def _webhooks_pending(vendor_url: str) -> int:
    with urllib.request.urlopen(f"{vendor_url}/_control", timeout=5) as r:
        return json.loads(r.read())["webhooks_pending"]


@pytest.mark.django_db(transaction=True)
def test_remote_signing_completes_by_webhook_and_the_result_is_checked(vendor, make_person):
    document = typst.compile("= 劳动合同".encode())
    provider = get_provider("vendor")
    prepared = provider.prepare(document, person=make_person(), document_name="合同")
    assert prepared.status == "pending"
    _complete(vendor, prepared.request_id)
    req = _wait_signed(prepared.request_id)
    signed = provider.fetch_result(prepared.request_id)
    assert hashlib.sha256(signed).hexdigest() == req.result_sha256
    reader = PdfFileReader(io.BytesIO(signed))
    assert [s.field_name for s in reader.embedded_signatures] == ["VendorSignature"]
    assert provider.status(prepared.request_id).status == "used"


@pytest.mark.django_db(transaction=True)
def test_duplicate_and_out_of_order_webhooks_change_nothing(vendor, make_person):
    _control(vendor, duplicate_webhooks=True, stale_webhook=True)
    provider = get_provider("vendor")
    prepared = provider.prepare(typst.compile(b"= Contract"), person=make_person())
    _complete(vendor, prepared.request_id)
    _wait_signed(prepared.request_id)
    # The duplicate and the stale "pending" event arrive after "signed": wait until delivered.
    wait_until(lambda: _webhooks_pending(vendor) == 0, "the vendor to deliver every webhook")
    req = RemoteSigningRequest.objects.get(request_id=prepared.request_id)
    assert (req.status, req.sequence) == ("signed", 2)
    assert (
        ProcessedWebhook.objects.filter(provider="vendor").count() == 2
    )  # signed once + the stale one
    assert (
        AuditEntry.objects.filter(
            action="signing.remote.event", object_id=str(req.public_id)
        ).count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_forged_and_replayed_webhooks_are_refused(vendor, client, make_person):
    provider = get_provider("vendor")
    prepared = provider.prepare(typst.compile(b"= Contract"), person=make_person())
    body = json.dumps(
        {"event_id": "e1", "request_id": prepared.request_id, "status": "failed", "sequence": 5}
    ).encode()
    forged = client.post(
        "/signing/webhooks/vendor",
        body,
        content_type="application/json",
        headers={"X-Vendor-Signature": sign_header(b"wrong", body)},
    )
    assert forged.status_code == 401 and forged.json()["code"] == "signing.webhook_bad_signature"
    old = client.post(
        "/signing/webhooks/vendor",
        body,
        content_type="application/json",
        headers={
            "X-Vendor-Signature": sign_header(SECRET.encode(), body, at=int(time.time()) - 3600)
        },
    )
    assert old.status_code == 401 and old.json()["code"] == "signing.webhook_stale"
    assert RemoteSigningRequest.objects.get(request_id=prepared.request_id).status == "pending"
    assert (
        client.post("/signing/webhooks/nobody", body, content_type="application/json").status_code
        == 404
    )


@pytest.mark.django_db(transaction=True)
def test_a_provider_that_is_down_hands_over_to_the_next(vendor, make_person):
    person = make_person()
    with pytest.raises(ProviderUnavailable):
        get_provider("dead").prepare(typst.compile(b"= A"), person=person)
    prepared = prepare_with_failover(typst.compile(b"= B"), person=person, order=["dead", "vendor"])
    assert prepared.provider == "vendor"
    assert (
        AuditEntry.objects.filter(action="signing.provider_failover", object_id="dead").count() == 1
    )
    _control(vendor, down=True)
    with pytest.raises(ProviderUnavailable):
        prepare_with_failover(typst.compile(b"= C"), person=person, order=["dead", "vendor"])


@pytest.mark.django_db
def test_enterprise_chooses_its_providers_in_order(client, make_enterprise, make_user, settings):
    from accord.signing.remote import provider_order
    from tests.conftest import login

    settings.ACCORD_SIGNING_REMOTE = {"vendor": {"url": "http://127.0.0.1:9", "secret": SECRET}}
    enterprise = make_enterprise()
    login(client, make_user("hr", enterprise=enterprise, totp=False))
    url = f"/api/v1/enterprises/{enterprise.public_id}/signing-providers"
    assert client.get(url).json() == {"providers": ["builtin"], "available": ["builtin", "vendor"]}
    r = client.put(url, {"providers": ["vendor", "builtin"]}, content_type="application/json")
    assert r.status_code == 200 and provider_order(enterprise) == ["vendor", "builtin"]
    for bad in (["nobody"], [], ["builtin", "builtin"]):
        r = client.put(url, {"providers": bad}, content_type="application/json")
        assert r.status_code == 422 and r.json()["code"] == "signing.provider_order_invalid"
    assert AuditEntry.objects.filter(action="signing.provider_order.set").count() == 1
