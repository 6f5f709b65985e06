"""accord.ledger.merkle against the published RFC 6962 / CT vectors and a naive RFC reading.

Runs without Django: ``python -m pytest -p no:django tests/ledger/test_merkle.py``.
The vectors are those of the Certificate Transparency reference implementations
(certificate-transparency-go ``merkletree``, transparency-dev/merkle ``testonly``).
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.ledger import merkle
from accord.ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, proof)
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (size1, size2, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

LEAF_HASHES = [leaf_hash(d) for d in LEAVES]


def hexes(proof: list[bytes]) -> list[str]:
    return [p.hex() for p in proof]


def unhex(proof: list[str]) -> list[bytes]:
    return [bytes.fromhex(p) for p in proof]


def root_of(size: int) -> bytes:
    return bytes.fromhex(ROOTS[size - 1])


# --- The published vectors -------------------------------------------------------------------


def test_empty_tree_root_is_sha256_of_nothing():
    assert root_hash([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_leaf_hash_of_empty_leaf():
    assert leaf_hash(b"").hex() == ROOTS[0]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_ct_vectors(size):
    assert root_hash(LEAF_HASHES[:size]).hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_ct_vectors(index, size, proof):
    assert hexes(inclusion_proof(index, LEAF_HASHES[:size])) == proof
    assert verify_inclusion(LEAF_HASHES[index], index, size, unhex(proof), root_of(size))


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_consistency_proofs_match_ct_vectors(size1, size2, proof):
    assert hexes(consistency_proof(size1, LEAF_HASHES[:size2])) == proof
    assert verify_consistency(size1, size2, unhex(proof), root_of(size1), root_of(size2))


# --- Bad proofs are refused (mutations of the vectors, as transparency-dev does) ------------------


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[1:])
def test_mutated_inclusion_proofs_fail(index, size, proof):
    good = unhex(proof)
    leaf, root = LEAF_HASHES[index], root_of(size)
    assert not verify_inclusion(leaf, index, size, good, LEAF_HASHES[0] if index else root[::-1])
    assert not verify_inclusion(leaf_hash(b"other"), index, size, good, root)
    assert not verify_inclusion(leaf, index ^ 1, size, good, root)
    # Sizes whose path has another shape (a neighbouring size may share the shape, and then the
    # root binds the size: the checkpoint carries both).
    assert not verify_inclusion(leaf, index, size * 2, good, root)
    assert not verify_inclusion(leaf, index, size // 2, good, root)
    assert not verify_inclusion(leaf, size, size, good, root)
    assert not verify_inclusion(leaf, index, size, [*good, good[0]], root)
    assert not verify_inclusion(leaf, index, size, good[:-1], root)
    assert not verify_inclusion(leaf, index, size, [good[0][:31], *good[1:]], root)
    for i in range(len(good)):
        flipped = bytearray(good[i])
        flipped[0] ^= 1
        assert not verify_inclusion(
            leaf, index, size, [*good[:i], bytes(flipped), *good[i + 1 :]], root
        )


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY[1:])
def test_mutated_consistency_proofs_fail(size1, size2, proof):
    good = unhex(proof)
    r1, r2 = root_of(size1), root_of(size2)
    assert not verify_consistency(size1, size2, good, r2, r1)
    assert not verify_consistency(size1, size2, good, r1, r1)
    assert not verify_consistency(size2, size1, good, r2, r1)
    assert not verify_consistency(size1 * 2, size2, good, r1, r2)
    assert not verify_consistency(size1, size2 * 2, good, r1, r2)
    assert not verify_consistency(size1 // 2, size2, good, r1, r2)
    assert not verify_consistency(size1, size2, [], r1, r2)
    assert not verify_consistency(size1, size2, [*good, good[0]], r1, r2)
    assert not verify_consistency(size1, size2, good[:-1], r1, r2)
    for i in range(len(good)):
        flipped = bytearray(good[i])
        flipped[-1] ^= 0x80
        assert not verify_consistency(
            size1, size2, [*good[:i], bytes(flipped), *good[i + 1 :]], r1, r2
        )


def test_consistency_edge_cases():
    r8 = root_of(8)
    assert verify_consistency(0, 8, [], EMPTY_ROOT, r8)
    assert not verify_consistency(0, 8, [], r8, r8)
    assert not verify_consistency(0, 8, [r8], EMPTY_ROOT, r8)
    assert verify_consistency(8, 8, [], r8, r8)
    assert not verify_consistency(8, 8, [], r8, root_of(7))
    assert not verify_consistency(8, 8, [r8], r8, r8)
    assert not verify_consistency(-1, 8, [], EMPTY_ROOT, r8)


def test_inclusion_rejects_out_of_range_and_malformed_input():
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(8, LEAF_HASHES)
    assert not verify_inclusion(LEAF_HASHES[0], -1, 8, [], root_of(8))
    assert not verify_inclusion(LEAF_HASHES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(b"short", 0, 1, [], b"short")
    assert not verify_inclusion(LEAF_HASHES[0], 0, 1, [], "not bytes")  # type: ignore[arg-type]


# --- Property tests against a naive, literal reading of RFC 9162 -------------------------------


def naive_mth(d: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH over leaf *hashes*, recursively, exactly as written."""
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return d[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:])).digest()


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n])."""
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b)."""
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def leaves_of(size: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(f"{salt}:{i}".encode()) for i in range(size)]


BIG = leaves_of(3000)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=3000))
def test_root_matches_naive(size):
    assert root_hash(BIG[:size]) == naive_mth(BIG[:size])


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_inclusion_matches_naive_and_verifies(data):
    size = data.draw(st.integers(min_value=1, max_value=3000))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    tree = BIG[:size]
    proof = inclusion_proof(index, tree)
    assert proof == naive_path(index, tree)
    root = naive_mth(tree)
    assert verify_inclusion(tree[index], index, size, proof, root)
    other = data.draw(st.integers(min_value=0, max_value=size - 1))
    if other != index:
        assert not verify_inclusion(tree[other], index, size, proof, root)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_consistency_matches_naive_and_verifies(data):
    size2 = data.draw(st.integers(min_value=1, max_value=3000))
    size1 = data.draw(st.integers(min_value=1, max_value=size2))
    tree = BIG[:size2]
    proof = consistency_proof(size1, tree)
    assert proof == naive_subproof(size1, tree, True)
    r1, r2 = naive_mth(tree[:size1]), naive_mth(tree)
    assert verify_consistency(size1, size2, proof, r1, r2)
    # A forked history (one different leaf in the old part) must not verify.
    forked = list(tree)
    victim = data.draw(st.integers(min_value=0, max_value=size1 - 1))
    forked[victim] = leaf_hash(b"forged")
    assert not verify_consistency(size1, size2, proof, naive_mth(forked[:size1]), r2)
    if size1 < size2:
        assert not verify_consistency(size1, size2, proof, r1, naive_mth(forked))


def test_every_small_tree_exhaustively():
    """All (index, size) and (size1, size2) pairs up to 64 leaves, against the naive reading."""
    tree = leaves_of(64, salt=1)
    for size in range(1, 65):
        root = naive_mth(tree[:size])
        assert root_hash(tree[:size]) == root
        for index in range(size):
            proof = inclusion_proof(index, tree[:size])
            assert proof == naive_path(index, tree[:size])
            assert verify_inclusion(tree[index], index, size, proof, root)
        for size1 in range(1, size + 1):
            proof = consistency_proof(size1, tree[:size])
            assert proof == naive_subproof(size1, tree[:size], True)
            assert verify_consistency(size1, size, proof, naive_mth(tree[:size1]), root)


def test_decompose_and_fold_agree_with_mth():
    tree = leaves_of(300, salt=2)
    read = merkle.list_reader(tree)
    for size in (1, 2, 3, 255, 256, 257, 300):
        assert merkle.root_from(size, read) == naive_mth(tree[:size])
