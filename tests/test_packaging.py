"""The package's shape: what it imports is what it declares (optional drivers in their
extras), and ``make demo`` installs the package alone (no test tools, no extras)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from activitylog.store.engines import ENGINES

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "activitylog"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
#: Modules (or folders) that belong to an extra, with its name: ``pip install
#: 'activitylog[django]'`` brings Django for ``contrib/``, ``[postgres]`` psycopg for the
#: PostgreSQL engine (imported only when a ``postgresql://`` URL is opened).
EXTRAS = {"contrib": "django", "store/postgres.py": "postgres", "store/clickhouse": "clickhouse"}


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def _distributions(texts: list[str]) -> set[str]:
    """What installing these requirements brings: them and their dependencies."""
    todo = [Requirement(text) for text in texts]
    found: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = _normal(requirement.name)
        if name in found:
            continue
        found.add(name)
        try:
            texts = requires(requirement.name) or []
        except PackageNotFoundError:
            continue
        extras = requirement.extras or {""}
        for text in texts:
            nested = Requirement(text)
            if nested.marker is None or any(nested.marker.evaluate({"extra": e}) for e in extras):
                todo.append(nested)
    return found


def _extra_of(relative: Path) -> str | None:
    for place, extra in EXTRAS.items():
        if relative == Path(place) or Path(place) in relative.parents:
            return extra
    return None


def _imported_on_import(path: Path) -> set[str]:
    """The top-level names a module imports when it is imported: its module-level
    statements, not function bodies (optional drivers are imported when used) nor
    ``if TYPE_CHECKING:`` blocks."""
    names: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return names


def test_every_module_imports_only_core_dependencies_or_its_extras() -> None:
    core = _distributions(PROJECT["dependencies"])
    extras = {
        extra: _distributions(PROJECT["optional-dependencies"][extra]) for extra in EXTRAS.values()
    }
    owners = packages_distributions()
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        extra = _extra_of(relative)
        allowed = core | extras[extra] if extra else core
        for name in _imported_on_import(path):
            if name in sys.stdlib_module_names or name in ("activitylog", "__future__"):
                continue
            distributions = {_normal(d) for d in owners.get(name, [])}
            assert distributions & allowed, f"{path.relative_to(ROOT)} imports {name}"


def test_psycopg_comes_with_the_postgres_extra_only() -> None:
    assert "psycopg" not in _distributions(PROJECT["dependencies"])
    assert "psycopg" in _distributions(PROJECT["optional-dependencies"]["postgres"])
    for scheme, engine in ENGINES.items():
        assert engine.extra is None or engine.extra in PROJECT["optional-dependencies"], scheme


def _make(*args: str) -> str:
    done = subprocess.run(
        ["make", "-n", "-B", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_installs_the_package_alone_and_serves_on_port() -> None:
    demo = _make("demo", "PORT=8731")
    assert "pip install --quiet -e .\n" in demo
    assert "[test" not in demo
    assert "postgres]" not in demo
    assert "activitylog demo --host 127.0.0.1 --port 8731" in demo
    assert ".venv-demo/bin/activitylog" in demo
    assert "pip install --quiet -e '.[test,postgres,clickhouse]'" in _make("install")
