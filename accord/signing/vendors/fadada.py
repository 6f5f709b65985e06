"""法大大 FASC open API 5.x adapter — UNTESTED AGAINST THE REAL SERVICE (we cannot reach it).

Written from 法大大's public material only:

- the FASC OpenAPI SDK pages (modules, v5.0/v5.1 sub-versions, the service-credential client):
  https://gitee.com/fadada-cloud/fasc-openapi-python-sdk and
  https://packagist.org/packages/fadada/fasc-openapi-php-sdk ;
- the request signature's parameter set, as 法大大's ``FddCryptUtil`` is used in
  https://blog.csdn.net/qq_28340701/article/details/131943219 : ``X-FASC-App-Id``,
  ``X-FASC-Sign-Type`` (HMAC-SHA256), ``X-FASC-Timestamp`` (milliseconds), ``X-FASC-Nonce``,
  ``X-FASC-AccessToken``, ``X-FASC-Api-SubVersion`` (5.1) and ``bizContent``, sorted by name and
  joined as ``k=v&…``; ``signText`` = hex(SHA-256(that string));
- the second, keyed step (the "two-step HMAC-SHA256" of the FASC 5.0 documentation, see
  https://www.skills.sh/site/skills.volces.com/fadada-esign): the signing key is
  HMAC-SHA256(AppSecret, X-FASC-Timestamp) and ``X-FASC-Sign`` = hex(HMAC-SHA256(that key,
  signText)), lower case. THIS STEP IS OUR READING: we could not open dev.fadada.com's own page
  from here; confirm it against 法大大's sandbox before go-live (the test pins what we compute).

Flow: ``POST /service/get-access-token`` (``X-FASC-Grant-Type: client_credential``) gives the
access token; business calls send ``bizContent`` (JSON) as a form field. Upload: ``/file/get-upload-url``
then ``PUT`` of the bytes, ``/file/process`` gives the file id; ``/sign-task/create`` starts the
task; ``/sign-task/app/get-detail`` and ``/sign-task/owner/get-download-url`` follow it. Callbacks
carry the same headers plus ``X-FASC-Event`` and are signed the same way over ``bizContent``.
Success is ``code == "100000"``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
import urllib.parse
import uuid
import zipfile
from collections.abc import Mapping
from typing import Any

from django.core.cache import cache

from accord.signing.vendors.base import (
    Outcome,
    VendorAdapter,
    check_age,
    header,
    rejected,
)

SUBVERSION = "5.1"
SIGN_TYPE = "HMAC-SHA256"
OK = "100000"
FORM_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"


def sign_text(params: Mapping[str, str]) -> str:
    """hex(SHA-256) of the parameters sorted by name, ``k=v`` joined by ``&`` (empty ones left out)."""
    joined = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v != "")
    return hashlib.sha256(joined.encode()).hexdigest()


def signature(app_secret: str, timestamp: str, params: Mapping[str, str]) -> str:
    key = hmac.new(app_secret.encode(), timestamp.encode(), hashlib.sha256).digest()
    return hmac.new(key, sign_text(params).encode(), hashlib.sha256).hexdigest().lower()


def request_headers(
    app_id: str,
    app_secret: str,
    *,
    access_token: str = "",
    biz_content: str = "",
    grant_type: str = "",
    timestamp_ms: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    headers = {
        "X-FASC-App-Id": app_id,
        "X-FASC-Sign-Type": SIGN_TYPE,
        "X-FASC-Timestamp": str(
            timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        ),
        "X-FASC-Nonce": nonce or uuid.uuid4().hex,
        "X-FASC-Api-SubVersion": SUBVERSION,
    }
    if access_token:
        headers["X-FASC-AccessToken"] = access_token
    if grant_type:
        headers["X-FASC-Grant-Type"] = grant_type
    params = dict(headers)
    if biz_content:
        params["bizContent"] = biz_content
    headers["X-FASC-Sign"] = signature(app_secret, headers["X-FASC-Timestamp"], params)
    return headers


# signTaskStatus values of /sign-task/app/get-detail.
_FINAL = {
    "task_finished": "signed",
    "task_terminated": "failed",
    "expired": "failed",
    "sign_rejected": "failed",
    "revoked": "failed",
}


class FadadaAdapter(VendorAdapter):
    name = "fadada"
    label = "法大大"
    default_base_url = "https://api.fadada.com/api/v5"

    def _raw_config(self) -> dict[str, str]:
        conf = super()._raw_config()
        import os

        conf.setdefault("open_corp_id", os.environ.get("ACCORD_FADADA_OPEN_CORP_ID", ""))
        return conf

    def _token(self) -> str:
        conf = self.config()
        cache_key = f"signing:fadada:token:{hashlib.sha256(conf.app_id.encode()).hexdigest()[:16]}"
        token = cache.get(cache_key)
        if token:
            return token
        headers = request_headers(conf.app_id, conf.app_secret, grant_type="client_credential")
        answer = self.http(
            "POST", conf.base_url.rstrip("/") + "/service/get-access-token", b"", headers
        ).json()
        if str(answer.get("code")) != OK:
            raise self.refused(answer.get("code"), answer.get("msg"))
        data = answer.get("data") or {}
        token = str(data["accessToken"])
        # Renew a minute early; 法大大's tokens last ``expiresIn`` seconds (two hours).
        cache.set(cache_key, token, timeout=max(int(data.get("expiresIn", 7200)) - 60, 60))
        return token

    def _call(self, path: str, biz: Mapping[str, Any]) -> dict[str, Any]:
        conf = self.config()
        biz_content = json.dumps(biz, ensure_ascii=False, separators=(",", ":"))
        headers = request_headers(
            conf.app_id, conf.app_secret, access_token=self._token(), biz_content=biz_content
        )
        headers["Content-Type"] = FORM_TYPE
        body = urllib.parse.urlencode({"bizContent": biz_content}).encode()
        answer = self.http("POST", conf.base_url.rstrip("/") + path, body, headers).json()
        if str(answer.get("code")) != OK:
            raise self.refused(answer.get("code"), answer.get("msg"))
        return answer.get("data") or {}

    def _corp(self) -> dict[str, str]:
        return {"idType": "corp", "openId": self._raw_config().get("open_corp_id", "")}

    def create_flow(self, document: bytes, *, person, document_name: str, client_ref: str) -> str:
        upload = self._call("/file/get-upload-url", {"fileType": "doc"})
        self.http(
            "PUT", upload["uploadUrl"], document, {"Content-Type": "application/octet-stream"}
        )
        processed = self._call(
            "/file/process",
            {
                "fddFileUrlList": [
                    {
                        "fileType": "doc",
                        "fddFileUrl": upload["fddFileUrl"],
                        "fileName": document_name,
                        "fileFormat": "pdf",
                    }
                ]
            },
        )
        file_id = processed["fileIdList"][0]["fileId"]
        task = self._call(
            "/sign-task/create",
            {
                "initiator": self._corp(),
                "signTaskSubject": document_name.removesuffix(".pdf")[:100],
                "businessId": client_ref,
                "autoStart": True,
                "autoFinish": True,
                "docs": [{"docId": "1", "docName": document_name, "docFileId": file_id}],
                "actors": [
                    {
                        "actor": {
                            "actorId": "signer",
                            "actorType": "person",
                            "actorName": person.name,
                            "permissions": ["sign"],
                            "notification": {
                                "sendNotification": True,
                                "notifyWay": "mobile",
                                "notifyAddress": person.phone,
                            },
                        },
                        "signFields": [{"fieldDocId": "1", "fieldId": "sig"}],
                    }
                ],
            },
        )
        return str(task["signTaskId"])

    def flow_outcome(self, request_id: str) -> Outcome:
        detail = self._call("/sign-task/app/get-detail", {"signTaskId": request_id})
        status = str(detail.get("signTaskStatus", ""))
        return Outcome(_FINAL.get(status, "pending"), f"signTaskStatus={status}")

    def download_signed(self, request_id: str) -> bytes:
        link = self._call(
            "/sign-task/owner/get-download-url",
            {"ownerId": self._corp(), "signTaskId": request_id},
        )
        data = self.http("GET", link["downloadUrl"]).body
        if data[:2] == b"PK":  # 法大大 packs a task's files in a zip archive
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                pdfs = [n for n in archive.namelist() if n.lower().endswith(".pdf")]
                if not pdfs:
                    raise self.refused("download", "no PDF in the archive")
                return archive.read(pdfs[0])
        return data

    def verify_callback(
        self, body: bytes, headers: Mapping[str, str], now: float | None = None
    ) -> dict[str, Any]:
        conf = self.config()
        form = urllib.parse.parse_qs(body.decode(errors="replace"), keep_blank_values=True)
        biz_content = (form.get("bizContent") or [""])[0]
        params = {
            name: header(headers, name)
            for name in (
                "X-FASC-App-Id",
                "X-FASC-Sign-Type",
                "X-FASC-Timestamp",
                "X-FASC-Nonce",
                "X-FASC-Event",
                "X-FASC-Api-SubVersion",
            )
        }
        if params["X-FASC-App-Id"] != conf.app_id:
            raise rejected()
        params["bizContent"] = biz_content
        expected = signature(conf.app_secret, params["X-FASC-Timestamp"], params)
        given = header(headers, "X-FASC-Sign").lower()
        if not given or not hmac.compare_digest(expected, given):
            raise rejected()
        check_age(params["X-FASC-Timestamp"], now)
        try:
            event = json.loads(biz_content)
        except ValueError:
            raise rejected() from None
        task_id = str(event.get("signTaskId") or "")
        return {
            "request_id": task_id,
            "event_id": f"{task_id}:{params['X-FASC-Event']}:{params['X-FASC-Nonce']}",
            "action": params["X-FASC-Event"],
        }
