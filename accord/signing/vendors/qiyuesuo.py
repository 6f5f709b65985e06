"""契约锁 (qiyuesuo) open API adapter — UNTESTED AGAINST THE REAL SERVICE (we cannot reach it).

Written from 契约锁's public documentation only:

- API protocol ("API协议"): https://help.qiyuesuo.com/document/open/detail/2279605535600803840 —
  every call carries ``x-qys-open-accesstoken`` (the AppToken), ``x-qys-open-timestamp``
  (milliseconds), ``x-qys-open-nonce`` (a UUID, usable once in 10 minutes) and
  ``x-qys-open-signature`` = MD5(AppToken + AppSecret + timestamp + nonce), 32 lower-case hex
  digits; hosts ``https://openapi.qiyuesuo.cn`` (test) and ``https://openapi.qiyuesuo.com``;
  answers are JSON with ``code`` (0 = success), ``message`` and ``result``;
- the list of interfaces (创建合同草稿, 用文件添加合同文档, 发起合同, 合同详情, 下载合同文档):
  https://help.qiyuesuo.com/document/open/detail/2279604897110294528 and
  https://apifox.com/apidoc/docs-site/2211436/doc-1965844 .

Callbacks: 契约锁's callback pages (回调说明) were not among the documents we could read. We
therefore accept a callback only when it carries the same four ``x-qys-open-*`` headers, signed
the same way with our AppToken and AppSecret, and — as for every vendor — we never take its
content for the outcome: it only prompts our own authenticated ``/v2/contract/detail`` query.
Confirm the callback format against 契约锁's console before go-live.

The signer is identified by name and mobile number only; no resident ID number leaves Accord.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from accord.signing.vendors.base import (
    Outcome,
    VendorAdapter,
    check_age,
    header,
    rejected,
)


def signature(app_token: str, app_secret: str, timestamp: str, nonce: str) -> str:
    text = f"{app_token}{app_secret}{timestamp}{nonce}"
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - 契约锁's published scheme


def request_headers(
    app_token: str, app_secret: str, *, timestamp_ms: int | None = None, nonce: str | None = None
) -> dict[str, str]:
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    nonce = nonce or str(uuid.uuid4())
    return {
        "x-qys-open-accesstoken": app_token,
        "x-qys-open-timestamp": timestamp,
        "x-qys-open-nonce": nonce,
        "x-qys-open-signature": signature(app_token, app_secret, timestamp, nonce),
    }


def _multipart(fields: Mapping[str, str], file_field: str, filename: str, data: bytes):
    boundary = uuid.uuid4().hex
    lines: list[bytes] = []
    for key, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{key}"'.encode(),
            b"",
            value.encode(),
        ]
    lines += [
        f"--{boundary}".encode(),
        f'Content-Disposition: form-data; name="{file_field}"; filename="{filename}"'.encode(),
        b"Content-Type: application/pdf",
        b"",
        data,
        f"--{boundary}--".encode(),
        b"",
    ]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


# Contract status of /v2/contract/detail.
_FINAL = {
    "COMPLETE": "signed",
    "FINISHED": "signed",
    "REJECTED": "failed",
    "RECALLED": "failed",
    "EXPIRED": "failed",
    "TERMINATED": "failed",
    "FORCE_END": "failed",
}


class QiyuesuoAdapter(VendorAdapter):
    name = "qiyuesuo"
    label = "契约锁"
    id_setting = "app_token"
    default_base_url = "https://openapi.qiyuesuo.com"

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str = "",
    ) -> bytes:
        conf = self.config()
        headers = request_headers(conf.app_id, conf.app_secret)
        if content_type:
            headers["Content-Type"] = content_type
        url = conf.base_url.rstrip("/") + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return self.http(method, url, body, headers).body

    def _json(self, raw: bytes) -> dict[str, Any]:
        try:
            answer = json.loads(raw)
        except ValueError:
            raise self.refused("answer", "not JSON") from None
        if answer.get("code") != 0:
            raise self.refused(answer.get("code"), answer.get("message"))
        return answer.get("result") or {}

    def create_flow(self, document: bytes, *, person, document_name: str, client_ref: str) -> str:
        subject = document_name.removesuffix(".pdf")[:100]
        draft = self._json(
            self._send(
                "POST",
                "/v2/contract/draft",
                body=json.dumps(
                    {
                        "subject": subject,
                        "bizId": client_ref,
                        "send": False,
                        "signatories": [
                            {
                                "tenantType": "PERSONAL",
                                "tenantName": person.name,
                                "receiver": {"name": person.name, "mobile": person.phone},
                            }
                        ],
                    },
                    ensure_ascii=False,
                ).encode(),
                content_type="application/json",
            )
        )
        contract_id = str(draft["id"])
        body, content_type = _multipart(
            {"contractId": contract_id, "title": subject, "fileSuffix": "pdf"},
            "file",
            document_name,
            document,
        )
        self._json(
            self._send("POST", "/v2/document/addbyfile", body=body, content_type=content_type)
        )
        self._json(
            self._send(
                "POST",
                "/v2/contract/send",
                body=json.dumps({"contractId": contract_id}).encode(),
                content_type="application/json",
            )
        )
        return contract_id

    def _detail(self, request_id: str) -> dict[str, Any]:
        return self._json(
            self._send("GET", "/v2/contract/detail", query={"contractId": request_id})
        )

    def flow_outcome(self, request_id: str) -> Outcome:
        status = str(self._detail(request_id).get("status", ""))
        return Outcome(_FINAL.get(status, "pending"), f"status={status}")

    def download_signed(self, request_id: str) -> bytes:
        documents = self._detail(request_id).get("documents") or []
        if not documents:
            raise self.refused("documents", "no document")
        return self._send(
            "GET", "/v2/document/download", query={"documentId": str(documents[0]["id"])}
        )

    def verify_callback(
        self, body: bytes, headers: Mapping[str, str], now: float | None = None
    ) -> dict[str, Any]:
        conf = self.config()
        timestamp = header(headers, "x-qys-open-timestamp")
        nonce = header(headers, "x-qys-open-nonce")
        if header(headers, "x-qys-open-accesstoken") != conf.app_id or not nonce:
            raise rejected()
        expected = signature(conf.app_id, conf.app_secret, timestamp, nonce)
        if not hmac.compare_digest(expected, header(headers, "x-qys-open-signature").lower()):
            raise rejected()
        check_age(timestamp, now)
        try:
            event = json.loads(body)
        except ValueError:
            form = urllib.parse.parse_qs(body.decode(errors="replace"))
            event = {k: v[0] for k, v in form.items()}
        contract_id = str(event.get("contractId") or "")
        return {
            "request_id": contract_id,
            # The nonce is single-use on 契约锁's side; with the contract it names this delivery.
            "event_id": f"{contract_id}:{event.get('status', '')}:{nonce}",
            "action": str(event.get("status", "")),
        }
