"""e签宝 (esign.cn) open API v3 adapter — UNTESTED AGAINST THE REAL SERVICE (we cannot reach it).

Written from e签宝's public documentation only:

- request signing ("请求签名鉴权"): https://open.esign.cn/doc/opendoc/saasapi-std/fsf57g and
  https://open.esign.cn/docs/wk/接口文档/开始前必读/请求签名鉴权.html — headers
  ``X-Tsign-Open-App-Id``, ``X-Tsign-Open-Auth-Mode: Signature``, ``X-Tsign-Open-Ca-Timestamp``
  (milliseconds, valid 15 minutes), ``Content-MD5`` = Base64(MD5(body)), ``X-Tsign-Open-Ca-Signature``
  = Base64(HMAC-SHA256(AppSecret, stringToSign)) with stringToSign = method, Accept, Content-MD5,
  Content-Type, Date, each followed by a newline (also when empty), then the signed headers (none
  here) and the URL (path, then the query parameters sorted by name). For GET without a body
  Content-MD5 and Content-Type are empty (https://blog.csdn.net/maxsky/article/details/135708238
  reports the gateway's answer to getting that wrong);
- common headers, hosts and the ``code``/``message``/``data`` answer:
  https://open.esign.cn/doc/opendoc/saasapi-std/dwfoy7 ;
- starting a flow from a file: https://open.esign.cn/doc/opendoc/pdf-sign3/nxhgcl3bfgqz8qlz
  (``POST /v3/sign-flow/create-by-file``), the upload of the file it needs
  (``POST /v3/files/file-upload-url``, then ``PUT`` of the bytes with their Content-MD5);
- callbacks: https://open.esign.cn/doc/opendoc/notify3/sblzg8 — headers ``X-Tsign-Open-App-Id``,
  ``X-Tsign-Open-TIMESTAMP``, ``X-Tsign-Open-SIGNATURE-ALGORITHM: hmac-sha256`` and
  ``X-Tsign-Open-SIGNATURE`` = hex(HMAC-SHA256(AppSecret, timestamp + query values + body)); our
  callback URL carries no query, so the signed text is the timestamp followed by the raw body.

The signer is identified to e签宝 by name and mobile number only (e签宝 verifies the person and
asks for their consent itself); no resident ID number leaves Accord.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from accord.signing.vendors.base import (
    Outcome,
    VendorAdapter,
    check_age,
    header,
    rejected,
)

JSON_TYPE = "application/json; charset=UTF-8"
ACCEPT = "*/*"


def content_md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324 - e签宝's format


def canonical_url(path: str, query: Mapping[str, str] | None = None) -> str:
    """The URL as signed: the path, then ``?`` and the query sorted by name (``k`` alone when
    its value is empty)."""
    if not query:
        return path
    parts = [f"{k}={v}" if v != "" else k for k, v in sorted(query.items())]
    return f"{path}?{'&'.join(parts)}"


def string_to_sign(
    method: str,
    url: str,
    *,
    accept: str = ACCEPT,
    md5: str = "",
    content_type: str = "",
    date: str = "",
    signed_headers: str = "",
) -> str:
    return f"{method.upper()}\n{accept}\n{md5}\n{content_type}\n{date}\n{signed_headers}{url}"


def signature(app_secret: str, text: str) -> str:
    mac = hmac.new(app_secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def request_headers(
    app_id: str,
    app_secret: str,
    method: str,
    path: str,
    body: bytes | None,
    *,
    query: Mapping[str, str] | None = None,
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    """The headers of one signed request (signature mode)."""
    has_body = body is not None and len(body) > 0
    md5 = content_md5(body) if has_body and body is not None else ""
    content_type = JSON_TYPE if has_body else ""
    text = string_to_sign(method, canonical_url(path, query), md5=md5, content_type=content_type)
    headers = {
        "X-Tsign-Open-App-Id": app_id,
        "X-Tsign-Open-Auth-Mode": "Signature",
        "X-Tsign-Open-Ca-Timestamp": str(
            timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        ),
        "Accept": ACCEPT,
        "X-Tsign-Open-Ca-Signature": signature(app_secret, text),
    }
    if has_body:
        headers["Content-Type"] = content_type
        headers["Content-MD5"] = md5
    return headers


def callback_signature(app_secret: str, timestamp: str, body: bytes, query_values: str = "") -> str:
    text = timestamp.encode() + query_values.encode() + body
    return hmac.new(app_secret.encode(), text, hashlib.sha256).hexdigest()


# signFlowStatus (docs: 查询签署流程详情): 2 完成, 3 撤销, 5 过期, 7 拒签; 0/1 still open.
_FINAL = {2: "signed", 3: "failed", 5: "failed", 7: "failed"}


class EsignAdapter(VendorAdapter):
    name = "esign"
    label = "e签宝"
    default_base_url = "https://openapi.esign.cn"

    def _call(
        self, method: str, path: str, payload: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        conf = self.config()
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
        headers = request_headers(conf.app_id, conf.app_secret, method, path, body)
        answer = self.http(method, conf.base_url.rstrip("/") + path, body, headers).json()
        if answer.get("code") != 0:
            raise self.refused(answer.get("code"), answer.get("message"))
        return answer.get("data") or {}

    def create_flow(self, document: bytes, *, person, document_name: str, client_ref: str) -> str:
        name = document_name if document_name.lower().endswith(".pdf") else f"{document_name}.pdf"
        md5 = content_md5(document)
        upload = self._call(
            "POST",
            "/v3/files/file-upload-url",
            {
                "contentMd5": md5,
                "contentType": "application/pdf",
                "fileName": name,
                "fileSize": len(document),
                "convertToPDF": False,
            },
        )
        # The upload URL is pre-signed by e签宝: only the body's MD5 and type go with it.
        self.http(
            "PUT",
            upload["fileUploadUrl"],
            document,
            {"Content-MD5": md5, "Content-Type": "application/pdf"},
        )
        flow = self._call(
            "POST",
            "/v3/sign-flow/create-by-file",
            {
                "docs": [{"fileId": upload["fileId"], "fileName": name}],
                "signFlowConfig": {
                    "signFlowTitle": name.removesuffix(".pdf")[:50],
                    "autoFinish": True,
                    "notifyUrl": self.callback_url(),
                },
                "signers": [
                    {
                        "signerType": 0,
                        "psnSignerInfo": {
                            "psnAccount": person.phone,
                            "psnInfo": {"psnName": person.name},
                        },
                        "signFields": [
                            {
                                "fileId": upload["fileId"],
                                "customBizNum": client_ref,
                                "normalSignFieldConfig": {"freeMode": True},
                            }
                        ],
                    }
                ],
            },
        )
        return str(flow["signFlowId"])

    def flow_outcome(self, request_id: str) -> Outcome:
        detail = self._call("GET", f"/v3/sign-flow/{request_id}/detail")
        status = int(detail.get("signFlowStatus", 1))
        return Outcome(_FINAL.get(status, "pending"), f"signFlowStatus={status}")

    def download_signed(self, request_id: str) -> bytes:
        files = (
            self._call("GET", f"/v3/sign-flow/{request_id}/file-download-url").get("files") or []
        )
        if not files:
            raise self.refused("files", "no signed file")
        # A pre-signed, short-lived download link: fetched without our signature headers.
        return self.http("GET", files[0]["downloadUrl"]).body

    def verify_callback(
        self, body: bytes, headers: Mapping[str, str], now: float | None = None
    ) -> dict[str, Any]:
        conf = self.config()
        timestamp = header(headers, "X-Tsign-Open-TIMESTAMP")
        given = header(headers, "X-Tsign-Open-SIGNATURE")
        if header(headers, "X-Tsign-Open-App-Id") != conf.app_id:
            raise rejected()
        expected = callback_signature(conf.app_secret, timestamp, body)
        if not given or not hmac.compare_digest(expected, given.lower()):
            raise rejected()
        check_age(timestamp, now)
        try:
            event = json.loads(body)
        except ValueError:
            raise rejected() from None
        flow_id = str(event.get("signFlowId") or "")
        action = str(event.get("action") or "")
        return {
            "request_id": flow_id,
            "event_id": f"{flow_id}:{action}:{event.get('timestamp', timestamp)}",
            "action": action,
        }
