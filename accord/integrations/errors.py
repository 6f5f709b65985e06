"""The error codes of integrations (webhook endpoints and their deliveries).

Declared once (code, Chinese, English, kind → HTTP status) and raised by name; see the
catalogue in ``accord.core.errors``. The codes are a public contract: never rename one.
"""

from __future__ import annotations

from accord.core.errors import catalogue

E = catalogue("integrations")

URL_INVALID = E.invalid(
    "integrations.url_invalid",
    "接收地址无效：须为公网上的 http:// 或 https:// 地址，带主机名和有效端口，"
    "不含用户名或密码，最多 500 个字符。",
    "The receiving URL is not valid: it must be a public http:// or https:// address with a "
    "host name and a valid port, without credentials, at most 500 characters.",
    "url",
)
TOPICS_REQUIRED = E.invalid(
    "integrations.topics_required",
    "请至少选择一种事件。",
    "Choose at least one event topic.",
    "topics",
)
UNKNOWN_TOPIC = E.invalid(
    "integrations.unknown_topic",
    "不支持的事件类型：{topic}",
    "Unknown event topic: {topic}",
    "topics",
)
DESCRIPTION_TOO_LONG = E.invalid(
    "integrations.description_too_long",
    "说明最多 200 个字符。",
    "The description is at most 200 characters.",
    "description",
)
TOO_MANY_ENDPOINTS = E.conflict(
    "integrations.too_many_endpoints",
    "每家企业最多 {limit} 个端点。",
    "An enterprise may have at most {limit} endpoints.",
)
ENDPOINT_DISABLED = E.conflict(
    "integrations.endpoint_disabled",
    "该端点已停用，请先启用后再重新发送。",
    "The endpoint is disabled; enable it before redelivering.",
)
