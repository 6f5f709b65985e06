"""Documents encrypted at rest (issue #13): what the storage holds is ciphertext under a per-file
data key wrapped by the key ring; reads decrypt transparently; changed, cut or reordered
bytes are refused; old files are converted in place and data keys re-wrapped on rotation."""

from __future__ import annotations

import base64
import hashlib
import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core import crypto, storage
from accord.core.models import AuditEntry
from accord.signing import providers

KEY_2 = "k2:" + base64.b64encode(b"\x02" * 32).decode()


@pytest.fixture
def store(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "accord.core.storage.EncryptedStorage",
            "OPTIONS": {"inner_options": {"location": str(tmp_path / "files")}},
        },
    }
    yield storages["default"]


def _on_disk(tmp_path, name: str) -> bytes:
    return (tmp_path / "files" / name).read_bytes()


def _roundtrip(data: bytes) -> bytes:
    sealed = io.BytesIO()
    storage.encrypt_to(io.BytesIO(data), sealed)
    sealed.seek(0)
    assert storage.is_encrypted(sealed)
    out = io.BytesIO()
    storage.decrypt_to(sealed, out)
    return out.getvalue()


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(
        [0, 1, storage.SEGMENT - 1, storage.SEGMENT, storage.SEGMENT + 1, 3 * storage.SEGMENT]
    ),
    st.binary(max_size=64),
)
def test_any_length_round_trips_across_segment_boundaries(length, tail):
    data = os.urandom(length) + tail
    assert _roundtrip(data) == data


def test_the_storage_holds_no_plaintext_and_reads_it_back(store, tmp_path):
    pdf = b"%PDF-1.7 \xe5\xa7\x93\xe5\x90\x8d 440304199001011234 13800138000" * 2000
    name = store.save("signing/documents/ab/doc.pdf", ContentFile(pdf))
    raw = _on_disk(tmp_path, name)
    assert raw.startswith(storage.MAGIC)
    assert b"%PDF" not in raw and b"440304199001011234" not in raw and b"13800138000" not in raw
    with store.open(name) as f:
        assert f.read() == pdf
    assert store.size(name) == len(pdf)
    assert store.state_of(name) == crypto.current_key_id()


def test_a_signed_document_is_stored_encrypted_under_its_plaintext_hash(store, tmp_path):
    pdf = b"%PDF-1.7 signed contract 440304199001011234"
    digest = providers.store_document(pdf)
    assert digest == hashlib.sha256(pdf).hexdigest()  # addressed by the plaintext's hash
    path = f"signing/documents/{digest[:2]}/{digest}.pdf"
    assert b"440304199001011234" not in _on_disk(tmp_path, path)
    assert providers.load_document(digest) == pdf


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop_segment", "swap_segments"])
def test_changed_or_cut_ciphertext_is_refused(damage):
    sealed = io.BytesIO()
    storage.encrypt_to(io.BytesIO(os.urandom(3 * storage.SEGMENT + 10)), sealed)
    raw = bytearray(sealed.getvalue())
    header = len(raw) - (3 * storage.SEGMENT + 10) - 4 * storage.TAG
    seg = storage.SEGMENT + storage.TAG
    if damage == "flip":
        raw[header + 5] ^= 1
    elif damage == "truncate":
        raw = raw[: header + 3 * seg]  # the last, flagged segment is gone
    elif damage == "drop_segment":
        raw = raw[: header + seg] + raw[header + 2 * seg :]
    else:
        raw = (
            raw[:header]
            + raw[header + seg : header + 2 * seg]
            + raw[header : header + seg]
            + raw[header + 2 * seg :]
        )
    stream = io.BytesIO(bytes(raw))
    assert storage.is_encrypted(stream)
    with pytest.raises(storage.DamagedFile):
        storage.decrypt_to(stream, io.BytesIO())


@pytest.mark.django_db
def test_files_from_before_are_read_then_encrypted_in_place(store, tmp_path, capsys):
    legacy = tmp_path / "files" / "archives" / "e1" / "old.zip"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"PK plain archive 440304199001011234")
    with store.open("archives/e1/old.zip") as f:
        assert f.read() == b"PK plain archive 440304199001011234"
    with pytest.raises(CommandError):
        call_command("storage", "check")
    call_command("storage", "encrypt")
    assert b"440304199001011234" not in legacy.read_bytes()
    with store.open("archives/e1/old.zip") as f:
        assert f.read() == b"PK plain archive 440304199001011234"
    call_command("storage", "check")
    assert AuditEntry.objects.filter(action="core.storage.encrypt").exists()


@pytest.mark.django_db
def test_rotation_rewraps_the_data_keys_and_the_old_key_can_leave(store, tmp_path, settings):
    old_ring = settings.ACCORD_DATA_KEYS
    name = store.save("doc.pdf", ContentFile(b"%PDF contents" * 10_000))
    body_before = _on_disk(tmp_path, name)[-1000:]
    settings.ACCORD_DATA_KEYS = f"{KEY_2},{old_ring}"
    call_command("storage", "rotate")
    assert store.state_of(name) == "k2"
    assert _on_disk(tmp_path, name)[-1000:] == body_before  # the contents were not rewritten
    settings.ACCORD_DATA_KEYS = KEY_2
    with store.open(name) as f:
        assert f.read() == b"%PDF contents" * 10_000
