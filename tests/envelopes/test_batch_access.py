"""Who may see and send an enterprise's batches: one answer from one policy
(envelopes.batches.enterprise_for_batches / batch_for), the pages and the API alike."""

from __future__ import annotations

import pytest

from accord.envelopes.models import Batch
from tests.conftest import login
from tests.envelopes.test_batches import _api_upload, row, upload, xlsx

pytestmark = pytest.mark.django_db


def answers(client, shop, batch) -> dict[str, int]:
    e, b = shop.enterprise.public_id, batch.public_id
    return {
        "page list": client.get(f"/enterprises/{e}/batches/").status_code,
        "api list": client.get(f"/api/v1/enterprises/{e}/batches").status_code,
        "page detail": client.get(f"/batches/{b}/").status_code,
        "api detail": client.get(f"/api/v1/batches/{b}").status_code,
        "page upload form": client.get(f"/enterprises/{e}/batches/new").status_code,
        "api upload": _api_upload(client, shop, xlsx([row(9)])).status_code,
        "page start": client.post(f"/batches/{b}/start").status_code,
        "api start": client.post(f"/api/v1/batches/{b}/start").status_code,
    }


@pytest.mark.parametrize("who", ["worker", "street_officer"])
def test_the_enterprises_own_worker_and_street_officer_get_404_from_pages_and_api(
    client, shop, make_user, who
):
    batch = upload(shop, xlsx([row(1)]))
    if who == "worker":
        user = make_user("worker", person=shop.worker)  # employed here: sees the enterprise
    else:
        user = make_user("street_officer", street=shop.enterprise.street.code)
    login(client, user)
    assert client.get(f"/api/v1/enterprises/{shop.enterprise.public_id}").status_code == 200
    assert set(answers(client, shop, batch).values()) == {404}
    assert Batch.objects.count() == 1


def test_an_auditor_reads_batches_but_may_not_send_them_403_from_pages_and_api(
    client, shop, make_user
):
    batch = upload(shop, xlsx([row(1)]))
    login(client, make_user("auditor"))
    got = answers(client, shop, batch)
    assert {k: v for k, v in got.items() if "list" in k or "detail" in k} == {
        "page list": 200,
        "api list": 200,
        "page detail": 200,
        "api detail": 200,
    }
    assert {k: v for k, v in got.items() if not ("list" in k or "detail" in k)} == {
        "page upload form": 403,
        "api upload": 403,
        "page start": 403,
        "api start": 403,
    }
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CHECKED and Batch.objects.count() == 1
