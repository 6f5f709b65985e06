"""The layers contract: dependencies between Accord's apps point one way.

core ← identity ← ledger ← signing ← contracts ← seals ← envelopes ← integrations ← site
(docs/architecture.md, "Layout"). ``accord/site`` and ``accord/urls.py`` compose the whole
and may use every app. The checker reads the source (AST and template text), imports nothing,
and fails on:

(a) a module importing a module of a higher app (or of a sibling on the same level);
(b) a cross-app import inside a function, which hides a dependency (a cycle it breaks means the
    design is wrong: use an event or a registration instead);
(c) a template name or a URL name of a higher app used from a lower app's templates or code;
(d) a lower app's model or migration naming a higher app's model ("envelopes.Envelope") or
    migration (a dependency the import graph does not show).

Tests are not part of the checked tree; migrations are checked like the rest of their app.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Each app's level; an app may use apps of a strictly lower level only.
LEVELS: dict[str, int] = {
    "core": 0,
    "identity": 1,
    "ledger": 2,
    "signing": 3,
    "contracts": 4,
    "seals": 5,
    "envelopes": 6,
    "integrations": 7,
    # mediation uses core … envelopes (signing the agreement), not integrations (issue #14).
    "mediation": 8,
}
#: Composition roots: they may use every app.
COMPOSERS = {"site", "urls"}


@dataclass(frozen=True, order=True)
class Violation:
    path: str  # relative to the root, with forward slashes
    line: int
    rule: str  # "import", "import-in-function", "template", "url", "model", "migration"
    target: str  # the imported module, template name or URL name

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.target}"


def _app_of_module(dotted: str) -> str | None:
    parts = dotted.split(".")
    if len(parts) < 2 or parts[0] != "accord":
        return None
    return parts[1]


def _app_of_path(rel: Path) -> str | None:
    """The app a file under accord/ belongs to (``urls`` for accord/urls.py)."""
    parts = rel.parts
    if len(parts) >= 3:
        return parts[1]
    if len(parts) == 2 and parts[1] == "urls.py":
        return "urls"
    return None


def _may_use(user: str, used: str) -> bool:
    if user == used or user in COMPOSERS:
        return True
    if user not in LEVELS or used not in LEVELS:
        # The composers are used by nobody; an app the contract does not place yet (a new
        # app, or the dissolved ``web``) must be placed in LEVELS before it may use or be used.
        return False
    return LEVELS[used] < LEVELS[user]


def _module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(root: Path, dotted: str) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _resolve(root: Path, module: str, node: ast.ImportFrom) -> list[str]:
    """The absolute modules a ``from … import`` statement names: ``from accord.seals import
    services`` names accord.seals.services, ``from accord.seals.models import Seal`` names
    accord.seals.models."""
    if node.level:
        package = module.split(".")
        base = package[: len(package) - node.level]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    names = {
        f"{prefix}.{a.name}" if _is_module(root, f"{prefix}.{a.name}") else prefix
        for a in node.names
    }
    if prefix.count(".") < 1:  # ``from accord import envelopes``: the names are apps
        names = {f"{prefix}.{a.name}" for a in node.names}
    return sorted(names)


def _imports(root: Path, tree: ast.Module, module: str) -> list[tuple[int, str, bool]]:
    """(line, imported module, inside a function?) for every import in a module."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            if isinstance(child, ast.Import):
                found.extend((child.lineno, a.name, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                found.extend((child.lineno, m, in_function) for m in _resolve(root, module, child))
            visit(child, inner)

    visit(tree, False)
    return found


TEMPLATE_TAG = re.compile(r"""{%\s*(?:extends|include)\s+["']([^"']+)["']""")
URL_TAG = re.compile(r"""{%\s*url\s+["']([\w-]+:[\w-]+)["']""")
TEMPLATE_STRING = re.compile(r"^[\w-]+/[\w/.-]+\.(?:html|txt|xml|typ)$")
URL_STRING = re.compile(r"^[\w-]+:[\w-]+$")
MODEL_STRING = re.compile(r"^[a-z_]+\.[A-Z]\w*$")  # "identity.Enterprise" in a ForeignKey
MIGRATION_NAME = re.compile(r"^\d{4}_\w+$")


def _app_of_label(label: object) -> str | None:
    """The app of a model's app label (each Accord app's label is its package name)."""
    return label if isinstance(label, str) and (label in LEVELS or label == "site") else None


def _template_owners(accord: Path) -> dict[str, str]:
    """Template directory (``envelopes`` in "envelopes/hr/list.html") → the app shipping it."""
    owners: dict[str, str] = {}
    for directory in sorted(accord.glob("*/templates/*")):
        if directory.is_dir():
            owners[directory.name] = directory.parent.parent.name
    return owners


def _app_name(tree: ast.Module) -> str | None:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "app_name" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return str(node.value.value)
    return None


def _app_name_of(path: Path) -> str | None:
    return _app_name(ast.parse(path.read_text(encoding="utf-8"))) if path.exists() else None


def _url_owners(accord: Path) -> dict[str, str]:
    """URL name ("web:login") → the app whose urls module declares it."""
    owners: dict[str, str] = {}
    for path in sorted(accord.glob("*/**/urls*.py")):
        app = path.relative_to(accord).parts[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # A urls module without its own app_name is included by the app's urls.py.
        namespace = _app_name(tree) or _app_name_of(accord / app / "urls.py")
        if namespace is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                        owners[f"{namespace}:{kw.value.value}"] = app
    return owners


def check_layers(root: Path) -> list[Violation]:
    """Every breach of the layers contract in the ``accord`` package under ``root``."""
    accord = root / "accord"
    templates = _template_owners(accord)
    urls = _url_owners(accord)
    found: set[Violation] = set()

    def judge(rel: Path, app: str, line: int, rule: str, target: str, owner: str | None) -> None:
        if owner is not None and not _may_use(app, owner):
            found.add(Violation(rel.as_posix(), line, rule, target))

    for path in sorted(accord.rglob("*.py")):
        rel = path.relative_to(root)
        app = _app_of_path(rel)
        if app is None:
            continue
        module = _module_name(rel)
        if rel.name == "__init__.py":
            module += ".__init__"  # a package's relative imports start from the package itself
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, imported, in_function in _imports(root, tree, module):
            used = _app_of_module(imported)
            if used is None or used == app:
                continue
            judge(rel, app, line, "import", imported, used)
            if in_function and app not in COMPOSERS:
                found.add(Violation(rel.as_posix(), line, "import-in-function", imported))
        in_migrations = "migrations" in rel.parts
        for node in ast.walk(tree):
            if in_migrations and isinstance(node, ast.Tuple) and len(node.elts) == 2:
                label, name = node.elts
                if (
                    isinstance(label, ast.Constant)
                    and isinstance(name, ast.Constant)
                    and isinstance(name.value, str)
                    and MIGRATION_NAME.match(name.value)
                ):
                    judge(
                        rel,
                        app,
                        node.lineno,
                        "migration",
                        f"{label.value}.{name.value}",
                        _app_of_label(label.value),
                    )
            if in_migrations and isinstance(node, ast.keyword) and node.arg == "to":
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    label = value.value.partition(".")[0]
                    judge(rel, app, value.lineno, "model", value.value, _app_of_label(label))
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if MODEL_STRING.match(text):
                    label = text.partition(".")[0]
                    judge(rel, app, node.lineno, "model", text, _app_of_label(label))
                elif TEMPLATE_STRING.match(text):
                    judge(
                        rel, app, node.lineno, "template", text, templates.get(text.split("/")[0])
                    )
                elif URL_STRING.match(text):
                    judge(rel, app, node.lineno, "url", text, urls.get(text))

    for path in sorted(accord.glob("*/templates/**/*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root)
        app = rel.parts[1]
        text = path.read_text(encoding="utf-8")
        for match in TEMPLATE_TAG.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            name = match.group(1)
            judge(rel, app, line, "template", name, templates.get(name.split("/")[0]))
        for match in URL_TAG.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            judge(rel, app, line, "url", match.group(1), urls.get(match.group(1)))
    return sorted(found)


# Breaches left in files that other engineers of issue 10 rewrite at the same time; each goes
# when their branch is merged. Exact: (file, rule, target) → how many times. The test fails on
# one more, and on one fewer (then lower the count here), so the list can only shrink; it must
# be empty once the issue is integrated.
ALLOWED: dict[str, tuple[str, dict[str, int]]] = {}


def _allowed() -> Counter[tuple[str, str, str]]:
    allowed: Counter[tuple[str, str, str]] = Counter()
    for path, (_owner, breaches) in ALLOWED.items():
        for breach, n in breaches.items():
            rule, target = breach.split(" ")
            allowed[(path, rule, target)] = n
    return allowed


def _found() -> Counter[tuple[str, str, str]]:
    return Counter((v.path, v.rule, v.target) for v in check_layers(ROOT))


def test_the_tree_keeps_its_layers():
    found, allowed = _found(), _allowed()
    unexpected = [
        str(v)
        for v in check_layers(ROOT)
        if found[(v.path, v.rule, v.target)] > allowed[(v.path, v.rule, v.target)]
    ]
    assert not unexpected, "layers contract broken:\n" + "\n".join(unexpected)


def test_the_allow_list_holds_only_breaches_that_still_exist():
    found, allowed = _found(), _allowed()
    stale = [
        f"{path}: {rule} {target} (allowed {n}, found {found[(path, rule, target)]})"
        for (path, rule, target), n in allowed.items()
        if found[(path, rule, target)] < n
    ]
    assert not stale, "lower these in ALLOWED, they are fixed:\n" + "\n".join(stale)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return tmp_path


CLEAN = {
    "accord/__init__.py": "",
    "accord/core/__init__.py": "",
    "accord/core/pages.py": "from accord.core import errors\n",
    "accord/core/templates/core/base.html": "{% block content %}{% endblock %}",
    "accord/core/urls.py": 'app_name = "web"\nurlpatterns = [path("inbox/", v, name="inbox")]\n',
    "accord/envelopes/__init__.py": "",
    "accord/envelopes/urls.py": (
        'app_name = "envelopes"\nurlpatterns = [path("e/", v, name="hr_list")]\n'
    ),
    "accord/envelopes/templates/envelopes/list.html": (
        '{% extends "core/base.html" %}{% url "web:inbox" %}'
    ),
    "accord/envelopes/views.py": (
        "from accord.core.pages import staff_page\n"
        "from accord.identity.models import Person\n"
        'TEMPLATE = "core/base.html"\n'
    ),
    "accord/site/views.py": "from accord.envelopes import views\n\ndef f():\n    return 1\n",
    "accord/urls.py": "from accord.envelopes import urls\nfrom accord.site import views\n",
}


def test_a_clean_tree_passes(tmp_path):
    assert check_layers(_tree(tmp_path, CLEAN)) == []


@pytest.mark.parametrize(
    ("planted", "expected"),
    [
        (
            {"accord/core/pages.py": "from accord.envelopes.views import x\n"},
            ["accord/core/pages.py:1: import accord.envelopes.views"],
        ),
        (
            {"accord/identity/views.py": "import accord.envelopes.models as m\n"},
            ["accord/identity/views.py:1: import accord.envelopes.models"],
        ),
        (
            {"accord/core/pages.py": "from accord import envelopes\n"},
            ["accord/core/pages.py:1: import accord.envelopes"],
        ),
        (
            {
                "accord/core/sub/__init__.py": "",
                "accord/core/sub/x.py": "from ...ledger import m\n",
            },
            ["accord/core/sub/x.py:1: import accord.ledger"],
        ),
        (
            {"accord/core/migrations/0002_x.py": "from accord.identity.models import User\n"},
            ["accord/core/migrations/0002_x.py:1: import accord.identity.models"],
        ),
        (
            {
                "accord/envelopes/views.py": "def f():\n    from accord.identity.models import Person\n"
            },
            ["accord/envelopes/views.py:2: import-in-function accord.identity.models"],
        ),
        (
            {"accord/core/pages.py": "def f():\n    import accord.envelopes.api\n"},
            [
                "accord/core/pages.py:2: import accord.envelopes.api",
                "accord/core/pages.py:2: import-in-function accord.envelopes.api",
            ],
        ),
        (
            {"accord/core/templates/core/base.html": '{% include "envelopes/list.html" %}'},
            ["accord/core/templates/core/base.html:1: template envelopes/list.html"],
        ),
        (
            {"accord/core/templates/core/base.html": "\n{% url 'envelopes:hr_list' %}"},
            ["accord/core/templates/core/base.html:2: url envelopes:hr_list"],
        ),
        (
            {"accord/core/pages.py": 'def f(r):\n    return render(r, "envelopes/list.html")\n'},
            ["accord/core/pages.py:2: template envelopes/list.html"],
        ),
        (
            {"accord/core/pages.py": 'def f():\n    return redirect("envelopes:hr_list")\n'},
            ["accord/core/pages.py:2: url envelopes:hr_list"],
        ),
        (
            {
                "accord/integrations/x.py": "",
                "accord/envelopes/y.py": "from accord.integrations import x\n",
            },
            ["accord/envelopes/y.py:1: import accord.integrations.x"],
        ),
        (
            {
                "accord/core/models.py": 'owner = models.ForeignKey("envelopes.Envelope", on_delete=C)\n'
            },
            ["accord/core/models.py:1: model envelopes.Envelope"],
        ),
        (
            {
                "accord/core/migrations/0002_x.py": (
                    'dependencies = [("core", "0001_initial"), ("envelopes", "0003_batch")]\n'
                    'field = models.ForeignKey(on_delete=C, to="envelopes.envelope")\n'
                )
            },
            [
                "accord/core/migrations/0002_x.py:1: migration envelopes.0003_batch",
                "accord/core/migrations/0002_x.py:2: model envelopes.envelope",
            ],
        ),
        (
            {"accord/envelopes/y.py": "from accord.site import views\n"},
            ["accord/envelopes/y.py:1: import accord.site.views"],
        ),
    ],
)
def test_a_planted_breach_fails_the_check(tmp_path, planted, expected):
    found = check_layers(_tree(tmp_path, {**CLEAN, **planted}))
    assert [str(v) for v in found] == expected
