"""`accord sign IN OUT --seal bureau` and `accord verify FILE [--json]` with their exit codes."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from tests.signing.fixtures import contract_bytes

pytestmark = pytest.mark.django_db


def _verify(path, *args, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        call_command("verify", str(path), *args)
    return exit_.value.code, capsys.readouterr().out


def test_sign_with_the_bureau_seal_then_verify(platform, tmp_path, capsys):
    source, target = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(contract_bytes())
    call_command("sign", str(source), str(target), "--seal", "bureau", "--level", "B-LT")
    assert "ledger entry" in capsys.readouterr().out
    code, out = _verify(target, capsys=capsys)
    assert code == 0 and "RESULT: valid" in out and "[VALID] seal1" in out
    code, out = _verify(target, "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0 and report["valid"] and report["signatures"][0]["level"] == "B-LT"
    assert report["ledger_index"] is not None


def test_verify_exits_non_zero_with_reasons(platform, tmp_path, capsys):
    source, target = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(contract_bytes())
    call_command("sign", str(source), str(target), "--seal", "bureau")
    data = target.read_bytes()
    pos = data.index(b"stream", 200) + 40
    target.write_bytes(data[:pos] + bytes([data[pos] ^ 1]) + data[pos + 1 :])
    code, out = _verify(target, capsys=capsys)
    assert code == 1 and "RESULT: INVALID" in out and "changed after signing" in out
    assert "The document was changed after it was signed" in out and "文件在签署后被改动过" in out
    assert "does not chain" not in out  # a consequence of the change, not its reason

    code, out = _verify(source, capsys=capsys)  # never signed
    assert code == 1 and "not signed" in out

    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    code, out = _verify(junk, "--json", capsys=capsys)
    assert code == 2 and json.loads(out)["error"]["code"] == "signing.pdf_malformed"


def test_sign_refuses_bad_input_clearly(platform, tmp_path):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4 nothing else")
    with pytest.raises(CommandError, match=r"signing\.pdf_malformed"):
        call_command("sign", str(junk), str(tmp_path / "o.pdf"), "--seal", "bureau")
    assert not (tmp_path / "o.pdf").exists()
