"""Imports point one way: connectors → the engine's port, and inside the engine, downward.

Every `import` and `from … import` of every module is read with `ast` (also those inside functions
and under TYPE_CHECKING: a type-only import upward is still a loop in the reading). Below the
faces (the CLI and the Dagster definitions) nothing in `engine/` imports `connectors`; an engine
sub-package imports only those below it; connectors import only the engine's leaves and its port.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]

# Lowest first. A module may import its own package and any package before it in this list.
LAYERS = (
    ("leaves", ("engine.errors", "engine.records", "engine.keys", "engine.catalogue", "engine.connector")),
    ("spec", ("engine.spec",)),
    ("mapping", ("engine.mapping",)),
    ("plan", ("engine.plan",)),
    ("state", ("engine.state",)),
    ("validate", ("engine.validate",)),
    ("alerts", ("engine.alerts",)),
    ("run", ("engine.run",)),
    ("webhooks", ("engine.webhooks",)),
    ("faces", ("engine.cli", "engine.dagster_definitions", "engine.dagster_partitions")),
)
FACES = LAYERS[-1][1]
# The port and the leaves, and the pure record helpers connectors share (split_street, numeric_sku).
CONNECTORS_MAY_IMPORT = (*LAYERS[0][1], "engine.mapping.transforms")


def _layer(module: str) -> int | None:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return rank
    return None


def _module_name(path: Path, root: Path = REPO) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = REPO) -> list[tuple[int, str]]:
    """(line, module) for every module `path` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    name = _module_name(path, root)
    package = name.rsplit(".", 1)[0] if path.name != "__init__.py" else name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base))
            # `from engine import jmes` imports the module engine.jmes
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def violations(root: Path = REPO) -> list[str]:
    problems = []
    for path in sorted((root / "engine").rglob("*.py")):
        module = _module_name(path, root)
        rank = _layer(module)
        for line, imported in imports_of(path, root):
            where = f"{path.relative_to(root)}:{line}"
            if imported == "connectors" or imported.startswith("connectors."):
                if rank is None or LAYERS[rank][1] != FACES:
                    problems.append(f"{where}: {module} imports {imported}; only the faces know the connectors")
                continue
            target = _layer(imported)
            if rank is None or target is None or imported == "engine":
                continue
            if target > rank:
                problems.append(
                    f"{where}: {module} ({LAYERS[rank][0]}) imports {imported} ({LAYERS[target][0]}), a layer above it"
                )
    for path in sorted((root / "connectors").rglob("*.py")):
        for line, imported in imports_of(path, root):
            allowed = any(imported == m or imported.startswith(m + ".") for m in CONNECTORS_MAY_IMPORT)
            if _layer(imported) is not None and not allowed and imported != "engine.mapping":
                problems.append(
                    f"{path.relative_to(root)}:{line}: a connector imports {imported}; "
                    f"connectors may import only {', '.join(CONNECTORS_MAY_IMPORT)}"
                )
    return problems


def test_every_engine_module_has_a_layer() -> None:
    unplaced = [_module_name(p) for p in (REPO / "engine").rglob("*.py") if _layer(_module_name(p)) is None]
    assert unplaced == ["engine"], "give these modules a layer in tests/test_layers.py: " + ", ".join(unplaced)


def test_imports_point_one_way() -> None:
    assert violations() == []


def test_the_check_finds_an_upward_import_and_a_connector_import(tmp_path: Path) -> None:
    """The check can fail: a copy of the tree with two wrong imports added is caught on both."""
    for folder in ("engine", "connectors"):
        subprocess.run(["cp", "-r", str(REPO / folder), str(tmp_path / folder)], check=True)
    plan = tmp_path / "engine" / "plan" / "diff.py"
    plan.write_text(plan.read_text() + "\nfrom engine.state import StateStore  # noqa\n")
    mapper = tmp_path / "engine" / "mapping" / "mapper.py"
    mapper.write_text(mapper.read_text() + "\n\ndef _late() -> None:\n    import connectors.shopify  # noqa\n")
    shopify = tmp_path / "connectors" / "shopify" / "stock.py"
    shopify.write_text(shopify.read_text() + "\nfrom engine.run.workspace import Workspace  # noqa\n")
    found = violations(tmp_path)
    assert any("engine/plan/diff.py" in p and "engine.state" in p for p in found), found
    assert any("engine/mapping/mapper.py" in p and "connectors.shopify" in p for p in found), found
    assert any("connectors/shopify/stock.py" in p and "engine.run.workspace" in p for p in found), found


# What of a connector only a client, a webhook delivery or a sandbox needs: validating reads a
# connector's settings and catalogues and loads none of these.
CONNECTOR_WORKINGS = tuple(
    f"connectors.{path.parent.name}.{path.stem}"
    for path in sorted((REPO / "connectors").glob("*/*"))
    if path.stem in ("client", "transport", "convert", "webhooks", "sandbox", "csvread", "products", "stock", "orders")
)


def test_the_workings_checked_for_are_found() -> None:
    expected = {"connectors.files.client", "connectors.ccv.webhooks", "connectors.shopify.stock"}
    assert expected <= set(CONNECTOR_WORKINGS)


@pytest.mark.parametrize(
    ("command", "absent"),
    [
        ("validate", ("httpx", "graphql", "dagster", "sqlalchemy", "uvicorn", "starlette", *CONNECTOR_WORKINGS)),
        ("--help", ("httpx", "graphql", "dagster", "sqlalchemy", "uvicorn", "starlette", "jsonschema", "asyncio")),
        ("--version", ("httpx", "graphql", "dagster", "sqlalchemy", "uvicorn", "starlette", "jsonschema", "pydantic")),
    ],
)
def test_validate_and_help_load_no_client_store_or_dagster(command: str, absent: tuple[str, ...]) -> None:
    script = (
        "import sys\n"
        "from engine.cli import main\n"
        f"try:\n    main([{command!r}])\nexcept SystemExit:\n    pass\n"
        f"print('loaded:' + ','.join(sorted(m for m in {absent!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "loaded:", f"`tillsync {command}` {done.stdout.splitlines()[-1]}"
