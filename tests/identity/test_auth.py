"""Logging in: staff password + TOTP, worker phone + SMS code, API tokens; limits and lock-outs."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import TOTP

from accord.core.context import Actor, acting_as
from accord.core.errors import RateLimited
from accord.core.models import AuditEntry, SmsMessage
from accord.identity import auth
from accord.identity.models import LoginCode, User

pytestmark = pytest.mark.django_db


def totp_now(user) -> str:
    device = user.totpdevice_set.get()
    t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{t.token():06d}"


def test_hr_logs_in_with_password_only(client, make_user, make_enterprise):
    user = make_user("hr", enterprise=make_enterprise(), totp=False)
    r = client.post("/login", {"username": user.username, "password": "Correct-horse-42"})
    assert r.status_code == 302 and r["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.login", actor_id=user.pk).exists()


def test_bureau_officer_needs_the_totp_code(client, make_user):
    user = make_user("bureau_officer")
    r = client.post("/login", {"username": user.username, "password": "Correct-horse-42"})
    assert r["Location"].startswith("/login/otp")
    # Without the second factor there is no session: home sends back to login.
    assert client.get("/")["Location"].startswith("/login")
    r = client.post("/login/otp", {"otp_token": totp_now(user)})
    assert r.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_totp_code_is_refused_and_throttled(client, make_user):
    user = make_user("bureau_officer")
    client.post("/login", {"username": user.username, "password": "Correct-horse-42"})
    r = client.post(
        "/login/otp", {"otp_token": "000000" if totp_now(user) != "000000" else "111111"}
    )
    assert r.status_code == 401 and b"auth.totp_invalid" in r.content
    # django-otp throttles the device after a failure: even the right code waits a moment.
    assert client.post("/login/otp", {"otp_token": totp_now(user)}).status_code == 401
    assert client.get("/")["Location"].startswith("/login")


def test_password_lockout_after_repeated_failures(client, settings):
    user = User.objects.create_user("locked", password="Correct-horse-42")
    for _ in range(settings.ACCORD_LOGIN_MAX_FAILURES):
        r = client.post("/login", {"username": "locked", "password": "wrong"})
        assert r.status_code == 401
    # Even the right password is refused while the account is locked.
    r = client.post("/login", {"username": "locked", "password": "Correct-horse-42"})
    assert r.status_code == 429 and b"auth.locked" in r.content
    assert AuditEntry.objects.filter(action="auth.login_failed", object_id="locked").count() == 5
    assert user.pk


def _code_from_sms() -> str:
    return re.search(r"(\d{6})", SmsMessage.objects.latest("created_at").text).group(1)


def test_worker_logs_in_with_phone_and_sms_code(client, make_user):
    worker = make_user("worker")
    r = client.post("/login/phone", {"phone": worker.person.phone})
    assert r.status_code == 200 and "验证码已发送" in r.content.decode()
    r = client.post("/login/phone", {"phone": worker.person.phone, "code": _code_from_sms()})
    assert r.status_code == 302
    assert client.get("/").context["me"] == worker.person


def test_sms_code_is_single_use_and_expires(client, make_user):
    worker = make_user("worker")
    phone = worker.person.phone
    auth.send_login_code(phone, "127.0.0.1")
    code = _code_from_sms()
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(auth.LoginFailed) as e:
        auth.login_with_code(phone, code)
    assert e.value.code == "auth.code_expired"


def test_sms_resend_is_rate_limited(client, make_user):
    worker = make_user("worker")
    assert client.post("/login/phone", {"phone": worker.person.phone}).status_code == 200
    r = client.post("/login/phone", {"phone": worker.person.phone})
    assert r.status_code == 429 and b"auth.sms_too_soon" in r.content
    assert SmsMessage.objects.count() == 1


def test_unknown_phone_gets_the_same_answer_and_no_sms(client):
    r = client.post("/login/phone", {"phone": "13700000000"})
    assert r.status_code == 200 and "验证码已发送" in r.content.decode()
    assert SmsMessage.objects.count() == 0


def test_wrong_codes_lock_the_phone(client, make_user, settings):
    worker = make_user("worker")
    auth.send_login_code(worker.person.phone, "127.0.0.1")
    code = _code_from_sms()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.ACCORD_LOGIN_MAX_FAILURES):
        with pytest.raises(auth.LoginFailed):
            auth.login_with_code(worker.person.phone, wrong)
    with pytest.raises(RateLimited) as e:
        auth.login_with_code(worker.person.phone, code)
    assert e.value.code == "auth.locked"


def test_api_token_is_scoped_hashed_and_revocable(client, make_user, make_enterprise):
    mine, other = make_enterprise(), make_enterprise()
    hr = make_user("hr", enterprise=mine, totp=False)
    token, plaintext = auth.create_api_token(enterprise=mine, name="HR system", created_by=hr)
    assert plaintext.split("_")[-1] not in token.token_hash
    headers = {"Authorization": f"Bearer {plaintext}"}
    r = client.get("/api/v1/enterprises", headers=headers)
    assert r.status_code == 200
    assert [e["id"] for e in r.json()["results"]] == [str(mine.public_id)]
    assert client.get(f"/api/v1/enterprises/{other.public_id}", headers=headers).status_code == 404
    auth.revoke_api_token(token)
    assert client.get("/api/v1/enterprises", headers=headers).status_code == 401
    assert (
        client.get(
            "/api/v1/enterprises", headers={"Authorization": "Bearer acc_nope_x"}
        ).status_code
        == 401
    )


def test_first_login_of_a_bureau_officer_enrols_an_authenticator(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accord.identity.models import Membership

    user = User.objects.create_user("newofficer", password="Correct-horse-42")
    Membership.objects.create(user=user, role="bureau_officer")
    r = client.post("/login", {"username": "newofficer", "password": "Correct-horse-42"})
    assert r["Location"].startswith("/login/otp/enrol")
    page = client.get(r["Location"])
    assert "<svg" in page.content.decode() and page.context["secret"]
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post("/login/otp/enrol", {"otp_token": "12345"}).status_code == 401
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    r = client.post("/login/otp/enrol", {"otp_token": totp_now(user)})
    assert r.status_code == 302 and client.get("/").status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed
    assert AuditEntry.objects.filter(action="auth.totp_enrolled", actor_id=user.pk).exists()


def test_a_stranger_failing_five_times_locks_only_themselves_out(client, settings):
    """Anyone could lock any staff account for 15 minutes (issue #13): the lock-out is per
    source now; the real owner elsewhere still logs in."""
    User.objects.create_user("owner", password="Correct-horse-42")
    for _ in range(settings.ACCORD_LOGIN_MAX_FAILURES):
        r = client.post(
            "/login", {"username": "owner", "password": "x"}, REMOTE_ADDR="198.51.100.9"
        )
        assert r.status_code == 401
    stranger = client.post(
        "/login", {"username": "owner", "password": "Correct-horse-42"}, REMOTE_ADDR="198.51.100.9"
    )
    assert stranger.status_code == 429 and b"auth.locked" in stranger.content
    owner = client.post(
        "/login", {"username": "owner", "password": "Correct-horse-42"}, REMOTE_ADDR="203.0.113.5"
    )
    assert owner.status_code == 302


def test_failures_spread_over_many_sources_still_lock_the_account(settings):
    User.objects.create_user("target", password="Correct-horse-42")
    settings.ACCORD_LOGIN_ACCOUNT_MAX_FAILURES = 8
    for i in range(8):
        with pytest.raises(auth.LoginFailed):
            auth.check_password_login("target", "guess", f"198.51.100.{i}")
    with pytest.raises(RateLimited) as e:
        auth.check_password_login("target", "Correct-horse-42", "203.0.113.5")
    assert e.value.code == "auth.locked"


def test_wrong_codes_from_one_source_do_not_lock_the_worker_elsewhere(make_user, settings):
    worker = make_user("worker")
    auth.send_login_code(worker.person.phone, "127.0.0.1")
    code = _code_from_sms()
    wrong = "000000" if code != "000000" else "111111"
    with acting_as(Actor(ip="198.51.100.9")):
        for _ in range(settings.ACCORD_LOGIN_MAX_FAILURES - 1):
            with pytest.raises(auth.LoginFailed):
                auth.login_with_code(worker.person.phone, wrong)
    with acting_as(Actor(ip="203.0.113.5")):
        assert auth.login_with_code(worker.person.phone, code) == worker


def test_an_administrator_lets_the_owner_in_again_after_a_lock_from_everywhere(settings):
    User.objects.create_user("target2", password="Correct-horse-42")
    settings.ACCORD_LOGIN_ACCOUNT_MAX_FAILURES = 3
    for i in range(3):
        with pytest.raises(auth.LoginFailed):
            auth.check_password_login("target2", "guess", f"198.51.100.{i}")
    with pytest.raises(RateLimited):
        auth.check_password_login("target2", "Correct-horse-42", "203.0.113.5")
    call_command("staff", "unlock", "target2")
    assert (
        auth.check_password_login("target2", "Correct-horse-42", "203.0.113.5").username
        == "target2"
    )
    assert AuditEntry.objects.filter(action="auth.account_unlocked", object_id="target2").exists()
