"""RFC 9162 Merkle tree hashing, proofs and their verification. Pure Python, no Django.

Why this module stands alone: an outside auditor must be able to check Accord's evidence
with nothing but a proof bundle and public keys. Everything needed for that lives here (and
in ``note.py`` / ``bundle.py``), importing only the standard library, so it can be copied,
read and reviewed on its own, and it is tested against the published Certificate
Transparency vectors (RFC 6962 / RFC 9162, transparency-dev/merkle).

Definitions (RFC 9162 §2.1.1):

* ``MTH({}) = SHA-256()``
* ``MTH({d0}) = SHA-256(0x00 || d0)``                          (:func:`leaf_hash`)
* ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``  (:func:`node_hash`),
  where ``k`` is the largest power of two smaller than ``n``.

Proofs are lists of 32-byte hashes in RFC 9162 order (§2.1.3 inclusion, §2.1.4 consistency).

Nodes are addressed as ``(level, index)``: the perfect subtree of ``2**level`` leaves starting
at leaf ``index * 2**level`` -- the addressing of C2SP tlog-tiles. Proof generation is written
against a *node reader* (any callable that returns the hashes of a list of such nodes) so
that storage can answer from tiles in a handful of reads, and the same code answers from an
in-memory list of leaf hashes in tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]
"""A perfect subtree: ``(level, index)`` covers leaves ``[index << level, (index + 1) << level)``."""

NodeReader = Callable[[Sequence[Node]], Sequence[bytes]]
"""Returns the hash of each requested perfect subtree, in the order asked."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: the 0x00 prefix keeps a leaf from ever equalling an interior node."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1 interior node: SHA-256(0x01 || left || right)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The split point ``k`` of RFC 9162: the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """Root of a perfect subtree whose 2**k bottom hashes are given (k >= 0)."""
    level = list(hashes)
    if not level or len(level) & (len(level) - 1):
        raise ValueError("perfect_root needs a power-of-two number of hashes")
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def decompose(begin: int, end: int) -> list[Node]:
    """Split leaves ``[begin, end)`` into the perfect subtrees whose fold is MTH(D[begin:end]).

    Valid when ``begin`` is a multiple of the largest power of two not exceeding
    ``end - begin`` -- true for every range RFC 9162's proof recursion produces, and for
    ``begin == 0``. The subtrees come left to right, largest first (the binary digits of
    the range's size), which is exactly the shape of RFC 9162's MTH for that range.
    """
    nodes: list[Node] = []
    size = end - begin
    position = begin
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            if position % (1 << level):
                raise ValueError(f"range [{begin}, {end}) is not aligned for decomposition")
            nodes.append((level, position >> level))
            position += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Combine the perfect subtrees of :func:`decompose` (left to right) into one hash.

    RFC 9162 splits at the largest power of two, so the tree over subtrees p1, p2, ..., pm is
    ``node(p1, node(p2, ... node(pm-1, pm)))``: folding from the right.
    """
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a tree given its leaf hashes, in O(n) hashing and O(log n) memory."""
    # A stack of perfect subtree roots (the "compact range"): merge equal sizes as we go.
    stack: list[tuple[int, bytes]] = []
    for h in leaf_hashes:
        size, node = 1, h
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            node = node_hash(left, node)
            size += left_size
        stack.append((size, node))
    return fold([node for _, node in stack])


# --- Which nodes a proof needs -------------------------------------------------------------


def inclusion_proof_ranges(index: int, tree_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PATH(index, D[tree_size]) (RFC 9162 §2.1.3.1), in order."""
    if not 0 <= index < tree_size:
        raise ValueError(f"index {index} is outside a tree of size {tree_size}")
    ranges: list[tuple[int, int]] = []
    begin, end = 0, tree_size
    while end - begin > 1:
        k = largest_power_of_two_below(end - begin)
        if index < begin + k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
    ranges.reverse()  # the recursion emits the leaf-side sibling last; the proof starts there
    return ranges


def consistency_proof_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PROOF(size1, D[size2]) (RFC 9162 §2.1.4.1), in order."""
    if not 0 < size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    ranges: list[tuple[int, int]] = []
    begin, end, m = 0, size2, size1
    whole_old_tree = True  # the flag b of SUBPROOF
    while True:
        n = end - begin
        if m == n:
            if not whole_old_tree:
                ranges.append((begin, end))
            break
        k = largest_power_of_two_below(n)
        if m <= k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
            m -= k
            whole_old_tree = False
    ranges.reverse()
    return ranges


def _resolve(ranges: list[tuple[int, int]], read_nodes: NodeReader) -> list[bytes]:
    """Turn leaf ranges into hashes with a single call to the node reader."""
    parts = [decompose(begin, end) for begin, end in ranges]
    wanted = [node for part in parts for node in part]
    found = list(read_nodes(wanted))
    if len(found) != len(wanted):
        raise ValueError("node reader returned the wrong number of hashes")
    proof, at = [], 0
    for part in parts:
        proof.append(fold(found[at : at + len(part)]))
        at += len(part)
    return proof


def inclusion_proof_from(index: int, tree_size: int, read_nodes: NodeReader) -> list[bytes]:
    """RFC 9162 inclusion proof, reading stored perfect subtrees through ``read_nodes``."""
    return _resolve(inclusion_proof_ranges(index, tree_size), read_nodes)


def consistency_proof_from(size1: int, size2: int, read_nodes: NodeReader) -> list[bytes]:
    """RFC 9162 consistency proof, reading stored perfect subtrees through ``read_nodes``."""
    return _resolve(consistency_proof_ranges(size1, size2), read_nodes)


def root_from(tree_size: int, read_nodes: NodeReader) -> bytes:
    """MTH of the first ``tree_size`` leaves from stored perfect subtrees (no recomputation)."""
    return fold(list(read_nodes(decompose(0, tree_size))))


def list_reader(leaf_hashes: Sequence[bytes]) -> NodeReader:
    """A node reader over an in-memory list of leaf hashes (tests, small trees, bundles)."""

    def read(nodes: Sequence[Node]) -> list[bytes]:
        return [perfect_root(leaf_hashes[i << lv : (i + 1) << lv]) for lv, i in nodes]

    return read


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of all ``leaf_hashes``."""
    return inclusion_proof_from(index, len(leaf_hashes), list_reader(leaf_hashes))


def consistency_proof(size1: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 consistency proof from the first ``size1`` leaves to all ``leaf_hashes``."""
    if size1 == 0 or size1 == len(leaf_hashes):
        return []
    return consistency_proof_from(size1, len(leaf_hashes), list_reader(leaf_hashes))


# --- Verification (RFC 9162 §2.1.3.2 and §2.1.4.2, step by step) -----------------------------


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes | None:
    """The root an inclusion proof implies, or None when the proof cannot be well formed."""
    if not (_is_hash(leaf_hash) and 0 <= index < tree_size and all(map(_is_hash, proof))):
        return None
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return None  # proof longer than the path
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # skip levels where this node has no right sibling
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None  # proof shorter than the path
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` shows leaf ``index`` with ``leaf_hash`` is in the tree with ``root``."""
    computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    return computed is not None and _is_hash(root) and computed == root


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """True when the tree ``(size2, root2)`` extends ``(size1, root1)`` (append-only).

    Edge cases follow transparency-dev/merkle: equal sizes need an empty proof and equal
    roots; an empty old tree (size 0, root SHA-256 of nothing) is a prefix of any tree.
    """
    if not (_is_hash(root1) and _is_hash(root2) and all(map(_is_hash, proof))):
        return False
    if not 0 <= size1 <= size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0:
        return not proof and root1 == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # an exact power of two: the old root is itself a node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2
