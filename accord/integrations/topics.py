"""The events an enterprise's systems may receive by webhook, with what each one means.

Only topics listed here are forwarded: an event is not an API by accident. Each payload carries
``"enterprise"`` (the enterprise's public id), which decides whose endpoints receive it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ALL_TOPICS = "*"
PING_TOPIC = "webhook.ping"


@dataclass(frozen=True)
class Topic:
    name: str
    description: Promise  # Chinese msgid, translated by the locale
    description_en: str


FORWARDABLE_TOPICS: dict[str, Topic] = {
    t.name: t
    for t in [
        Topic(
            "identity.employment.started",
            _("员工入职登记（用工关系开始）"),
            "An employee was registered (an employment started)",
        ),
        Topic(
            "identity.employment.ended",
            _("员工离职（用工关系结束）"),
            "An employment ended",
        ),
        Topic(
            "identity.enterprise.updated",
            _("企业登记信息变更"),
            "The enterprise's registered details changed",
        ),
        Topic(
            "envelope.sent", _("合同已发出，等待签署"), "A contract envelope was sent for signing"
        ),
        Topic("envelope.party_signed", _("一方已签署合同"), "One party signed an envelope"),
        Topic(
            "envelope.completed",
            _("合同各方签署完成"),
            "Every party signed; the envelope is complete",
        ),
        Topic("envelope.rejected", _("一方拒签合同"), "A party rejected the envelope"),
        Topic("envelope.withdrawn", _("企业撤回合同"), "The enterprise withdrew the envelope"),
        Topic("envelope.voided", _("合同已作废"), "The envelope was voided"),
        Topic("envelope.expired", _("合同签署期限已过"), "The envelope expired unsigned"),
        Topic(
            "lifecycle.hired", _("入职（录用合同签署完成）"), "Hire: the hiring contract is signed"
        ),
        Topic("lifecycle.offered", _("录用通知签署完成"), "An offer of employment was signed"),
        Topic("lifecycle.confirmed", _("转正"), "Confirmation at the end of probation"),
        Topic("lifecycle.changed", _("劳动合同变更"), "A change of the labour contract"),
        Topic("lifecycle.renewed", _("续订劳动合同"), "The labour contract was renewed"),
        Topic("lifecycle.left", _("离职（解除或终止劳动合同）"), "Leave: the contract was ended"),
        Topic(
            "lifecycle.leaving_certified",
            _("已出具离职证明"),
            "A certificate of leaving was issued",
        ),
    ]
}


def is_forwardable(topic: str) -> bool:
    return topic in FORWARDABLE_TOPICS


def wants(endpoint_topics: list[str], topic: str) -> bool:
    """Does an endpoint subscribed to ``endpoint_topics`` receive ``topic``?"""
    return topic == PING_TOPIC or ALL_TOPICS in endpoint_topics or topic in endpoint_topics
