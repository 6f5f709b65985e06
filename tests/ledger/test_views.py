"""The public HTTP surface: checkpoint, proofs, entries, tiles, bundles; bad input is a JSON 4xx."""

from __future__ import annotations

import base64

import pytest

from accord.ledger import bundle as bundles
from accord.ledger import merkle, storage
from accord.ledger.checkpoints import log_verifier
from accord.ledger.note import open_checkpoint

from . import helpers
from .helpers import demo_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def log():
    storage.append(demo_items(300))
    storage.append(demo_items(100, start=300))
    return helpers.all_leaf_hashes()


def unb64(items):
    return [base64.b64decode(x) for x in items]


def test_checkpoint_is_the_signed_note(client, log):
    response = client.get("/ledger/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "max-age" in response["Cache-Control"]
    cp, _ = open_checkpoint(response.content.decode(), log_verifier())
    assert cp.size == 400 and cp.root_hash == merkle.root_hash(log)
    old = client.get("/ledger/checkpoints/300")
    assert open_checkpoint(old.content.decode(), log_verifier())[0].size == 300
    assert client.get("/ledger/checkpoints/301").status_code == 404


def test_inclusion_and_consistency_proofs_verify(client, log):
    root = merkle.root_hash(log)
    response = client.get(
        "/ledger/proof/inclusion", {"leaf_hash": log[257].hex(), "tree_size": 400}
    )
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    body = response.json()
    assert body["leaf_index"] == 257
    assert merkle.verify_inclusion(log[257], 257, 400, unb64(body["proof"]), root)
    # base64 works too (the checkpoint's own encoding)
    b64 = base64.b64encode(log[3]).decode()
    assert (
        client.get("/ledger/proof/inclusion", {"leaf_hash": b64, "tree_size": 5}).status_code == 200
    )
    response = client.get("/ledger/proof/consistency", {"first": 300, "second": 400})
    proof = unb64(response.json()["proof"])
    assert merkle.verify_consistency(300, 400, proof, merkle.root_hash(log[:300]), root)


def test_entry_and_tiles(client, log):
    body = client.get("/ledger/entries/5").json()
    assert body["index"] == 5 and body["body"]["type"] == "test.demo"
    assert merkle.leaf_hash(base64.b64decode(body["data"])).hex() == body["leaf_hash"]
    full = client.get("/ledger/tile/0/000")
    assert full.status_code == 200 and "immutable" in full["Cache-Control"]
    assert full.content == b"".join(log[:256])
    partial = client.get("/ledger/tile/0/001.p/144")
    assert partial.content == b"".join(log[256:400])
    narrower = client.get("/ledger/tile/0/001.p/44")  # a prefix of a stored partial tile
    assert narrower.content == b"".join(log[256:300])
    assert client.get("/ledger/tile/0/001.p/145").status_code == 404  # beyond the tree
    assert client.get("/ledger/tile/1/000").status_code == 404
    assert client.get("/ledger/tile/0/1").status_code == 404  # not the tlog-tiles encoding


def test_bundle_endpoint_gives_a_verifiable_bundle(client, log):
    response = client.get("/ledger/bundle", {"leaf_hash": log[10].hex()})
    result = bundles.verify_bundle(response.json(), log_verifier().vkey)
    assert result.index == 10
    keys = client.get("/ledger/keys").json()
    assert keys["log"] == log_verifier().vkey


@pytest.mark.parametrize(
    ("url", "params", "status", "code", "field"),
    [
        (
            "/ledger/proof/inclusion",
            {"leaf_hash": "zz", "tree_size": 5},
            422,
            "ledger.invalid_leaf_hash",
            "leaf_hash",
        ),
        (
            "/ledger/proof/inclusion",
            {"leaf_hash": "00" * 32, "tree_size": 5},
            404,
            "ledger.unknown_leaf_hash",
            "leaf_hash",
        ),
        (
            "/ledger/proof/inclusion",
            {"leaf_hash": "00" * 32, "tree_size": "x"},
            422,
            "ledger.invalid_tree_size",
            "tree_size",
        ),
        (
            "/ledger/proof/inclusion",
            {"leaf_hash": "00" * 32, "tree_size": 401},
            422,
            "ledger.tree_size_beyond_log",
            "tree_size",
        ),
        (
            "/ledger/proof/consistency",
            {"first": 5, "second": 401},
            422,
            "ledger.tree_size_beyond_log",
            "second",
        ),
        (
            "/ledger/proof/consistency",
            {"first": 0, "second": 5},
            422,
            "ledger.invalid_first_size",
            "first",
        ),
        (
            "/ledger/proof/consistency",
            {"first": -1, "second": 5},
            422,
            "ledger.invalid_first",
            "first",
        ),
        ("/ledger/entries/400", {}, 404, "ledger.unknown_index", "index"),
        ("/ledger/bundle", {"leaf_hash": ""}, 422, "ledger.invalid_leaf_hash", "leaf_hash"),
    ],
)
def test_bad_input_is_a_json_4xx(client, log, url, params, status, code, field):
    response = client.get(url, params)  # a browser-like Accept header must not matter
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["field"] == field
    assert body["message_zh"] and body["message_en"]


def test_read_only(client, log):
    assert client.post("/ledger/checkpoint").status_code == 405


def test_no_checkpoint_yet_is_404(client):
    response = client.get("/ledger/checkpoint")
    assert response.status_code == 404 and response.json()["code"] == "ledger.no_checkpoint"
