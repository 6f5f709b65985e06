"""Every error code is declared once, in its app's ``errors.py``, and raised by name.

CONVENTIONS ("Error codes declared once"): a code carries one Chinese message, one English
message and one HTTP status wherever it is raised. ``accord.core.errors`` refuses a second
declaration with other messages; these tests check the whole code base keeps to it.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import Counter
from pathlib import Path

import pytest

from accord.core.errors import AccordError, ErrorCode

ACCORD = Path(__file__).resolve().parent.parent / "accord"
ERRORS_MODULES = sorted(ACCORD.glob("*/errors.py"))

# Codes whose status is a 5xx: the fault is a provider's or a device's, not the caller's.
SERVER_SIDE = {"signing.provider_unavailable", "signing.pkcs11_unavailable", "core.busy"}
# The one 500: what an API client reads instead of an HTML page when Accord itself fails.
OUR_FAULT = {"core.server_error"}

# Files still building errors inline, each being rewritten by another branch of issue 10
# (envelopes/, the batch importer, the page shell). Written as exact counts so that the test
# fails when one of them changes: the integrator empties this list after merging.
NOT_YET_CONVERTED: dict[str, int] = {}

_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def _import_all_catalogues() -> None:
    for path in ERRORS_MODULES:
        importlib.import_module(f"accord.{path.parent.name}.errors")


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of AccordError and every class defined in accord/ that derives from it."""
    names = {"AccordError", "Problem"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    }
                    if bases & names:
                        names.add(node.name)
                        grew = True
    return names


def _literal_code(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _CODE.match(node.value):
        return node.value
    return None


def inline_sites(root: Path = ACCORD) -> list[tuple[str, int, str]]:
    """(file, line, code) of every error built with a literal code outside an errors.py.

    Counted: ``SomeError("app.code", …)`` and ``Problem("app.code", …)`` for any AccordError
    subclass, ``….from_problems(…, code="app.code")`` and ``ratelimit.hit/check_not_locked(…,
    code="app.code")``: each should name a declared ErrorCode instead.
    """

    def parse(top: Path) -> dict[Path, ast.Module]:
        return {
            p: ast.parse(p.read_text(encoding="utf-8"))
            for p in top.rglob("*.py")
            if "migrations" not in p.parts
        }

    trees = parse(root)
    classes = _error_classes(parse(ACCORD) if root != ACCORD else trees)
    sites = []
    for path, tree in trees.items():
        if path.name == "errors.py":
            continue
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            keywords = {k.arg: k.value for k in node.keywords}
            code = None
            if name in classes:
                code = _literal_code(node.args[0] if node.args else keywords.get("code"))
            elif name in ("from_problems", "hit", "check_not_locked"):
                code = _literal_code(keywords.get("code"))
            if code:
                sites.append((rel, node.lineno, code))
    return sites


def test_every_declared_code_has_both_messages_and_a_client_error_status():
    _import_all_catalogues()  # a code declared twice with other messages fails right here
    registry = ErrorCode.registry
    assert len(registry) > 150
    for code, error in registry.items():
        assert _CODE.match(code), code
        assert error.message_zh.strip() and error.message_en.strip(), code
        assert issubclass(error.kind, AccordError), code
        if code in SERVER_SIDE:
            assert error.status == 503, code
        elif code in OUR_FAULT:
            assert error.status == 500, code
        else:
            assert 400 <= error.status < 500, code


def test_every_code_is_declared_in_exactly_one_errors_module():
    declared: dict[str, list[str]] = {}
    for path in ERRORS_MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr
                in ("declare", "invalid", "conflict", "forbidden", "not_found", "rate_limited")
                and node.args
                and _literal_code(node.args[0])
            ):
                declared.setdefault(node.args[0].value, []).append(path.parent.name)
    twice = {code: apps for code, apps in declared.items() if len(apps) > 1}
    assert not twice, f"declared more than once: {twice}"


def test_no_error_is_built_inline_with_a_literal_code():
    counts = Counter(rel for rel, _, _ in inline_sites())
    stray = {rel: n for rel, n in counts.items() if rel not in NOT_YET_CONVERTED}
    assert not stray, (
        "raise the declared ErrorCode of the app's errors.py instead of building the error "
        f"inline: {sorted(site for site in inline_sites() if site[0] in stray)}"
    )
    changed = {
        rel: (n, counts.get(rel, 0))
        for rel, n in NOT_YET_CONVERTED.items()
        if counts.get(rel, 0) != n
    }
    assert not changed, f"update NOT_YET_CONVERTED (expected, found): {changed}"


def test_the_inline_scan_sees_a_planted_site(tmp_path):
    """The scan above must not pass because it sees nothing."""
    (tmp_path / "seals").mkdir()
    (tmp_path / "seals" / "services.py").write_text(
        "from accord.core.errors import Conflict\n"
        "from accord.signing.errors import ProviderUnavailable\n"
        "def f(ok):\n"
        "    if ok:\n"
        "        raise Conflict('seal.planted', '种', 'Planted', 'seal')\n"
        "    raise ProviderUnavailable('signing.planted', '种', 'Planted')\n"
        "def g():\n"
        "    ratelimit.hit('k', limit=1, window=1, code='seal.too_often')\n",
        encoding="utf-8",
    )
    (tmp_path / "seals" / "errors.py").write_text(
        "raise Conflict('seal.declared', '种', 'Declared')\n", encoding="utf-8"
    )
    assert sorted(inline_sites(tmp_path)) == [
        ("seals/services.py", 5, "seal.planted"),
        ("seals/services.py", 6, "signing.planted"),
        ("seals/services.py", 8, "seal.too_often"),
    ]


def _codes_expected_by_tests() -> set[str]:
    """Codes the tests compare with ``….code`` or ``…["code"]``."""
    codes = set()
    for path in Path(__file__).resolve().parent.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare) or len(node.comparators) != 1:
                continue
            left, right = node.left, node.comparators[0]
            for side, other in ((left, right), (right, left)):
                is_code = (isinstance(side, ast.Attribute) and side.attr == "code") or (
                    isinstance(side, ast.Subscript)
                    and isinstance(side.slice, ast.Constant)
                    and side.slice.value == "code"
                )
                if is_code and _literal_code(other):
                    codes.add(other.value)
    return codes


def _codes_of_other_mechanisms() -> set[str]:
    """Codes that are not AccordErrors: the law's findings on a contract draft
    (``contracts.rules.Finding``) and the offline bundle verifier's ``BundleError``, which
    runs without Django."""
    codes = set()
    for path in (ACCORD / "contracts" / "rules.py", ACCORD / "ledger" / "bundle.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("Finding", "BundleError")
                and node.args
                and _literal_code(node.args[0])
            ):
                codes.add(node.args[0].value)
    return codes


def test_every_code_the_tests_expect_is_declared_or_still_inline():
    _import_all_catalogues()
    known = (
        set(ErrorCode.registry)
        | {code for _, _, code in inline_sites()}
        | _codes_of_other_mechanisms()
    )
    expected = _codes_expected_by_tests()
    assert expected, "the scan of the tests found no expected code"
    # ledger.invalid_<field> is one code per field of a ledger entry (see ledger/entries.py).
    missing = {c for c in expected - known if not c.startswith("ledger.invalid_")}
    assert not missing, f"codes the tests expect that no app declares: {sorted(missing)}"


@pytest.mark.parametrize("path", ERRORS_MODULES, ids=lambda p: p.parent.name)
def test_an_errors_module_imports_only_core_errors_and_lower_apps(path):
    """errors.py sits at the bottom of its app: importing it pulls in no models or services."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("accord"):
            assert node.module.endswith(".errors"), f"{path}: imports {node.module}"
