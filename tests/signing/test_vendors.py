"""The 法大大, e签宝 and 契约锁 adapters — tested against OUR READING OF THEIR DOCUMENTATION.

Nothing here reaches a real vendor. Each vendor is played by a small HTTP server on a real socket
that checks the headers and signatures the way the vendor's public documentation describes them
(re-computed here independently, with hashlib/hmac, not with the adapters' functions) and answers
in the documented shapes. A pass means: our requests match our reading of the documents.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import threading
import time
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accord.core.errors import AccordError
from accord.signing import remote, services
from accord.signing.models import ProcessedWebhook, RemoteSigningRequest
from accord.signing.providers import provider
from accord.signing.vendors import esign, fadada, qiyuesuo

pytestmark = pytest.mark.django_db

APP_ID = "7438-accord-test"
SECRET = "s3cr3t-for-tests-only"


# ---- a vendor on a real socket ----------------------------------------------------------------


class StandIn:
    """A threaded HTTP server; ``route(method, path, query, headers, body)`` answers each call."""

    def __init__(self, route) -> None:
        stand_in = self
        self.route = route
        self.calls: list[tuple[str, str]] = []
        self.refusals: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
                stand_in.calls.append((self.command, parsed.path))
                try:
                    status, payload, ctype = stand_in.route(
                        self.command, parsed.path, query, self.headers, body
                    )
                except Refused as exc:
                    stand_in.refusals.append(str(exc))
                    status, payload, ctype = (
                        401,
                        json.dumps({"code": 401, "message": str(exc)}).encode(),
                        "application/json",
                    )
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Refused(Exception):
    pass


def _md5(data: bytes):
    return hashlib.md5(data)  # noqa: S324 - the vendors' documented formats use MD5


def _json(data, status: int = 200):
    return status, json.dumps(data, ensure_ascii=False).encode(), "application/json"


def _expect(condition: bool, why: str) -> None:
    if not condition:
        raise Refused(why)


@pytest.fixture
def signed_result(platform, contract_pdf) -> bytes:
    """What the vendor hands back as the signed file (a real signed PDF)."""
    return services.seal_with_bureau(contract_pdf, level="B-B", visible=False).pdf


@pytest.fixture
def person(make_person):
    return make_person(name="王五", phone="13912345678")


def _configure(settings, name: str, base_url: str, id_key: str = "app_id", **extra) -> None:
    settings.ACCORD_SIGNING_VENDORS = {
        name: {id_key: APP_ID, "app_secret": SECRET, "base_url": base_url, **extra}
    }
    settings.ACCORD_SIGNING_BASE_URL = "https://accord.example.gov.cn"


# ---- e签宝 ----------------------------------------------------------------------------------


def esign_expected_signature(method: str, headers, path: str, query: dict) -> str:
    """The documented stringToSign, computed independently of the adapter."""
    url = path
    if query:
        url += "?" + "&".join(f"{k}={v}" if v else k for k, v in sorted(query.items()))
    text = (
        "\n".join(
            [
                method,
                headers.get("Accept", ""),
                headers.get("Content-MD5", ""),
                headers.get("Content-Type", ""),
                headers.get("Date", ""),
            ]
        )
        + "\n"
        + url
    )
    return base64.b64encode(
        hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).digest()
    ).decode()


def test_esign_request_signature_matches_the_documented_string_to_sign():
    body = json.dumps({"signFlowId": "abc"}).encode()
    headers = esign.request_headers(
        APP_ID, SECRET, "POST", "/v3/sign-flow/create-by-file", body, timestamp_ms=1700000000123
    )
    md5 = base64.b64encode(_md5(body).digest()).decode()
    assert headers["Content-MD5"] == md5
    assert headers["Content-Type"] == "application/json; charset=UTF-8"
    assert headers["X-Tsign-Open-Auth-Mode"] == "Signature"
    assert headers["X-Tsign-Open-Ca-Timestamp"] == "1700000000123"
    text = f"POST\n*/*\n{md5}\napplication/json; charset=UTF-8\n\n/v3/sign-flow/create-by-file"
    expected = base64.b64encode(hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).digest())
    assert headers["X-Tsign-Open-Ca-Signature"] == expected.decode()
    # GET without a body: Content-MD5 and Content-Type empty in the signed text, not sent.
    got = esign.request_headers(APP_ID, SECRET, "GET", "/v3/sign-flow/f/detail", None)
    assert "Content-MD5" not in got and "Content-Type" not in got
    text = "GET\n*/*\n\n\n\n/v3/sign-flow/f/detail"
    assert (
        got["X-Tsign-Open-Ca-Signature"]
        == base64.b64encode(
            hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).digest()
        ).decode()
    )
    # The query is signed sorted by name; an empty value signs as the bare name.
    assert esign.canonical_url("/v1/x", {"b": "2", "a": "1", "c": ""}) == "/v1/x?a=1&b=2&c"
    # MD5 of the empty body, Base64 (RFC 1864): a fixed, well-known value.
    assert esign.content_md5(b"") == "1B2M2Y8AsgTpgAmY7PhCfg=="


def esign_route(state: dict, stand_in_url: str, document: bytes, signed: bytes, phone: str):
    def route(method, path, query, headers, body):
        if path.startswith("/upload/"):  # e签宝's pre-signed upload URL
            _expect(
                headers.get("Content-MD5") == base64.b64encode(_md5(body).digest()).decode(),
                "upload md5",
            )
            _expect(body == document, "uploaded bytes")
            return _json({"errCode": 0, "msg": "成功"})
        if path.startswith("/download/"):
            return 200, signed, "application/pdf"
        _expect(headers.get("X-Tsign-Open-App-Id") == APP_ID, "app id")
        _expect(headers.get("X-Tsign-Open-Auth-Mode") == "Signature", "auth mode")
        at = int(headers.get("X-Tsign-Open-Ca-Timestamp", "0"))
        _expect(abs(time.time() * 1000 - at) < 15 * 60 * 1000, "timestamp (ms, 15 minutes)")
        if body:
            _expect(
                headers.get("Content-MD5") == base64.b64encode(_md5(body).digest()).decode(),
                "Content-MD5",
            )
        _expect(
            headers.get("X-Tsign-Open-Ca-Signature")
            == esign_expected_signature(method, headers, path, query),
            "INVALID_SIGNATURE",
        )
        if (method, path) == ("POST", "/v3/files/file-upload-url"):
            req = json.loads(body)
            _expect(
                req["contentMd5"] == base64.b64encode(_md5(document).digest()).decode(),
                "contentMd5",
            )
            _expect(
                req["fileSize"] == len(document) and req["contentType"] == "application/pdf", "file"
            )
            return _json(
                {
                    "code": 0,
                    "message": "成功",
                    "data": {"fileId": "file-1", "fileUploadUrl": f"{stand_in_url}/upload/file-1"},
                }
            )
        if (method, path) == ("POST", "/v3/sign-flow/create-by-file"):
            req = json.loads(body)
            signer = req["signers"][0]["psnSignerInfo"]
            _expect(
                signer["psnAccount"] == phone and signer["psnInfo"]["psnName"] == "王五", "signer"
            )
            _expect(req["docs"][0]["fileId"] == "file-1", "docs")
            _expect(
                req["signFlowConfig"]["notifyUrl"]
                == "https://accord.example.gov.cn/signing/webhooks/esign",
                "notifyUrl",
            )
            return _json({"code": 0, "message": "成功", "data": {"signFlowId": "flow-1"}})
        if (method, path) == ("GET", "/v3/sign-flow/flow-1/detail"):
            return _json({"code": 0, "data": {"signFlowStatus": state["status"]}})
        if (method, path) == ("GET", "/v3/sign-flow/flow-1/file-download-url"):
            return _json(
                {
                    "code": 0,
                    "data": {
                        "files": [
                            {"fileId": "file-1", "downloadUrl": f"{stand_in_url}/download/flow-1"}
                        ]
                    },
                }
            )
        return _json({"code": 404, "message": "no such API"}, 404)

    return route


def esign_callback(body: bytes, *, timestamp: str | None = None, secret: str = SECRET) -> dict:
    ts = timestamp or str(int(time.time() * 1000))
    sig = hmac.new(secret.encode(), ts.encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Tsign-Open-App-Id": APP_ID,
        "X-Tsign-Open-TIMESTAMP": ts,
        "X-Tsign-Open-SIGNATURE-ALGORITHM": "hmac-sha256",
        "X-Tsign-Open-SIGNATURE": sig,
    }


def test_esign_flow_against_a_stand_in_following_the_docs(
    settings, client, contract_pdf, signed_result, person
):
    state = {"status": 1}
    stand_in = StandIn(lambda *a: route(*a))
    route = esign_route(state, stand_in.url, contract_pdf, signed_result, person.phone)
    try:
        _configure(settings, "esign", stand_in.url)
        adapter = provider("esign")
        started = adapter.prepare(contract_pdf, person=person, document_name="劳动合同.pdf")
        assert stand_in.refusals == []
        assert started.request_id == "flow-1" and started.status == "pending"

        body = json.dumps(
            {
                "action": "SIGN_FLOW_COMPLETE",
                "signFlowId": "flow-1",
                "signFlowStatus": 2,
                "timestamp": 1,
            }
        ).encode()
        # A forged callback (wrong secret) and a stale one are refused.
        forged = client.post(
            "/signing/webhooks/esign",
            body,
            content_type="application/json",
            headers=esign_callback(body, secret="guess"),
        )
        assert (
            forged.status_code == 401 and forged.json()["code"] == "signing.webhook_bad_signature"
        )
        stale = client.post(
            "/signing/webhooks/esign",
            body,
            content_type="application/json",
            headers=esign_callback(body, timestamp=str(int((time.time() - 3600) * 1000))),
        )
        assert stale.status_code == 401 and stale.json()["code"] == "signing.webhook_stale"

        # An authentic callback arrives while e签宝 still says "signing": nothing changes.
        early = json.dumps(
            {"action": "SIGN_MISSON_COMPLETE", "signFlowId": "flow-1", "timestamp": 0}
        ).encode()
        assert (
            client.post(
                "/signing/webhooks/esign",
                early,
                content_type="application/json",
                headers=esign_callback(early),
            ).status_code
            == 200
        )
        assert adapter.status("flow-1").status == "pending"

        state["status"] = 2
        done = client.post(
            "/signing/webhooks/esign",
            body,
            content_type="application/json",
            headers=esign_callback(body),
        )
        assert done.status_code == 200, done.content
        assert adapter.status("flow-1").status == "used"
        assert adapter.fetch_result("flow-1") == signed_result
        # The same delivery again is a no-op.
        assert (
            client.post(
                "/signing/webhooks/esign",
                body,
                content_type="application/json",
                headers=esign_callback(body),
            ).status_code
            == 200
        )
        assert ProcessedWebhook.objects.filter(provider="esign").count() == 2
        assert stand_in.refusals == []
    finally:
        stand_in.close()


def test_esign_callback_claiming_success_is_checked_with_esign(
    settings, client, contract_pdf, signed_result, person
):
    """A valid callback says 'complete' but e签宝's API says the flow was rejected: we believe the API."""
    state = {"status": 1}
    stand_in = StandIn(lambda *a: route(*a))
    route = esign_route(state, stand_in.url, contract_pdf, signed_result, person.phone)
    try:
        _configure(settings, "esign", stand_in.url)
        provider("esign").prepare(contract_pdf, person=person, document_name="x.pdf")
        state["status"] = 7
        body = json.dumps(
            {
                "action": "SIGN_FLOW_COMPLETE",
                "signFlowId": "flow-1",
                "signFlowStatus": 2,
                "timestamp": 5,
            }
        ).encode()
        assert (
            client.post(
                "/signing/webhooks/esign",
                body,
                content_type="application/json",
                headers=esign_callback(body),
            ).status_code
            == 200
        )
        req = RemoteSigningRequest.objects.get(provider="esign", request_id="flow-1")
        assert req.status == "failed" and not req.result_sha256
    finally:
        stand_in.close()


# ---- 法大大 ---------------------------------------------------------------------------------


def fasc_expected_sign(headers, biz_content: str | None) -> str:
    params = {
        k: v
        for k, v in headers.items()
        if k.lower().startswith("x-fasc-") and k.lower() != "x-fasc-sign"
    }
    canonical = {}
    for k, v in params.items():
        proper = next(n for n in FASC_NAMES if n.lower() == k.lower())
        canonical[proper] = v
    if biz_content:
        canonical["bizContent"] = biz_content
    joined = "&".join(f"{k}={canonical[k]}" for k in sorted(canonical) if canonical[k])
    sign_text = hashlib.sha256(joined.encode()).hexdigest()
    key = hmac.new(SECRET.encode(), canonical["X-FASC-Timestamp"].encode(), hashlib.sha256).digest()
    return hmac.new(key, sign_text.encode(), hashlib.sha256).hexdigest()


FASC_NAMES = [
    "X-FASC-App-Id",
    "X-FASC-Sign-Type",
    "X-FASC-Timestamp",
    "X-FASC-Nonce",
    "X-FASC-AccessToken",
    "X-FASC-Api-SubVersion",
    "X-FASC-Grant-Type",
    "X-FASC-Event",
]


def test_fasc_signature_is_the_two_step_hmac_over_sorted_parameters():
    headers = fadada.request_headers(
        APP_ID,
        SECRET,
        access_token="tok",
        biz_content='{"a":1}',
        timestamp_ms=1700000000000,
        nonce="n" * 32,
    )
    joined = (
        "X-FASC-AccessToken=tok&X-FASC-Api-SubVersion=5.1&X-FASC-App-Id="
        + APP_ID
        + "&X-FASC-Nonce="
        + "n" * 32
        + "&X-FASC-Sign-Type=HMAC-SHA256"
        + '&X-FASC-Timestamp=1700000000000&bizContent={"a":1}'
    )
    sign_text = hashlib.sha256(joined.encode()).hexdigest()
    key = hmac.new(SECRET.encode(), b"1700000000000", hashlib.sha256).digest()
    assert headers["X-FASC-Sign"] == hmac.new(key, sign_text.encode(), hashlib.sha256).hexdigest()
    # Pinned value: a change in the algorithm shows up here (recompute only with the docs open).
    assert headers["X-FASC-Sign"] == fasc_expected_sign(headers, '{"a":1}')


def fasc_route(state: dict, url: str, document: bytes, signed: bytes, phone: str):
    def route(method, path, query, headers, body):
        if path == "/upload/doc-1":
            _expect(method == "PUT" and body == document, "upload")
            return 200, b"", "text/plain"
        if path == "/download/task-1":
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w") as z:
                z.writestr("劳动合同.pdf", signed)
            return 200, archive.getvalue(), "application/zip"
        _expect(headers.get("X-FASC-App-Id") == APP_ID, "app id")
        _expect(headers.get("X-FASC-Sign-Type") == "HMAC-SHA256", "sign type")
        _expect(len(headers.get("X-FASC-Nonce", "")) >= 16, "nonce")
        _expect(
            abs(time.time() * 1000 - int(headers.get("X-FASC-Timestamp", "0"))) < 5 * 60 * 1000,
            "timestamp",
        )
        form = urllib.parse.parse_qs(body.decode())
        biz = form.get("bizContent", [None])[0]
        _expect(headers.get("X-FASC-Sign") == fasc_expected_sign(headers, biz), "sign")
        if path == "/service/get-access-token":
            _expect(headers.get("X-FASC-Grant-Type") == "client_credential", "grant type")
            state["tokens"] = state.get("tokens", 0) + 1
            return _json(
                {
                    "code": "100000",
                    "msg": "success",
                    "data": {"accessToken": "tok-1", "expiresIn": 7200},
                }
            )
        _expect(headers.get("X-FASC-AccessToken") == "tok-1", "access token")
        _expect(
            headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"), "form"
        )
        data = json.loads(biz)
        if path == "/file/get-upload-url":
            return _json(
                {
                    "code": "100000",
                    "data": {"uploadUrl": f"{url}/upload/doc-1", "fddFileUrl": "fdd://doc-1"},
                }
            )
        if path == "/file/process":
            _expect(data["fddFileUrlList"][0]["fddFileUrl"] == "fdd://doc-1", "fddFileUrl")
            return _json({"code": "100000", "data": {"fileIdList": [{"fileId": "file-9"}]}})
        if path == "/sign-task/create":
            actor = data["actors"][0]["actor"]
            _expect(
                actor["actorName"] == "王五" and actor["notification"]["notifyAddress"] == phone,
                "actor",
            )
            _expect(
                data["docs"][0]["docFileId"] == "file-9"
                and data["initiator"]["openId"] == "corp-1",
                "docs",
            )
            return _json({"code": "100000", "data": {"signTaskId": "task-1"}})
        if path == "/sign-task/app/get-detail":
            return _json(
                {
                    "code": "100000",
                    "data": {"signTaskId": "task-1", "signTaskStatus": state["status"]},
                }
            )
        if path == "/sign-task/owner/get-download-url":
            return _json({"code": "100000", "data": {"downloadUrl": f"{url}/download/task-1"}})
        return _json({"code": "404", "msg": "no such API"}, 404)

    return route


def fasc_callback(biz: dict, *, secret: str = SECRET) -> tuple[bytes, dict]:
    biz_content = json.dumps(biz)
    headers = {
        "X-FASC-App-Id": APP_ID,
        "X-FASC-Sign-Type": "HMAC-SHA256",
        "X-FASC-Timestamp": str(int(time.time() * 1000)),
        "X-FASC-Nonce": "c" * 32,
        "X-FASC-Event": "sign-task-finished",
    }
    joined = "&".join(f"{k}={v}" for k, v in sorted({**headers, "bizContent": biz_content}.items()))
    key = hmac.new(secret.encode(), headers["X-FASC-Timestamp"].encode(), hashlib.sha256).digest()
    headers["X-FASC-Sign"] = hmac.new(
        key, hashlib.sha256(joined.encode()).hexdigest().encode(), hashlib.sha256
    ).hexdigest()
    return urllib.parse.urlencode({"bizContent": biz_content}).encode(), headers


def test_fadada_flow_against_a_stand_in_following_the_docs(
    settings, client, contract_pdf, signed_result, person
):
    state = {"status": "sign_progress"}
    stand_in = StandIn(lambda *a: route(*a))
    route = fasc_route(state, stand_in.url, contract_pdf, signed_result, person.phone)
    try:
        _configure(settings, "fadada", stand_in.url, open_corp_id="corp-1")
        adapter = provider("fadada")
        started = adapter.prepare(contract_pdf, person=person, document_name="劳动合同.pdf")
        assert stand_in.refusals == [] and started.request_id == "task-1"
        assert state["tokens"] == 1  # one token for the whole flow (cached)

        body, headers = fasc_callback({"signTaskId": "task-1"}, secret="guess")
        assert (
            client.post(
                "/signing/webhooks/fadada",
                body,
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            ).status_code
            == 401
        )

        state["status"] = "task_finished"
        body, headers = fasc_callback({"signTaskId": "task-1"})
        answer = client.post(
            "/signing/webhooks/fadada",
            body,
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
        assert answer.status_code == 200, answer.content
        assert adapter.status("task-1").status == "used"
        assert adapter.fetch_result("task-1") == signed_result  # unpacked from 法大大's zip
        assert stand_in.refusals == []
    finally:
        stand_in.close()


# ---- 契约锁 ---------------------------------------------------------------------------------


def test_qiyuesuo_signature_is_md5_of_token_secret_timestamp_nonce():
    headers = qiyuesuo.request_headers(
        APP_ID, SECRET, timestamp_ms=1565753984643, nonce="254775d7-3c7c-4e9d-9880-1d4c5fb3dbd0"
    )
    expected = _md5(
        f"{APP_ID}{SECRET}1565753984643254775d7-3c7c-4e9d-9880-1d4c5fb3dbd0".encode()
    ).hexdigest()
    assert headers == {
        "x-qys-open-accesstoken": APP_ID,
        "x-qys-open-timestamp": "1565753984643",
        "x-qys-open-nonce": "254775d7-3c7c-4e9d-9880-1d4c5fb3dbd0",
        "x-qys-open-signature": expected,
    }
    assert len(expected) == 32 and expected == expected.lower()


def qiyuesuo_route(state: dict, document: bytes, signed: bytes, phone: str):
    seen_nonces: set[str] = set()

    def route(method, path, query, headers, body):
        token = headers.get("x-qys-open-accesstoken")
        ts = headers.get("x-qys-open-timestamp", "")
        nonce = headers.get("x-qys-open-nonce", "")
        _expect(token == APP_ID, "token")
        _expect(nonce not in seen_nonces, "nonce used twice")
        seen_nonces.add(nonce)
        _expect(
            headers.get("x-qys-open-signature")
            == _md5(f"{token}{SECRET}{ts}{nonce}".encode()).hexdigest(),
            "signature",
        )
        if (method, path) == ("POST", "/v2/contract/draft"):
            data = json.loads(body)
            _expect(data["signatories"][0]["receiver"]["mobile"] == phone, "receiver")
            return _json({"code": 0, "message": "SUCCESS", "result": {"id": "c-1"}})
        if (method, path) == ("POST", "/v2/document/addbyfile"):
            _expect(headers.get("Content-Type", "").startswith("multipart/form-data"), "multipart")
            _expect(document in body and b'name="contractId"\r\n\r\nc-1' in body, "file part")
            return _json({"code": 0, "result": {"documentId": "d-1"}})
        if (method, path) == ("POST", "/v2/contract/send"):
            _expect(json.loads(body) == {"contractId": "c-1"}, "send")
            return _json({"code": 0, "message": "SUCCESS"})
        if (method, path) == ("GET", "/v2/contract/detail"):
            _expect(query == {"contractId": "c-1"}, "detail query")
            return _json(
                {
                    "code": 0,
                    "result": {
                        "id": "c-1",
                        "status": state["status"],
                        "documents": [{"id": "d-1"}],
                    },
                }
            )
        if (method, path) == ("GET", "/v2/document/download"):
            _expect(query == {"documentId": "d-1"}, "download query")
            return 200, signed, "application/pdf"
        return _json({"code": 1001, "message": "no such API"}, 404)

    return route


def test_qiyuesuo_flow_against_a_stand_in_following_the_docs(
    settings, client, contract_pdf, signed_result, person
):
    state = {"status": "SIGNING"}
    stand_in = StandIn(qiyuesuo_route(state, contract_pdf, signed_result, person.phone))
    try:
        _configure(settings, "qiyuesuo", stand_in.url, id_key="app_token")
        adapter = provider("qiyuesuo")
        started = adapter.prepare(contract_pdf, person=person, document_name="劳动合同.pdf")
        assert stand_in.refusals == [] and started.request_id == "c-1"

        state["status"] = "COMPLETE"
        body = json.dumps({"contractId": "c-1", "status": "COMPLETE"}).encode()
        forged = qiyuesuo.request_headers(APP_ID, "guess")
        assert (
            client.post(
                "/signing/webhooks/qiyuesuo", body, content_type="application/json", headers=forged
            ).status_code
            == 401
        )
        good = qiyuesuo.request_headers(APP_ID, SECRET)
        assert (
            client.post(
                "/signing/webhooks/qiyuesuo", body, content_type="application/json", headers=good
            ).status_code
            == 200
        )
        assert adapter.fetch_result("c-1") == signed_result
        assert stand_in.refusals == []
    finally:
        stand_in.close()


# ---- choosing a vendor ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fadada", "esign", "qiyuesuo"])
def test_an_unconfigured_vendor_refuses_clearly_and_cannot_be_chosen(
    settings, name, make_enterprise, monkeypatch
):
    settings.ACCORD_SIGNING_VENDORS = {}
    for key in ("APP_ID", "APP_SECRET", "APP_TOKEN", "BASE_URL"):
        monkeypatch.delenv(f"ACCORD_{name.upper()}_{key}", raising=False)
    with pytest.raises(AccordError) as err:
        provider(name)
    assert err.value.code == "signing.provider_not_configured"
    assert name not in remote.available_providers()
    with pytest.raises(AccordError) as err:
        remote.set_provider_order(make_enterprise(), [name, "builtin"])
    assert err.value.code == "signing.provider_not_configured"


def test_a_configured_vendor_can_be_chosen_and_its_secret_comes_from_the_environment(
    settings, make_enterprise, monkeypatch
):
    settings.ACCORD_SIGNING_VENDORS = {}
    monkeypatch.setenv("ACCORD_ESIGN_APP_ID", APP_ID)
    monkeypatch.setenv("ACCORD_ESIGN_APP_SECRET", SECRET)
    assert "esign" in remote.available_providers()
    enterprise = make_enterprise()
    assert remote.set_provider_order(enterprise, ["esign", "builtin"]) == ["esign", "builtin"]
    assert remote.provider_order(enterprise) == ["esign", "builtin"]
    assert provider("esign").config().base_url == "https://openapi.esign.cn"


def test_failover_passes_over_a_vendor_that_is_down(settings, contract_pdf, person):
    """e签宝 configured but unreachable (a closed port): the built-in provider signs instead."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    _configure(settings, "esign", f"http://127.0.0.1:{closed}")
    person.verification_level = "registry"
    person.save()
    answer = remote.prepare_with_failover(contract_pdf, person=person, order=["esign", "builtin"])
    assert answer.provider == "builtin"


def test_a_signer_without_a_mobile_number_is_refused_before_any_call(
    settings, contract_pdf, make_person
):
    stand_in = StandIn(lambda *a: _json({"code": 0}))
    try:
        _configure(settings, "esign", stand_in.url)
        person = make_person(name="赵六")
        person.phone = ""
        with pytest.raises(AccordError) as err:
            provider("esign").prepare(contract_pdf, person=person)
        assert err.value.code == "signing.signer_phone_missing"
        assert stand_in.calls == []
    finally:
        stand_in.close()


def test_hr_chooses_a_vendor_through_the_api_only_once_it_is_configured(
    client, settings, make_enterprise, make_user
):
    from tests.conftest import login

    settings.ACCORD_SIGNING_VENDORS = {}
    enterprise = make_enterprise()
    login(client, make_user("hr", enterprise=enterprise, totp=False))
    url = f"/api/v1/enterprises/{enterprise.public_id}/signing-providers"
    assert "qiyuesuo" not in client.get(url).json()["available"]
    refused = client.put(url, {"providers": ["qiyuesuo"]}, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "signing.provider_not_configured"

    _configure(settings, "qiyuesuo", "http://127.0.0.1:9", id_key="app_token")
    assert "qiyuesuo" in client.get(url).json()["available"]
    chosen = client.put(
        url, {"providers": ["qiyuesuo", "builtin"]}, content_type="application/json"
    )
    assert chosen.status_code == 200 and chosen.json()["providers"] == ["qiyuesuo", "builtin"]
