"""Which modules of qualitas have docstring examples, found by reading the source.

Both doctest tests (the engine's here, the web's under tests/web, which needs Django set
up first) take their lists from this, so a module that gains an example is tested without
anyone remembering to add it to a list.
"""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def modules_with_examples(package: str) -> list[str]:
    """Dotted names of the modules under ``package`` whose source has a ``>>>`` line
    that runs (examples marked ``doctest: +SKIP`` need a cluster, not a test)."""
    root = SRC / package.replace(".", "/")
    names = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = path.read_text().splitlines()
        if any(s.lstrip().startswith(">>> ") and "+SKIP" not in s for s in lines):
            module = path.relative_to(SRC).with_suffix("").parts
            if module[-1] == "__init__":
                module = module[:-1]
            names.append(".".join(module))
    return names
