"""`qualitas batch` interrupted at any moment leaves results that can be read: the
previous complete results exactly as they were, or the new ones complete.

A real `qualitas batch` runs in a subprocess on a generated extract big enough to take
a few seconds, and is stopped with Ctrl+C (SIGINT) or `kill -9` (SIGKILL) at several
moments: fractions of how long an uninterrupted run takes on this machine (so they
fall in starting, reading and computing however slow or fast the machine is), and the
moment the run begins writing its tables.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qualitas.engines.folders import STAGING_PREFIX

SRC = Path(__file__).resolve().parents[2] / "src"
TABLES = ("points", "summary", "icons")
SERIES = 25_000
MONTHS = 48


def extract(path: Path, shift: float) -> Path:
    """SERIES series of MONTHS months; ``shift`` tells old results from new."""
    rng = np.random.default_rng(7)
    n = SERIES * MONTHS
    table = pa.table(
        {
            "org": np.repeat(np.char.add("T", np.arange(SERIES).astype(str)), MONTHS),
            "month": np.tile(np.arange(MONTHS, dtype=np.int64), SERIES),
            "rate": rng.normal(50.0, 5.0, n) + shift,
        }
    )
    pq.write_table(table, path)
    return path


def command(source: Path, output: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "qualitas",
        "batch",
        "--input",
        str(source),
        "--output",
        str(output),
        "--value",
        "rate",
        "--period",
        "month",
        "--by",
        "org",
        "--block-rows",
        "200000",
    ]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "120"}


def results(folder: Path) -> dict[str, pa.Table]:
    return {t: pq.read_table(folder / f"{t}.parquet") for t in TABLES}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The old results, the new input and its complete results, and how long an
    uninterrupted run takes here."""
    base = tmp_path_factory.mktemp("interrupted")
    old_input = extract(base / "old.parquet", shift=1000.0)
    new_input = extract(base / "new.parquet", shift=0.0)
    old = base / "old_results"
    subprocess.run(
        command(old_input, old), env=environment(), check=True, capture_output=True
    )
    new = base / "new_results"
    started = time.perf_counter()
    subprocess.run(
        command(new_input, new), env=environment(), check=True, capture_output=True
    )
    seconds = time.perf_counter() - started
    return {
        "base": base,
        "old": old,
        "new_input": new_input,
        "old_tables": results(old),
        "new_tables": results(new),
        "seconds": seconds,
    }


def interrupt(
    runs, name: str, sig: signal.Signals, fraction: float
) -> tuple[Path, int]:
    folder = runs["base"] / name
    shutil.copytree(runs["old"], folder)
    process = subprocess.Popen(
        command(runs["new_input"], folder),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if fraction == WRITING:
        # As soon as the run begins writing its tables, wherever it writes them.
        untouched = (folder / "points.parquet").stat().st_mtime_ns
        while process.poll() is None and not (
            list(folder.glob(f"{STAGING_PREFIX}*/points.parquet"))
            or not (folder / "points.parquet").exists()
            or (folder / "points.parquet").stat().st_mtime_ns != untouched
        ):
            time.sleep(0.005)
    else:
        time.sleep(runs["seconds"] * fraction)
    process.send_signal(sig)
    return folder, process.wait(timeout=120)


def assert_old_or_new(runs, folder: Path) -> str:
    found = results(folder)  # every table readable
    if all(found[t].equals(runs["old_tables"][t]) for t in TABLES):
        for t in TABLES:  # exactly as they were, to the byte
            assert (folder / f"{t}.parquet").read_bytes() == (
                runs["old"] / f"{t}.parquet"
            ).read_bytes()
        return "old"
    for t in TABLES:
        assert found[t].equals(runs["new_tables"][t]), f"{t} is neither old nor new"
    return "new"


WRITING = -1.0  # the moment the run starts writing results
MOMENTS = (0.3, 0.7, WRITING)


@pytest.mark.slow
@pytest.mark.parametrize("fraction", MOMENTS)
def test_ctrl_c_leaves_old_results_or_complete_new_ones(runs, fraction):
    folder, status = interrupt(runs, f"sigint_{fraction}", signal.SIGINT, fraction)
    outcome = assert_old_or_new(runs, folder)
    print(f"Ctrl+C at {moment(fraction)}: {outcome} results, exit {status}")
    assert (outcome == "new") == (status == 0)
    # Ctrl+C clears up after itself.
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{t}.parquet" for t in sorted(TABLES)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("fraction", MOMENTS)
def test_kill_9_leaves_old_results_or_complete_new_ones(runs, fraction):
    folder, status = interrupt(runs, f"sigkill_{fraction}", signal.SIGKILL, fraction)
    outcome = assert_old_or_new(runs, folder)
    print(f"kill -9 at {moment(fraction)}: {outcome} results, exit {status}")
    assert status in (0, -signal.SIGKILL)
    if fraction != WRITING:
        return
    # A run killed outright cannot clear its staging folder; the next run does.
    done = subprocess.run(
        command(runs["new_input"], folder), env=environment(), capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert assert_old_or_new(runs, folder) == "new"
    assert not [p for p in folder.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_an_input_error_leaves_the_old_results_as_they_were(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("org,month,rate\n" + "".join(f"A,{m},{m % 3}\n" for m in range(20)))
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text().replace("A,7,1", "A,7,inf"))
    folder = tmp_path / "results"
    done = subprocess.run(command(good, folder), env=environment(), capture_output=True)
    assert done.returncode == 0, done.stderr
    before = {t: (folder / f"{t}.parquet").read_bytes() for t in TABLES}
    failed = subprocess.run(
        command(bad, folder), env=environment(), capture_output=True
    )
    assert failed.returncode == 1
    assert b"infinite values in row 9" in failed.stderr
    assert {t: (folder / f"{t}.parquet").read_bytes() for t in TABLES} == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{t}.parquet" for t in TABLES
    )


def test_a_failed_run_into_a_new_folder_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("org,month,rate\nA,1,1\nA,2,inf\n")
    failed = subprocess.run(
        command(bad, tmp_path / "new"), env=environment(), capture_output=True
    )
    assert failed.returncode == 1
    assert not (tmp_path / "new").exists()


def moment(fraction: float) -> str:
    return "the start of writing" if fraction == WRITING else f"{fraction:.0%} of a run"
