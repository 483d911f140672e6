"""The Spark engine gives exactly the local engine's results, whatever the grouping.

Spark runs the same kernels on groups of whole series, so every number must be equal
to the last bit, not merely close; these tests compare whole tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qualitas.engines.local import LocalEngine
from qualitas.errors import QualitasError
from qualitas.spc import ChartRequest, Rules
from qualitas.spc.chart import CHART_TYPES

pytestmark = pytest.mark.spark


@pytest.fixture
def spark_engine(spark_session):
    from qualitas.engines.spark import SparkEngine

    return SparkEngine(spark_session, partitions=5)


def many_series(seed: int, n_series: int = 120) -> pd.DataFrame:
    """Monthly series of different lengths, levels and shifts, some values missing."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 40, n_series)
    org = np.repeat([f"R{i:03d}" for i in range(n_series)], lengths)
    month = np.concatenate(
        [pd.date_range("2021-01-01", periods=n, freq="MS") for n in lengths]
    )
    level = np.repeat(rng.uniform(10, 1000, n_series), lengths)
    value = rng.normal(level, level * 0.1)
    step = np.concatenate([np.arange(n) >= n // 2 for n in lengths])
    value = np.where(
        step & np.repeat(rng.random(n_series) < 0.3, lengths), value * 1.4, value
    )
    value[rng.random(len(value)) < 0.03] = np.nan
    frame = pd.DataFrame({"org": org, "month": month, "value": value.round(2)})
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def assert_same(ours, theirs):
    for name in ("points", "summary", "icons"):
        pd.testing.assert_frame_equal(
            getattr(ours, name), getattr(theirs, name), check_exact=True
        )


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"direction": "decrease", "fix_after": 12, "screen_outliers": False},
        {"rules": Rules(shift=6, trend=6, two_of_three_beyond_limits=True)},
    ],
    ids=["defaults", "decrease-fixed-unscreened", "rules"],
)
def test_spark_equals_local_exactly(spark_engine, settings):
    data = many_series(seed=7)
    orgs = sorted(data["org"].unique())
    request = ChartRequest.build(
        chart="xmr",
        value="value",
        period="month",
        by=("org",),
        target=dict.fromkeys(orgs[::3], 500.0),
        part={org: ["2022-01-01"] for org in orgs[::4]},
        **settings,
    )
    assert_same(
        spark_engine.compute(data, request), LocalEngine().compute(data, request)
    )


def test_results_do_not_depend_on_the_number_of_partitions(spark_session):
    from qualitas.engines.spark import SparkEngine

    data = many_series(seed=11, n_series=40)
    request = ChartRequest.build(
        chart="xmr", value="value", period="month", by=("org",)
    )
    one = SparkEngine(spark_session, partitions=1).compute(data, request)
    many = SparkEngine(spark_session, partitions=16).compute(data, request)
    assert_same(one, many)


def test_run_returns_spark_tables_that_collect_to_the_same_result(
    spark_engine, spark_session
):
    data = many_series(seed=3, n_series=30)
    spark_session.createDataFrame(data).createOrReplaceTempView("measures")
    request = ChartRequest.build(
        chart="xmr",
        value="value",
        period="month",
        by=("org",),
        direction={"R001": "neutral"},
    )
    tables = spark_engine.run("measures", request)
    try:
        assert tables.points.count() == len(data)
        assert tables.icons.columns[:2] == ["org", "period"]
        assert tables.icons.where("direction = 'neutral'").count() == 1
        assert_same(
            spark_engine.to_pandas(tables), LocalEngine().compute(data, request)
        )
    finally:
        tables.release()


def test_dates_and_time_zones_come_back_as_they_went_in(spark_engine, spark_session):
    data = many_series(seed=5, n_series=10)
    spark_session.conf.set("spark.sql.session.timeZone", "Europe/London")
    try:
        frame = spark_session.createDataFrame(data)  # timestamps, read in London time
        dated = frame.withColumn("month", frame["month"].cast("date"))
        request = ChartRequest.build(
            chart="xmr", value="value", period="month", by=("org",)
        )
        expected = LocalEngine().compute(data, request)
        for source in (frame, dated):
            tables = spark_engine.run(source, request)
            try:
                points = spark_engine.to_pandas(tables).points
            finally:
                tables.release()
            assert points["period"].tolist() == expected.points["period"].tolist()
            assert points["cl"].tolist() == expected.points["cl"].tolist()
        assert dict(spark_engine.run(dated, request).points.dtypes)["period"] == "date"
    finally:
        spark_session.conf.set("spark.sql.session.timeZone", "UTC")


def test_series_keys_of_several_types(spark_engine):
    data = many_series(seed=9, n_series=20)
    data["trust"] = data["org"].str[1:].astype(int) % 4
    data["site"] = data["org"]
    request = ChartRequest.build(
        chart="xmr",
        value="value",
        period="month",
        by=("trust", "site"),
        target={(1, "R001"): 1.0},
    )
    assert_same(
        spark_engine.compute(data, request), LocalEngine().compute(data, request)
    )


def test_an_error_in_a_worker_names_the_problem_and_the_partition(spark_engine):
    data = many_series(seed=1, n_series=20)
    data = pd.concat([data, data.iloc[[0]]], ignore_index=True)
    request = ChartRequest.build(
        chart="xmr", value="value", period="month", by=("org",)
    )
    with pytest.raises(
        QualitasError,
        match=r"appears more than once within a series .*in the Spark partition whose first series is org=R\d+",
    ):
        spark_engine.compute(data, request)


def test_warnings_come_back_from_the_workers(spark_engine):
    data = many_series(seed=2, n_series=30)
    data = data[data["month"] != pd.Timestamp("2021-03-01")]  # a missing month
    result = spark_engine.compute(
        data,
        ChartRequest.build(chart="xmr", value="value", period="month", by=("org",)),
    )
    assert any("at least one month is missing" in w for w in result.warnings)
    assert any("trial limits" in w for w in result.warnings)


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_write_gives_the_same_files_as_the_local_engine(
    spark_session, tmp_path, writer
):
    from qualitas.engines.spark import SparkEngine

    data = many_series(seed=4, n_series=25)
    request = ChartRequest.build(
        chart="xmr", value="value", period="month", by=("org",)
    )
    done = {}
    spark_engine = SparkEngine(spark_session, partitions=5, writer=writer)
    for engine in (LocalEngine(block_rows=100), spark_engine):
        steps: list[tuple[int, int]] = []
        written = engine.write(
            pa.Table.from_pandas(data),
            request,
            str(tmp_path / engine.name),
            progress=lambda d, t, steps=steps: steps.append((d, t)),
        )
        assert steps[-1][0] == steps[-1][1]
        assert all(d <= t for d, t in steps)
        done[engine.name] = written
    assert done["local"].points == done["spark"].points == len(data)
    assert done["local"].icons == done["spark"].icons == 25
    assert done["local"].series == done["spark"].series == 25
    for name in ("points", "summary", "icons"):
        local = pd.read_parquet(tmp_path / "local" / f"{name}.parquet")
        spark = pd.read_parquet(tmp_path / "spark" / f"{name}.parquet")
        # Spark's timestamps are instants (here in UTC), the input's were naive.
        for column in spark.select_dtypes("datetimetz"):
            spark[column] = spark[column].dt.tz_convert(None).astype("datetime64[ns]")
        order = ["org", "period"] if "period" in local else ["org", "phase"]
        local = local.sort_values(order, ignore_index=True)
        spark = spark.sort_values(order, ignore_index=True)
        pd.testing.assert_frame_equal(spark, local, check_exact=True)


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_a_failed_write_leaves_the_folder_as_it_was(spark_session, tmp_path, writer):
    from qualitas.engines.spark import SparkEngine

    spark_engine = SparkEngine(spark_session, partitions=3, writer=writer)
    request = ChartRequest.build(
        chart="xmr", value="value", period="month", by=("org",)
    )
    good = many_series(seed=5, n_series=10)
    first = spark_engine.write(good, request, str(tmp_path))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    bad = good.assign(value=good["value"].astype(object))
    bad.loc[7, "value"] = "n/a"
    with pytest.raises(QualitasError, match="value"):
        spark_engine.write(bad.astype({"value": str}), request, str(tmp_path))
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert len(pd.read_parquet(tmp_path / "points.parquet")) == first.points


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_a_run_stopped_between_tables_leaves_the_old_results(
    spark_session, tmp_path, writer
):
    """Ctrl+C arriving after the first table is written (here raised from the
    progress callback, where a progress bar would see it) must not leave a folder
    that mixes new points with old summaries."""
    from qualitas.engines.spark import SparkEngine

    spark_engine = SparkEngine(spark_session, partitions=3, writer=writer)
    request = ChartRequest.build(
        chart="xmr", value="value", period="month", by=("org",)
    )
    first = spark_engine.write(many_series(seed=5, n_series=10), request, str(tmp_path))
    before = {
        name: pd.read_parquet(tmp_path / f"{name}.parquet")
        for name in ("points", "summary", "icons")
    }

    def interrupt(done: int, total: int) -> None:
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        spark_engine.write(
            many_series(seed=6, n_series=4), request, str(tmp_path), progress=interrupt
        )
    for name, table in before.items():
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / f"{name}.parquet"), table
        )
    assert len(before["points"]) == first.points
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("_")] == []


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_writing_again_replaces_the_results(spark_session, tmp_path, writer):
    from qualitas.engines.spark import SparkEngine

    spark_engine = SparkEngine(spark_session, partitions=3, writer=writer)
    request = ChartRequest.build(
        chart="xmr", value="value", period="month", by=("org",)
    )
    spark_engine.write(many_series(seed=7, n_series=30), request, str(tmp_path))
    small = many_series(seed=8, n_series=3)
    written = spark_engine.write(small, request, str(tmp_path))
    assert len(pd.read_parquet(written.paths["points"])) == len(small)
    assert pd.read_parquet(tmp_path / "icons.parquet")["org"].nunique() == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("_")] == []


def test_a_table_with_no_rows_is_written_with_its_columns(spark_session, tmp_path):
    from qualitas.engines.spark import SparkEngine

    data = pa.Table.from_pandas(many_series(seed=9, n_series=4).iloc[:0])
    request = ChartRequest.build(
        chart="xmr", value="value", period="month", by=("org",)
    )
    written = SparkEngine(spark_session, partitions=2).write(
        data, request, str(tmp_path)
    )
    assert (written.series, written.points) == (0, 0)
    points = pd.read_parquet(tmp_path / "points.parquet")
    assert points.empty
    assert {"org", "period", "cl", "ucl", "point_type"} <= set(points.columns)


def test_the_writer_is_chosen_by_where_the_results_go(spark_session):
    from qualitas.engines import folders
    from qualitas.engines.spark import SparkEngine

    assert folders.is_local("/Volumes/nhs/results")
    assert folders.is_local("file:///tmp/results")
    assert not folders.is_local("abfss://out@nhs.dfs.core.windows.net/results")
    with pytest.raises(QualitasError, match="writer must be one of"):
        SparkEngine(spark_session, writer="pandas")


def test_without_caching_the_results_are_the_same(spark_session):
    from qualitas.engines.spark import SparkEngine

    data = many_series(seed=6, n_series=15)
    request = ChartRequest.build(
        chart="xmr", value="value", period="month", by=("org",)
    )
    tables = SparkEngine(spark_session, partitions=3, cache=False).run(data, request)
    assert tables.cached is None
    assert_same(
        SparkEngine(spark_session).to_pandas(tables),
        LocalEngine().compute(data, request),
    )


@pytest.mark.parametrize("chart", sorted(CHART_TYPES))
def test_spark_equals_local_exactly_for_every_chart_type(spark_engine, chart):
    rng = np.random.default_rng(12)
    n_units, months, per_month = 9, 18, 3
    rows = n_units * months * per_month
    data = pd.DataFrame(
        {
            "unit": np.repeat([f"U{i}" for i in range(n_units)], months * per_month),
            "month": np.tile(
                np.repeat(
                    pd.date_range("2023-01-01", periods=months, freq="MS"), per_month
                ),
                n_units,
            ),
            "count": rng.poisson(6, rows).astype(float) + 1,
            "patients": rng.integers(20, 60, rows).astype(float),
        }
    )
    if chart == "xmr":  # individual values: one row per period
        data = data.drop_duplicates(["unit", "month"], ignore_index=True)
    request = ChartRequest(
        chart=chart,
        value="count",
        period="month",
        by=("unit",),
        denominator="patients" if chart in ("p", "pp", "u", "up") else None,
        # Every other chart type with Making Data Count rules and icons.
        rules=Rules() if sorted(CHART_TYPES).index(chart) % 2 else None,
        part={"U1": ["2023-09-01"], "U4": ["2023-06-01"]},
        exclude={"U2": ["2023-04-01"]},
        target={"U3": 5.0},
        direction={"U5": "decrease"},
    )
    ours = spark_engine.compute(data, request)
    theirs = LocalEngine().compute(data, request)
    assert (ours.icons is None) == (theirs.icons is None) == (request.rules is None)
    for name in ("points", "summary", "icons"):
        if getattr(theirs, name) is not None:
            pd.testing.assert_frame_equal(
                getattr(ours, name), getattr(theirs, name), check_exact=True
            )


def many_funnels(seed: int, n_funnels: int = 30) -> pd.DataFrame:
    """Indicator x quarter funnels of 20 to 80 trusts each, one row per trust."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(20, 80, n_funnels)
    expected = rng.uniform(5, 400, sizes.sum()).round(2)
    frame = pd.DataFrame(
        {
            "indicator": np.repeat([f"I{i % 7}" for i in range(n_funnels)], sizes),
            "quarter": np.repeat([2020 + i // 7 for i in range(n_funnels)], sizes),
            "trust": np.concatenate([rng.choice(200, n, replace=False) for n in sizes]),
            "deaths": rng.poisson(expected * rng.gamma(10, 0.1, len(expected))),
            "expected": expected,
        }
    )
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def test_funnels_on_spark_equal_local_exactly(spark_engine, tmp_path):
    from qualitas.spc.funnel import funnel_request

    data = many_funnels(seed=7)
    request = funnel_request(
        numerator="deaths",
        denominator="expected",
        group="trust",
        by=("indicator", "quarter"),
    )
    local = LocalEngine().run(data, request)
    tables = spark_engine.run(data, request)
    try:
        assert tables.icons is None
        collected = spark_engine.to_pandas(tables)
        for name in ("points", "summary"):
            pd.testing.assert_frame_equal(
                getattr(collected, name), getattr(local, name), check_exact=True
            )
    finally:
        tables.release()
    written = spark_engine.write(pa.Table.from_pandas(data), request, str(tmp_path))
    assert (written.series, written.points, written.summary, written.icons) == (
        30,
        len(data),
        30,
        0,
    )
    assert sorted(written.paths) == ["points", "summary"]
    units = pd.read_parquet(written.paths["points"]).sort_values(
        ["indicator", "quarter", "trust"], ignore_index=True
    )
    pd.testing.assert_frame_equal(
        units,
        local.points.astype({"indicator": str}),
        check_exact=True,
    )
