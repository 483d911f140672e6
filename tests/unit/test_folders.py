"""Result folders that many workers write into are put in place all at once."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qualitas.engines import folders
from qualitas.engines.folders import STAGING_PREFIX, Staging
from qualitas.errors import QualitasError

SCHEMA = pa.schema([("org", pa.string()), ("value", pa.float64())])


def rows(*orgs: str) -> pa.Table:
    return pa.table({"org": list(orgs), "value": [1.0] * len(orgs)}, schema=SCHEMA)


def test_nothing_is_visible_until_the_commit(tmp_path):
    staging = Staging.start(str(tmp_path))
    staging.write_part("points", 3, 0, rows("A"))
    assert not (tmp_path / "points.parquet").exists()
    staging.commit({"points": SCHEMA}, parts=1)
    assert pq.read_table(tmp_path / "points.parquet")["org"].to_pylist() == ["A"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_retried_task_replaces_its_earlier_part(tmp_path):
    staging = Staging.start(str(tmp_path))
    staging.write_part("points", 0, 0, rows("A", "B"))
    staging.write_part("points", 0, 1, rows("A", "B"))
    staging.write_part("points", 1, 0, rows("C"))
    paths = staging.commit({"points": SCHEMA}, parts=2)
    assert sorted(pq.read_table(paths["points"])["org"].to_pylist()) == ["A", "B", "C"]


def test_the_commit_replaces_earlier_results_file_or_folder(tmp_path):
    pq.write_table(rows("old"), tmp_path / "points.parquet")  # the local engine's file
    (tmp_path / "icons.parquet").mkdir()
    pq.write_table(rows("old"), tmp_path / "icons.parquet" / "part-00009.parquet")
    staging = Staging.start(str(tmp_path))
    staging.write_part("points", 0, 0, rows("new"))
    staging.write_part("icons", 0, 0, rows("new"))
    staging.commit({"points": SCHEMA, "icons": SCHEMA}, parts=1)
    for name in ("points", "icons"):
        assert pq.read_table(tmp_path / f"{name}.parquet")["org"].to_pylist() == ["new"]


def test_an_abort_leaves_the_folder_as_it_was(tmp_path):
    pq.write_table(rows("old"), tmp_path / "points.parquet")
    staging = Staging.start(str(tmp_path))
    staging.write_part("points", 0, 0, rows("new"))
    staging.abort()
    assert [p.name for p in tmp_path.iterdir()] == ["points.parquet"]
    assert pq.read_table(tmp_path / "points.parquet")["org"].to_pylist() == ["old"]


def test_a_table_without_rows_keeps_its_columns(tmp_path):
    staging = Staging.start(str(tmp_path))
    staging.commit({"icons": SCHEMA}, parts=0)
    assert pq.read_table(tmp_path / "icons.parquet").schema.names == ["org", "value"]


def test_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(QualitasError, match="cannot write results to"):
        Staging.start(str(tmp_path / "taken"))


def test_parts_written_where_the_driver_cannot_see_them_are_an_error(tmp_path):
    # On a cluster, a folder path that is not shared is a different folder on each
    # worker: the driver finds fewer parts than the workers wrote, and says so.
    pq.write_table(rows("old"), tmp_path / "points.parquet")
    staging = Staging.start(str(tmp_path))
    staging.write_part("points", 0, 0, rows("A"))
    with pytest.raises(QualitasError, match="wrote 3 parts of each table, but only 1"):
        staging.commit({"points": SCHEMA}, parts=3)
    assert pq.read_table(tmp_path / "points.parquet")["org"].to_pylist() == ["old"]


def staged_files(folder, *tables: str) -> Staging:
    staging = Staging.start(str(folder))
    for name in tables:
        pq.write_table(rows("new"), staging.file(name))
    return staging


def test_whole_files_replace_the_old_results_together(tmp_path):
    for name in ("points", "summary", "icons"):
        pq.write_table(rows("old"), tmp_path / f"{name}.parquet")
    staging = staged_files(tmp_path, "points", "summary")
    assert pq.read_table(tmp_path / "points.parquet")["org"].to_pylist() == ["old"]
    staging.commit_files(["points", "summary"])
    for name in ("points", "summary"):
        assert pq.read_table(tmp_path / f"{name}.parquet")["org"].to_pylist() == ["new"]
    # A chart without icons: the old icons would not match the new points.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "points.parquet",
        "summary.parquet",
    ]


def test_a_commit_cut_short_is_finished_by_the_next_run(tmp_path):
    for name in ("points", "summary"):
        pq.write_table(rows("old"), tmp_path / f"{name}.parquet")
    staging = staged_files(tmp_path, "points", "summary")
    folder = tmp_path / staging.name
    # As if killed after marking the commit and moving the points only.
    (folder / folders.COMMIT).write_text(
        json.dumps({"replace": ["points", "summary"], "remove": ["icons"]})
    )
    os.replace(folder / "points.parquet", tmp_path / "points.parquet")
    folders._unlock(staging.name)  # the process is gone, and its lock with it
    Staging.start(str(tmp_path)).abort()
    for name in ("points", "summary"):
        assert pq.read_table(tmp_path / f"{name}.parquet")["org"].to_pylist() == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "points.parquet",
        "summary.parquet",
    ]


def test_a_dead_run_is_cleared_but_a_live_one_is_left_alone(tmp_path):
    dead = staged_files(tmp_path, "points")
    folders._unlock(dead.name)
    live = staged_files(tmp_path, "points")
    Staging.start(str(tmp_path)).abort()
    left = [p.name for p in tmp_path.iterdir()]
    assert left == [live.name]
    live.abort()
    assert list(tmp_path.iterdir()) == []


def test_a_task_still_running_after_an_abort_cannot_bring_the_staging_folder_back(
    tmp_path,
):
    # Spark cancels tasks asynchronously: one may write after the driver aborted.
    staging = Staging.start(str(tmp_path))
    staging.write_part("points", 0, 0, rows("A"))
    staging.abort()
    with pytest.raises(QualitasError, match="stopped"):
        staging.write_part("summary", 1, 0, rows("B"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(STAGING_PREFIX)]
