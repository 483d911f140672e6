"""Branch coverage per package, and the floors `make check` holds them to.

Run after a test run that recorded coverage (``pytest --cov``): prints one line per
package (statements and branches together, as coverage.py counts them) and exits
non-zero when a package is below its floor. The engine's own packages must stay at 90%
or more, because their numbers reach boards; every other package at 80%.

    python -m tests.coverage_floors
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ENGINE = ("qualitas.spc", "qualitas.engines", "qualitas.charts", "qualitas.io")
ENGINE_FLOOR = 90.0
FLOOR = 80.0
# Packages much of whose code runs in processes the tests start rather than in the
# test process, where coverage is not yet recorded: the `python -m qualitas` and
# `python -m qualitas.web` entry points, gunicorn's workers, and Spark's Python
# workers. Their figures are printed but not held to a floor until coverage follows
# those processes too; every other package fails the check when below its floor.
NOT_YET_MEASURED = {
    "qualitas",
    "qualitas.engines",
    "qualitas.web",
    "qualitas.web.server",
}


def package_of(path: str) -> str:
    """``src/qualitas/web/measures/views.py`` -> ``qualitas.web.measures``: web apps
    are packages of their own; elsewhere the first level under qualitas is."""
    parts = Path(path).parts
    parts = parts[parts.index("qualitas") :]
    if len(parts) == 2:  # errors.py, __main__.py: the package's own modules
        return "qualitas"
    depth = 3 if parts[1:2] == ("web",) and len(parts) > 3 else 2
    return ".".join(parts[:depth]).removesuffix(".py")


def totals(report: dict) -> dict[str, list[int]]:
    """Covered and total lines-plus-branches per package, from coverage's JSON report."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path, data in report["files"].items():
        s = data["summary"]
        covered = s["covered_lines"] + s.get("covered_branches", 0)
        total = s["num_statements"] + s.get("num_branches", 0)
        sums[package_of(path)][0] += covered
        sums[package_of(path)][1] += total
    return sums


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "coverage.json"
        subprocess.run(
            [sys.executable, "-m", "coverage", "json", "-q", "-o", str(out)], check=True
        )
        report = json.loads(out.read_text())
    failures = []
    print(f"{'package':32} {'coverage':>9} {'floor':>6}")
    for package, (covered, total) in sorted(totals(report).items()):
        percent = 100.0 * covered / total if total else 100.0
        floor = ENGINE_FLOOR if package in ENGINE else FLOOR
        below = percent < floor
        if below and package in NOT_YET_MEASURED:
            mark = "  (below, but its subprocesses are not measured yet)"
        else:
            mark = "  <- below its floor" if below else ""
        print(f"{package:32} {percent:8.1f}% {floor:5.0f}%{mark}")
        if below and package not in NOT_YET_MEASURED:
            failures.append(package)
    if failures:
        print(f"Coverage below the floor in: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
