"""The architecture's import rules (DESIGN.md section 2), checked on the source.

spc imports nothing else from the project; engines, io and charts build on spc; only
web imports Django; only the Spark engine imports pyspark. Imports inside functions
count too, so a heavy dependency cannot sneak in lazily.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "qualitas"

# What each part of qualitas may import from the rest of it (besides itself and
# qualitas.errors, which everything shares). Parts not listed may import any part.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "spc": set(),
    "engines": {"spc"},
    "io": {"spc"},
    "charts": {"spc"},
}
# Third-party packages only one place may import.
ONLY_IN = {
    "django": ("qualitas.web",),
    "pyspark": ("qualitas.engines.spark",),
    "py4j": ("qualitas.engines.spark",),
}


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((".".join(parts), path))
    return out


def imports(module: str, path: Path) -> set[str]:
    """Every module ``module`` imports, anywhere in its source, resolved to full names."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            # `from qualitas import spc` imports qualitas.spc.
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def is_package(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").exists()


MODULES = modules()


def test_the_rules_see_the_whole_package():
    names = [m for m, _ in MODULES]
    assert "qualitas.spc.xmr" in names
    assert "qualitas.engines.spark" in names
    assert "qualitas.spark" not in names


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_module_imports_only_what_its_part_may(module, path):
    here = part_of(module)
    for name in imports(module, path):
        top = name.split(".")[0]
        if top in ONLY_IN:
            assert module.startswith(ONLY_IN[top]), f"{module} imports {name}"
        if top != "qualitas" or here not in ALLOWED:
            continue
        other = part_of(name)
        if other in ("", here, "errors") or not is_package(other):
            continue
        assert other in ALLOWED[here], (
            f"{module} imports {name}: {here} may not import {other}"
        )


def test_importing_qualitas_loads_no_heavy_dependency():
    # In a fresh interpreter: the package, the engine and the CLI load without
    # pulling in Spark or Django.
    code = (
        "import sys, qualitas, qualitas.spc, qualitas.engines, qualitas.engines.local, "
        "qualitas.engines.capabilities, qualitas.cli.main\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pyspark', 'py4j', 'django'})\n"
        "print(','.join(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC)},
    )
    assert done.stdout.strip() == ""
