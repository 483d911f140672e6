"""The local engine's block-wise writing gives the in-memory result, in any input order."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualitas.engines import arrow, capabilities, get_engine
from qualitas.engines.kernels import CHART, FUNNEL, TEXT
from qualitas.engines.local import LocalEngine, blocks, renumber
from qualitas.errors import QualitasError
from qualitas.spc import ChartRequest, Rules
from qualitas.spc.chart import CHART_TYPES
from qualitas.spc.funnel import funnel_request
from tests.parity.oracle import oracle_dir


def monthly(n_series: int, seed: int, shuffle: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 30, n_series)
    frame = pd.DataFrame(
        {
            "trust": np.repeat([f"T{i % 7}" for i in range(n_series)], lengths),
            "ward": np.repeat([f"W{i:03d}" for i in range(n_series)], lengths),
            "month": np.concatenate(
                [pd.date_range("2022-04-01", periods=n, freq="MS") for n in lengths]
            ),
            "beds": rng.normal(50, 5, lengths.sum()).round(1),
        }
    )
    return (
        frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        if shuffle
        else frame
    )


@given(
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=25),
    block_rows=st.integers(1, 20),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None)
def test_blocks_hold_whole_series_and_every_row_once(sizes, block_rows, shuffle, seed):
    keys = np.repeat([f"s{i}" for i in range(len(sizes))], sizes)
    rows = np.arange(len(keys))
    if shuffle:
        order = np.random.default_rng(seed).permutation(len(keys))
        keys, rows = keys[order], rows[order]
    table = pa.table({"k": keys, "row": rows})
    seen_rows: list[int] = []
    seen_keys: set[str] = set()
    for block, origin in blocks(table, ["k"], block_rows):
        block_keys = set(block["k"].to_pylist())
        assert not block_keys & seen_keys, "a series was split between blocks"
        seen_keys |= block_keys
        seen_rows += block["row"].to_pylist()
        # `origin` says which input rows the block holds.
        where = (
            np.arange(block.num_rows) + origin if isinstance(origin, int) else origin
        )
        assert table["row"].to_numpy()[where].tolist() == block["row"].to_pylist()
    assert sorted(seen_rows) == list(range(len(keys)))


def test_sorted_input_is_cut_into_blocks_of_about_the_requested_size():
    table = pa.Table.from_pandas(monthly(200, seed=1, shuffle=False))
    sizes = [b.num_rows for b, _ in blocks(table, ["trust", "ward"], 500)]
    assert sum(sizes) == table.num_rows
    assert len(sizes) >= table.num_rows // 500
    assert max(sizes) < 500 + 30  # at most one series past the target


def plain(column: pd.Series) -> list:
    return [None if pd.isna(v) else str(v) for v in column.astype(object)]


@pytest.mark.parametrize("shuffle", [False, True], ids=["sorted", "shuffled"])
def test_writing_in_blocks_gives_the_in_memory_result(tmp_path, shuffle):
    data = monthly(150, seed=2, shuffle=shuffle)
    request = ChartRequest.build(
        chart="xmr",
        value="beds",
        period="month",
        by=("trust", "ward"),
        target={("T1", "W001"): 45.0, ("T3", "W010"): 60.0},
        direction={("T2", "W002"): "decrease"},
        part={("T1", "W008"): ["2023-01-01"]},
    )
    expected = LocalEngine().run(data, request)
    for threads in (1, 2):
        written = LocalEngine(block_rows=97, threads=threads).write(
            data, request, str(tmp_path), progress=None
        )
        assert (written.points, written.summary, written.icons) == (
            len(expected.points),
            len(expected.summary),
            len(expected.icons),
        )
        for name in ("points", "summary", "icons"):
            got = pd.read_parquet(written.paths[name])
            order = ["trust", "ward", "period" if "period" in got else "phase"]
            got = got.sort_values(order, ignore_index=True)
            want = getattr(expected, name)
            assert got.columns.tolist() == want.columns.tolist()
            for column in got.columns:
                # Parquet readers give whole numbers with gaps (runs analysis of a
                # phase with no useful points) as floats; the values are the same.
                same_type = got[column].astype(want[column].dtype)
                assert plain(same_type) == plain(want[column]), column


def test_a_setting_for_a_missing_series_fails_and_leaves_no_files(tmp_path):
    data = monthly(20, seed=3)
    request = ChartRequest.build(
        chart="xmr",
        value="beds",
        period="month",
        by=("trust", "ward"),
        target={("T0", "nowhere"): 1.0},
    )
    with pytest.raises(
        QualitasError,
        match=r"target names 1 series not in the data: \('T0', 'nowhere'\)",
    ):
        LocalEngine(block_rows=50).write(data, request, str(tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("shuffle", [False, True], ids=["sorted", "shuffled"])
def test_errors_from_a_block_name_rows_of_the_whole_input(tmp_path, shuffle):
    data = monthly(60, seed=4, shuffle=shuffle).astype({"beds": object})
    bad = [len(data) - 3, len(data) - 1]
    data.loc[bad, "beds"] = "closed"
    request = ChartRequest.build(
        chart="xmr", value="beds", period="month", by=("trust", "ward")
    )
    with pytest.raises(
        QualitasError, match=r"column 'beds' must hold numbers"
    ) as caught:
        LocalEngine(block_rows=40).write(data, request, str(tmp_path))
    listed = re.search(r"rows? ([\d, ]+) holds?", str(caught.value)).group(1)
    rows = [int(r) - 2 for r in listed.split(", ")]
    assert set(rows) <= set(bad)


def test_renumber_maps_rows_through_the_block_origin():
    assert (
        renumber("column 'x' has missing values in rows 2, 5", 10)
        == "column 'x' has missing values in rows 12, 15"
    )
    assert (
        renumber("bad value in row 3 and 4 more", np.array([40, 7, 9]))
        == "bad value in row 9 and 4 more"
    )
    assert renumber("period '2' appears twice", 99) == "period '2' appears twice"


def assert_declared(result, request, kernel) -> None:
    declared = kernel.outputs(request)
    assert sorted(declared) == sorted(
        t for t in ("points", "summary", "icons") if getattr(result, t) is not None
    )
    for name, columns in declared.items():
        frame = getattr(result, name)
        assert frame.columns.tolist() == [*request.by, *columns], name
        for column, dtype in columns.items():
            if isinstance(dtype, pd.CategoricalDtype) or dtype in (
                "Int64",
                "int64",
                "float64",
                "bool",
            ):
                assert frame[column].dtype == dtype, (name, column)


def test_the_declared_xmr_columns_are_what_the_kernel_returns():
    folder = oracle_dir() / "mdc"
    for case in json.loads((folder / "cases.json").read_text())["cases"]:
        s = case["settings"]
        data = pd.read_csv(folder / case["files"]["input"])
        by = (s["facet_field"],) if s["facet_field"] else ()
        request = ChartRequest.build(
            chart="xmr", value=s["value_field"], period=s["date_field"], by=by
        )
        assert_declared(LocalEngine().run(data, request), request, CHART)


@pytest.mark.parametrize("chart", sorted(CHART_TYPES))
@pytest.mark.parametrize("rules", [None, Rules()], ids=["anhoej", "mdc"])
def test_the_declared_chart_columns_are_what_the_kernel_returns(chart, rules):
    rng = np.random.default_rng(5)
    data = pd.DataFrame(
        {
            "unit": np.repeat(["A", "B"], 60),
            "month": np.tile(
                np.repeat(pd.date_range("2023-01-01", periods=20, freq="MS"), 3), 2
            ),
            "count": rng.poisson(8, 120).astype(float) + 1,
            "patients": rng.integers(20, 40, 120).astype(float),
            "stage": np.tile(np.repeat(["before", "after"], 30), 2),
        }
    )
    if chart == "xmr":  # individual values: one row per period
        data = data.drop_duplicates(["unit", "month"], ignore_index=True)
    needs_denominator = chart in ("p", "pp", "u", "up")
    request = ChartRequest(
        chart=chart,
        value="count",
        period="month",
        by=("unit",),
        denominator="patients" if needs_denominator else None,
        part="stage",
        rules=rules,
    )
    assert_declared(LocalEngine().run(data, request), request, CHART)


def test_an_unknown_engine_is_named():
    with pytest.raises(
        QualitasError, match="unknown engine 'dask'; choose one of local, spark"
    ):
        get_engine("dask")
    with pytest.raises(QualitasError, match="unknown engine feature"):
        capabilities.gap("local", "teleportation")


def test_the_capability_page_shows_the_capability_table():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "engines.md").read_text()
    assert capabilities.markdown_table() in page


def test_changing_a_result_never_changes_the_callers_data():
    # The points table is built without copying its columns; the ones that could
    # share memory with the input (sorted input needs no reordering) are copied.
    data = pd.DataFrame({"week": range(20), "count": np.arange(20.0)})
    points = (
        LocalEngine()
        .run(data, ChartRequest.build(chart="xmr", value="count", period="week"))
        .points
    )
    points["value"] *= 2
    points.loc[0, "period"] = 99
    assert data["count"].tolist() == list(np.arange(20.0))
    assert data["week"].tolist() == list(range(20))


def funnel_rows(seed: int, n_funnels: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 40, n_funnels)
    cases = rng.integers(20, 400, sizes.sum()).astype(float)
    return pd.DataFrame(
        {
            "measure": np.repeat([f"M{i:02d}" for i in range(n_funnels)], sizes),
            "site": np.concatenate([[f"S{j:02d}" for j in range(n)] for n in sizes]),
            "events": rng.binomial(cases.astype(int), 0.2).astype(float),
            "cases": cases,
        }
    ).sample(frac=1.0, random_state=seed, ignore_index=True)


@pytest.mark.parametrize("by", [(), ("measure",)], ids=["one", "many"])
@pytest.mark.parametrize("data_type", ["SR", "PR"])
def test_the_declared_funnel_columns_are_what_the_kernel_returns(by, data_type):
    data = funnel_rows(seed=1, n_funnels=4 if by else 1)
    request = funnel_request(
        numerator="events",
        denominator="cases",
        group="site",
        by=by,
        data_type=data_type,
    )
    result = LocalEngine().run(data, request)
    assert_declared(result, request, FUNNEL)
    for column, dtype in FUNNEL.outputs(request)["summary"].items():
        if dtype == TEXT:
            assert result.summary[column].map(type).eq(str).all(), column
    schemas = arrow.output_schemas(FUNNEL, request, pa.table(data).schema)
    assert schemas["points"].field("site").type == pa.string()
    assert schemas["summary"].field("reason").type == pa.string()


def test_writing_funnels_in_blocks_gives_the_in_memory_result(tmp_path):
    data = funnel_rows(seed=3, n_funnels=40)
    request = funnel_request(
        numerator="events",
        denominator="cases",
        group="site",
        by=("measure",),
        data_type="PR",
    )
    expected = LocalEngine().run(data, request)
    written = LocalEngine(block_rows=100).write(data, request, str(tmp_path))
    assert (written.series, written.points, written.summary, written.icons) == (
        40,
        len(expected.points),
        40,
        0,
    )
    for name in ("points", "summary"):
        got = pd.read_parquet(written.paths[name])
        order = ["measure", "site"] if name == "points" else ["measure"]
        got = got.sort_values(order, ignore_index=True)
        want = getattr(expected, name)
        assert got.columns.tolist() == want.columns.tolist()
        for column in got.columns:
            assert plain(got[column]) == plain(want[column]), column


def test_an_error_in_a_block_of_funnels_names_the_funnel_and_the_input_row(tmp_path):
    data = funnel_rows(seed=3, n_funnels=40)
    row = int(np.flatnonzero((data["measure"] == "M31").to_numpy())[0])
    data.loc[row, "cases"] = 0.0
    request = funnel_request(
        numerator="events", denominator="cases", group="site", by=("measure",)
    )
    site = data.loc[row, "site"]
    with pytest.raises(QualitasError) as raised:
        LocalEngine(block_rows=100).write(data, request, str(tmp_path))
    assert (
        f"for the funnel measure='M31': unit '{site}' has a 'cases' of zero "
        f"(row {row + 2})" in str(raised.value)
    )
