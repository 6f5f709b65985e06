"""Signed notes, checkpoints and cosignatures, against the Go reference (golang.org/x/mod/sumdb/note).

Pure: ``python -m pytest -p no:django --noconftest tests/ledger/test_note.py``.
"""

from __future__ import annotations

import base64

import pytest

from accord.ledger import merkle, note

# The example of golang.org/x/mod/sumdb/note (package documentation and note_test.go).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# transparency-dev/formats: a vkey whose base64 contains '+'.
PLUS_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"


def go_signer() -> note.Signer:
    # The Go private key string is PRIVATE+KEY+<name>+<id>+base64(0x01 || seed); its base64
    # here happens to contain a '+', so rebuild it from the fixed prefix instead.
    b64 = GO_SKEY[len("PRIVATE+KEY+PeterNeumann+c74f20a3+") :]
    raw = base64.b64decode(b64)
    assert raw[0] == note.ALG_ED25519
    return note.Signer.from_seed("PeterNeumann", raw[1:])


def test_go_vkey_parses_and_round_trips():
    verifier = note.Verifier.from_vkey(GO_VKEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id.hex() == "c74f20a3"
    assert verifier.vkey == GO_VKEY
    assert note.Verifier.from_vkey(PLUS_VKEY).vkey == PLUS_VKEY


def test_go_note_verifies_and_we_produce_it_byte_for_byte():
    verifier = note.Verifier.from_vkey(GO_VKEY)
    signed = note.SignedNote.parse(GO_NOTE)
    assert signed.body == GO_TEXT
    assert note.verify_signature(signed.body, signed.signatures[0], verifier) == 0
    signer = go_signer()
    assert signer.verifier.vkey == GO_VKEY
    ours = note.SignedNote(GO_TEXT, (note.sign_note(GO_TEXT, signer),)).text()
    assert ours == GO_NOTE


def test_tampered_notes_and_bad_keys_are_refused():
    verifier = note.Verifier.from_vkey(GO_VKEY)
    changed = note.SignedNote.parse(GO_NOTE.replace("answer", "Answer"))
    assert note.verify_signature(changed.body, changed.signatures[0], verifier) is None
    for bad in [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),
        "PeterNeumann+c74f20a3",
        "x",
        "a b+00000000+AA==",
    ]:
        with pytest.raises(note.NoteError):
            note.Verifier.from_vkey(bad)
    for bad in [
        "no newline",
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n- dash x\n",
        GO_TEXT + "\x01\n\n",
    ]:
        with pytest.raises(note.NoteError):
            note.SignedNote.parse(bad)


def test_checkpoint_format():
    root = merkle.leaf_hash(b"")
    cp = note.Checkpoint("example.com/log", 8, root)
    body = cp.body()
    assert body == f"example.com/log\n8\n{base64.b64encode(root).decode()}\n"
    assert note.Checkpoint.parse(body) == cp
    with_ext = note.Checkpoint("example.com/log", 8, root, ("ext one",))
    assert note.Checkpoint.parse(with_ext.body()) == with_ext
    for bad in [
        "example.com/log\n08\nAAAA\n",
        "example.com/log\n8\n",
        "x\n-1\n" + body.split("\n")[2] + "\n",
    ]:
        with pytest.raises(note.NoteError):
            note.Checkpoint.parse(bad)


def test_open_checkpoint_requires_the_log_key_and_matching_origin():
    signer = note.Signer.generate("accord.example/ledger")
    body = note.Checkpoint(signer.name, 3, merkle.leaf_hash(b"x")).body()
    text = note.SignedNote(body, (note.sign_note(body, signer),)).text()
    cp, _ = note.open_checkpoint(text, signer.verifier)
    assert cp.size == 3
    with pytest.raises(note.NoteError):
        note.open_checkpoint(text, note.Signer.generate("accord.example/ledger").verifier)
    other_body = note.Checkpoint("someone.else/log", 3, merkle.leaf_hash(b"x")).body()
    other = note.SignedNote(other_body, (note.sign_note(other_body, signer),)).text()
    with pytest.raises(note.NoteError, match="origin"):
        note.open_checkpoint(other, signer.verifier)


def test_cosignature_v1_round_trip():
    log = note.Signer.generate("accord.example/ledger")
    witness = note.Signer.generate("witness.example/w1", alg=note.ALG_COSIGNATURE_V1)
    body = note.Checkpoint(log.name, 5, merkle.leaf_hash(b"y")).body()
    sig = note.cosign(body, witness, 1_700_000_000)
    assert len(sig.signature) == 72
    assert witness.verifier.key_id == note.key_id(witness.name, 0x04, witness.verifier.public_key)
    assert note.verify_signature(body, sig, witness.verifier) == 1_700_000_000
    text = note.SignedNote(body, (note.sign_note(body, log), sig)).text()
    _, signed = note.open_checkpoint(text, log.verifier)
    assert note.valid_cosigners(signed, [witness.verifier]) == {witness.name: 1_700_000_000}
    # A cosignature over another body, or re-timed, does not verify.
    forged = note.NoteSignature(sig.name, sig.key_id, (1).to_bytes(8, "big") + sig.signature[8:])
    assert note.verify_signature(body, forged, witness.verifier) is None
    assert note.verify_signature(body.replace("\n5\n", "\n6\n"), sig, witness.verifier) is None
    with pytest.raises(note.NoteError):
        note.cosign(body, log, 1)


# --- ML-DSA-44 cosignatures (tlog-cosignature, type 0x06) ---------------------------------------


def test_mldsa44_cosignature_follows_the_specified_message_and_verifies():
    import hashlib as _hashlib
    import struct as _struct

    from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PublicKey

    from accord.ledger import note as _note

    witness = _note.Signer.generate("witness.example/pq", alg=_note.ALG_COSIGNATURE_MLDSA44)
    verifier = _note.Verifier.from_vkey(witness.verifier.vkey)  # the vkey round-trips
    assert verifier.alg == 0x06 and len(verifier.public_key) == 1312
    assert (
        verifier.key_id
        == _hashlib.sha256(b"witness.example/pq\n\x06" + verifier.public_key).digest()[:4]
    )
    root = bytes(range(32))
    body = _note.Checkpoint("example.com/log", 20852163, root).body()
    sig = _note.cosign(body, witness, 1679315147)
    assert len(sig.signature) == 8 + 2420
    assert _note.verify_signature(body, sig, verifier) == 1679315147
    # The signed message, built here from the specification's struct, verifies on its own.
    expected = (
        b"subtree/v1\n\x00"
        + bytes([18])
        + b"witness.example/pq"
        + _struct.pack(">Q", 1679315147)
        + bytes([15])
        + b"example.com/log"
        + _struct.pack(">QQ", 0, 20852163)
        + root
    )
    MLDSA44PublicKey.from_public_bytes(verifier.public_key).verify(sig.signature[8:], expected)
    # Another root, size or time does not verify.
    other = _note.Checkpoint("example.com/log", 20852164, root).body()
    assert _note.verify_signature(other, sig, verifier) is None
    forged = _note.NoteSignature(sig.name, sig.key_id, _struct.pack(">Q", 1) + sig.signature[8:])
    assert _note.verify_signature(body, forged, verifier) is None


def test_a_witness_with_an_mldsa44_key_cosigns_through_the_protocol(tmp_path):
    from accord.ledger import merkle as _merkle
    from accord.ledger import note as _note
    from accord.ledger import witness as _witness

    log = _note.Signer.generate("example.com/log")
    key = tmp_path / "pq.key"
    _witness.write_key_file(key, "witness.example/pq", _note.ALG_COSIGNATURE_MLDSA44)
    signer = _witness.read_key_file(key)
    assert signer.alg == _note.ALG_COSIGNATURE_MLDSA44
    w = _witness.Witness(signer, [log.verifier], _witness.WitnessState(tmp_path / "state.json"))
    leaves = [_merkle.leaf_hash(bytes([i])) for i in range(5)]
    body = _note.Checkpoint(log.name, 5, _merkle.root_hash(leaves)).body()
    text = _note.SignedNote(body, (_note.sign_note(body, log),)).text()
    line = w.add_checkpoint(f"old 0\n\n{text}".encode())
    cosigned = _note.SignedNote.parse(text + line)
    assert set(_note.valid_cosigners(cosigned, [signer.verifier])) == {"witness.example/pq"}
