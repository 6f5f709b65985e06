"""Plain words for the audit log: what was done, to what — never ``auth.login`` or
"Signature object (27)" on a page. The stored action codes stay as they are (they are what the
API, the filters and the ledger digest carry); pages show these labels, in the page's language.

An action without its own label is described from its parts (the object's name, then the verb).
"""

from __future__ import annotations

import re

from django.utils.translation import get_language

# action code → (Chinese, English)
ACTIONS: dict[str, tuple[str, str]] = {
    "audit.daily_digest": ("审计日志每日摘要", "Daily audit digest"),
    "auth.login": ("登录", "Logged in"),
    "auth.login_failed": ("登录失败", "Failed login"),
    "auth.totp_enrolled": ("绑定动态口令", "Authenticator app enrolled"),
    "auth.totp_failed": ("动态口令错误", "Wrong one-time code"),
    "contracts.minimum_wage.set": ("设置最低工资标准", "Minimum wage set"),
    "contracts.template.create": ("新建合同模板", "Contract template created"),
    "contracts.template.new_version": ("新建模板版本", "New template version"),
    "contracts.template.publish": ("发布合同模板", "Contract template published"),
    "demo.load": ("载入演示数据", "Demo data loaded"),
    "document.signed": ("文件已签署", "Document signed"),
    "envelopes.archive.download": ("下载归档", "Archive downloaded"),
    "envelopes.archive.export": ("导出归档", "Archive exported"),
    "envelopes.batch.create": ("上传批量发起表格", "Batch spreadsheet uploaded"),
    "envelopes.batch.done": ("批量发送完成", "Batch sent"),
    "envelopes.batch.identity_precheck": ("批次实名预检", "Batch real-name pre-check"),
    "envelopes.batch.failed": ("批量发送失败", "Batch sending failed"),
    "envelopes.batch.seal_all": ("批量盖章", "Batch sealed"),
    "envelopes.batch.start": ("开始批量发送", "Batch sending started"),
    "envelopes.batch.update": ("修改批次", "Batch updated"),
    "envelopes.document.archive_timestamp": ("归档时间戳", "Archive timestamp added"),
    "envelopes.document.download": ("下载文件", "Document downloaded"),
    "envelopes.envelope.complete": ("文件签署完成", "Document completed"),
    "envelopes.envelope.create": ("新建文件", "Document drafted"),
    "envelopes.envelope.delete": ("删除草稿", "Draft deleted"),
    "envelopes.envelope.purge_draft": ("清除过期草稿", "Old draft removed"),
    "envelopes.envelope.remind": ("提醒签署", "Signing reminder sent"),
    "envelopes.envelope.send": ("发送文件", "Document sent"),
    "envelopes.envelope.expired": ("文件签署过期", "Document expired"),
    "envelopes.envelope.rejected": ("文件被拒签", "Document refused"),
    "envelopes.envelope.voided": ("作废文件", "Document voided"),
    "envelopes.envelope.withdrawn": ("撤回文件", "Document withdrawn"),
    "envelopes.evidence_report.issue": ("出具证据报告", "Evidence report issued"),
    "envelopes.party.consent": ("确认签署意愿", "Signing consent given"),
    "envelopes.party.ready": ("轮到签署", "Party's turn to sign"),
    "envelopes.party.reject": ("拒绝签署", "Signing refused"),
    "envelopes.party.sign": ("签署", "Signed"),
    "envelopes.party.signature_image": ("保存手写签名", "Handwritten signature saved"),
    "envelopes.party.view": ("查看文件", "Document viewed"),
    "identity.api_token.create": ("新建接口令牌", "API token created"),
    "identity.api_token.revoke": ("吊销接口令牌", "API token revoked"),
    "identity.employment.end": ("办理离职", "Employment ended"),
    "identity.employment.start": ("办理入职", "Employment started"),
    "identity.enterprise.create": ("新建企业", "Enterprise created"),
    "identity.enterprise.update": ("修改企业信息", "Enterprise updated"),
    "identity.person.create": ("登记人员", "Person registered"),
    "identity.person.verify": ("实名认证", "Identity verified"),
    "identity.person.verify_in_person": ("现场核验身份", "Identity checked in person"),
    "identity.person.view_personal_data": ("查看个人信息", "Personal data viewed"),
    "identity.registry.import": ("导入企业名录", "Registry imported"),
    "identity.staff.activate": ("启用账号", "Account activated"),
    "identity.staff.create": ("新建账号", "Account created"),
    "identity.staff.deactivate": ("停用账号", "Account deactivated"),
    "identity.staff.reset_totp": ("重置动态口令", "Authenticator reset"),
    "identity.worker_account.create": ("开通劳动者账号", "Worker account created"),
    "integrations.webhook.create": ("新建回调地址", "Webhook created"),
    "integrations.webhook.delete": ("删除回调地址", "Webhook deleted"),
    "integrations.webhook.disabled": ("停用回调地址", "Webhook disabled"),
    "integrations.webhook.ping": ("测试回调地址", "Webhook tested"),
    "integrations.webhook.rotate_secret": ("更换回调密钥", "Webhook secret rotated"),
    "integrations.webhook.update": ("修改回调地址", "Webhook updated"),
    "integrations.webhook_delivery.redeliver": ("重新推送", "Webhook delivery retried"),
    "ledger.audit_digest": ("审计摘要存证", "Audit digest recorded in the ledger"),
    "seal.approval.approve": ("批准用印", "Seal use approved"),
    "seal.approval.reject": ("驳回用印", "Seal use refused"),
    "seal.approval.request": ("申请用印", "Seal use requested"),
    "seal.create": ("新建印章", "Seal created"),
    "seal.grant": ("授权印章", "Seal power granted"),
    "seal.policy": ("修改用印规则", "Seal rules changed"),
    "seal.revoke": ("收回印章授权", "Seal power revoked"),
    "seal.status": ("修改印章状态", "Seal status changed"),
    "seal.use": ("盖章", "Sealed"),
    "signing.certificate.issue": ("签发证书", "Certificate issued"),
    "signing.certificate.revoke": ("吊销证书", "Certificate revoked"),
    "signing.intent.code_sent": ("发送签署验证码", "Signing code sent"),
    "signing.intent.create": ("确认签署意愿", "Signing intent recorded"),
    "signing.intent.refused": ("签署验证码错误", "Signing code refused"),
    "signing.issuing_ca.rotate": ("更换签发证书机构", "Issuing CA rotated"),
    "signing.provider_failover": ("切换签署服务", "Signing provider failover"),
    "signing.provider_order.set": ("设置签署服务顺序", "Signing provider order set"),
    "signing.remote.event": ("签署服务回调", "Signing provider event"),
    "signing.remote.prepare": ("准备远程签署", "Remote signing prepared"),
    "signing.signature.create": ("电子签名", "Signature applied"),
}

# object type (app_label.model) → (Chinese, English)
OBJECTS: dict[str, tuple[str, str]] = {
    "identity.user": ("账号", "account"),
    "identity.person": ("人员", "person"),
    "identity.enterprise": ("企业", "enterprise"),
    "identity.employment": ("劳动关系", "employment"),
    "identity.apitoken": ("接口令牌", "API token"),
    "envelopes.envelope": ("文件", "document"),
    "envelopes.envelopedocument": ("文件版本", "document version"),
    "envelopes.party": ("签署方", "signing party"),
    "envelopes.batch": ("批次", "batch"),
    "envelopes.archiveexport": ("归档导出", "archive export"),
    "signing.signature": ("电子签名", "signature"),
    "signing.certificate": ("证书", "certificate"),
    "signing.signingintent": ("签署意愿", "signing intent"),
    "seals.seal": ("印章", "seal"),
    "seals.sealapproval": ("用印申请", "seal approval"),
    "seals.sealgrant": ("印章授权", "seal power"),
    "contracts.contracttemplate": ("合同模板", "contract template"),
    "contracts.templateversion": ("模板版本", "template version"),
    "integrations.webhook": ("回调地址", "webhook"),
    "integrations.webhookdelivery": ("回调推送", "webhook delivery"),
}

VERBS: dict[str, tuple[str, str]] = {
    "create": ("新建", "created"),
    "update": ("修改", "updated"),
    "delete": ("删除", "deleted"),
    "view": ("查看", "viewed"),
    "revoke": ("吊销", "revoked"),
    "issue": ("签发", "issued"),
}

# What Django's Model.__str__ says of a model without its own: "Signature object (27)".
DEFAULT_STR = re.compile(r"^\w+ object \((?P<pk>[^)]*)\)$")


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if (get_language() or "").startswith("en") else pair[0]


def object_type_label(object_type: str) -> str:
    pair = OBJECTS.get(object_type)
    if pair:
        return _pick(pair)
    return object_type.rsplit(".", 1)[-1] if object_type else ""


def action_label(action: str) -> str:
    """``auth.login`` → 登录 / Logged in; an unlisted ``app.thing.verb`` from its parts."""
    pair = ACTIONS.get(action)
    if pair:
        return _pick(pair)
    *thing, verb = action.split(".")
    verb_pair = VERBS.get(verb)
    thing_label = object_type_label(".".join(thing[-2:]).replace("_", "")) if thing else ""
    if verb_pair and thing_label:
        zh = f"{verb_pair[0]}{thing_label}"
        en = f"{thing_label.capitalize()} {verb_pair[1]}"
        return _pick((zh, en))
    return action.replace(".", " · ").replace("_", " ")


def object_label(object_type: str, object_id: str, label: str) -> str:
    """The object's own name, or — for a model that has none ("Signature object (27)") — what
    kind of thing it is and its number."""
    if label and not DEFAULT_STR.match(label):
        return label
    kind = object_type_label(object_type)
    number = object_id or (DEFAULT_STR.match(label).group("pk") if label else "")
    if not kind:
        return label
    return f"{kind} {number[:8]}" if number else kind
