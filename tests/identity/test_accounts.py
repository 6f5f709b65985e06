"""Staff accounts: created with a role and scope by an administrator, deactivated, TOTP reset."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core.errors import Conflict, InvalidInput
from accord.core.models import AuditEntry
from accord.identity import accounts
from accord.identity.models import User
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_create_street_officer_with_scope():
    user, password = accounts.create_staff(
        username="meilin-officer", role="street_officer", street="meilin"
    )
    assert user.check_password(password) and user.street_ids and user.needs_totp
    assert AuditEntry.objects.filter(action="identity.staff.create").count() == 1


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"role": "hr", "enterprise": "91440300000000000X"}, "enterprise"),
        ({"role": "street_officer", "street": "pudong"}, "street"),
        ({"role": "wizard"}, "role"),
        ({"role": "auditor", "username": "bad name!"}, "username"),
        ({"role": "auditor", "password": "123"}, "password"),
    ],
)
def test_bad_account_input_names_the_field(kw, field):
    kw = {"username": "someone", **kw}
    with pytest.raises(InvalidInput) as e:
        accounts.create_staff(**kw)
    assert e.value.field == field
    assert not User.objects.filter(username="someone").exists()


def test_duplicate_username(make_enterprise):
    accounts.create_staff(username="dup", role="auditor")
    with pytest.raises(Conflict):
        accounts.create_staff(username="DUP", role="auditor")


def test_command_prints_the_initial_password_once(capsys, make_enterprise):
    enterprise = make_enterprise()
    call_command("staff", "create", "hr-new", "--role", "hr", "--enterprise", enterprise.uscc)
    out = capsys.readouterr().out
    assert "initial password" in out
    assert User.objects.get(username="hr-new").enterprise_ids == {enterprise.pk}


def test_admin_page_creates_deactivates_and_resets(client, make_user):
    admin = make_user("admin")
    login(client, admin)
    r = client.post("/staff/", {"username": "bureau-2", "role": "bureau_officer"})
    assert r.status_code == 200 and r.context["created"]["username"] == "bureau-2"
    target = User.objects.get(username="bureau-2")
    TOTPDevice.objects.create(user=target, name="x", confirmed=True)
    client.post("/staff/", {"user": str(target.public_id), "op": "reset_totp"})
    assert not TOTPDevice.objects.filter(user=target).exists()
    client.post("/staff/", {"user": str(target.public_id), "op": "deactivate"})
    target.refresh_from_db()
    assert not target.is_active


def test_only_admins_reach_the_page(client, make_user):
    login(client, make_user("bureau_officer"))
    assert client.get("/staff/").status_code == 404
