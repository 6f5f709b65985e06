"""SMS over HTTP against the stand-in gateway running as its own process: retries, failures, once-only."""

import json
import urllib.request

import pytest

from accord.core import notifications
from accord.core.models import SmsMessage
from accord.core.notifications import HttpSmsGateway, SmsGatewayError
from tests.support.processes import accord_process, wait_until

SECRET = "test-sms-secret"


@pytest.fixture(scope="module")
def gateway_url():
    with accord_process(
        "sms-gateway", "--port", "0", "--secret", SECRET, ready=r"on (http://\S+?)/?$"
    ) as ready:
        yield ready.group(1)


def _control(url, **cmd):
    req = urllib.request.Request(f"{url}/_control", data=json.dumps(cmd).encode(), method="POST")
    urllib.request.urlopen(req, timeout=5).read()


def _in_flight(url) -> int:
    with urllib.request.urlopen(f"{url}/_control", timeout=5) as r:
        return json.loads(r.read())["in_flight"]


def _delivered(url, phone):
    with urllib.request.urlopen(f"{url}/v1/messages?phone={phone}", timeout=5) as r:
        return json.loads(r.read())["messages"]


def test_message_is_delivered(gateway_url):
    receipt = HttpSmsGateway(gateway_url, SECRET).send("13800000011", "您好")
    assert [m["message_id"] for m in _delivered(gateway_url, "13800000011")] == [
        receipt.gateway_message_id
    ]


def test_a_failing_gateway_is_retried_and_the_message_sent_once(gateway_url):
    _control(gateway_url, fail_next=2)
    HttpSmsGateway(gateway_url, SECRET, attempts=3).send("13800000012", "重试")
    assert len(_delivered(gateway_url, "13800000012")) == 1


def test_a_slow_gateway_times_out_and_the_retry_does_not_send_twice(gateway_url):
    _control(gateway_url, slow_next=1, slow_seconds=1.5)
    HttpSmsGateway(gateway_url, SECRET, timeout=0.5, attempts=3).send("13800000013", "超时")
    # The slow first attempt completes on the gateway after the client gave up: wait for it.
    wait_until(lambda: _in_flight(gateway_url) == 0, "the slow attempt to finish")
    assert len(_delivered(gateway_url, "13800000013")) == 1


def test_gateway_down_for_good_raises(gateway_url):
    _control(gateway_url, fail_next=3)
    with pytest.raises(SmsGatewayError, match="unavailable after 3 attempts"):
        HttpSmsGateway(gateway_url, SECRET, attempts=3).send("13800000014", "失败")


def test_wrong_secret_is_refused_without_retry(gateway_url):
    with pytest.raises(SmsGatewayError, match="HTTP 401"):
        HttpSmsGateway(gateway_url, "wrong").send("13800000015", "x")


@pytest.mark.django_db
def test_failed_send_is_recorded_and_login_codes_are_not_kept(gateway_url, settings, monkeypatch):
    settings.ACCORD_SMS_HTTP_URL, settings.ACCORD_SMS_HTTP_SECRET = gateway_url, SECRET
    monkeypatch.setattr(notifications, "gateway", lambda: HttpSmsGateway())
    ok = notifications.send_sms("13800000016", "验证码 123456", sensitive=True)
    assert ok.status == "sent" and "123456" not in ok.text
    _control(gateway_url, fail_next=3)
    failed = notifications.send_sms("13800000016", "通知")
    assert failed.status == "failed" and "unavailable" in failed.error
    assert SmsMessage.objects.count() == 2
