"""pyproject.toml says which versions qualitas works with; requirements.lock says
which ones the tests ran with. Every dependency of every extra must be pinned in the
lock, at a version its range allows (run `make lock` after changing pyproject.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
ENGINE_STACK = {"numpy", "pandas", "pyarrow", "scipy"}


def _requirements() -> list[tuple[str, Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [("core", Requirement(r)) for r in project["dependencies"]]
    for extra, reqs in project["optional-dependencies"].items():
        found += [(extra, Requirement(r)) for r in reqs]
    return found


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pins[canonicalize_name(Requirement(name).name)] = version
    return pins


def test_every_dependency_is_pinned_in_the_lock_within_its_range():
    pins = _pins()
    problems = []
    for extra, req in _requirements():
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            problems.append(f"{req} ({extra}) is not in requirements.lock")
        elif not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"{req} ({extra}): the lock has {pinned}")
    assert not problems, "run `make lock`: " + "; ".join(problems)


def test_dependencies_take_ranges_and_the_engine_stack_only_patch_releases():
    for extra, req in _requirements():
        specs = {s.operator for s in req.specifier}
        assert "==" not in specs, f"{req} ({extra}): give a range; the lock pins"
        assert {">=", "<"} <= specs, f"{req} ({extra}): needs a floor and a ceiling"
        if canonicalize_name(req.name) in ENGINE_STACK:
            floor = next(s.version for s in req.specifier if s.operator == ">=")
            ceiling = next(s.version for s in req.specifier if s.operator == "<")
            # Same major and minor: a minor release is an upgrade made on purpose.
            assert ceiling.split(".")[:2] != floor.split(".")[:2], req
            assert int(ceiling.split(".")[1]) == int(floor.split(".")[1]) + 1, req


def test_postgresql_input_for_batch_needs_no_web_extra():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(Requirement(r).name == "psycopg" for r in extras["postgres"])
    assert not any(Requirement(r).name.lower() == "django" for r in extras["postgres"])
