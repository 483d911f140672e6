"""`qualitas batch` on the real A&E attendances data, from CSV, Parquet and PostgreSQL."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualitas.cli.main import app
from qualitas.spc import chart, funnel, xmr

AE = Path(__file__).resolve().parents[2] / "data" / "ae_attendances.csv"
ARGS = [
    "--value",
    "attendances",
    "--period",
    "period",
    "--by",
    "org_code",
    "--by",
    "type",
]
N_SERIES = 428  # org_code x type combinations in the file


def batch(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["batch", *args])
    return result.exit_code, result.output


def read(folder: Path, name: str) -> pd.DataFrame:
    frame = pd.read_parquet(folder / f"{name}.parquet")
    order = ["org_code", "type", "period" if "period" in frame else "phase"]
    return frame.sort_values(order, ignore_index=True)


@pytest.fixture(scope="module")
def expected() -> dict[str, pd.DataFrame]:
    """The in-memory result on the same rows, as the batch files should hold it."""
    data = pd.read_csv(AE, dtype={"type": str})
    result = xmr(data, value="attendances", period="period", by=["org_code", "type"])
    return {"points": result.points, "summary": result.summary, "icons": result.icons}


def assert_files_hold(folder: Path, expected: dict[str, pd.DataFrame]) -> None:
    for name, want in expected.items():
        got = read(folder, name)
        assert got.columns.tolist() == want.columns.tolist()
        assert len(got) == len(want), name
        for column in got.columns:
            if str(want[column].dtype) == "Int64":
                # Parquet readers give whole numbers with gaps as floats.
                got[column] = got[column].astype("Int64")
            if pd.api.types.is_float_dtype(want[column]):
                assert got[column].to_numpy() == pytest.approx(
                    want[column].to_numpy(), rel=1e-12, nan_ok=True
                )
            else:
                mine = [
                    None if pd.isna(v) else str(v)[:10]
                    for v in got[column].astype(object)
                ]
                theirs = [
                    None if pd.isna(v) else str(v)[:10]
                    for v in want[column].astype(object)
                ]
                assert mine == theirs, (name, column)


def test_batch_on_the_ae_csv(tmp_path, expected):
    code, output = batch(
        "--input", str(AE), *ARGS, "--output", str(tmp_path), "--block-rows", "2000"
    )
    assert code == 0, output
    assert re.search(
        r"428 series, 12,765 points, \d+ phases written to .* in [\d.]+ s", output
    )
    assert "Warning: " in output
    assert "fewer than 13 points" in output
    assert_files_hold(tmp_path, expected)
    # Periods keep their type: the CSV's ISO dates are dates in the output.
    assert str(
        pd.read_parquet(tmp_path / "points.parquet").dtypes["period"]
    ).startswith(("object", "date"))


def test_batch_on_a_glob_of_parquet_files(tmp_path, expected):
    data = pd.read_csv(AE, dtype={"type": str}, parse_dates=["period"])
    folder = tmp_path / "in"
    folder.mkdir()
    for year, part in data.groupby(data["period"].dt.year):
        part.to_parquet(folder / f"ae_{year}.parquet", index=False)
    code, output = batch(
        "--input",
        str(folder / "ae_*.parquet"),
        *ARGS,
        "--output",
        str(tmp_path / "out"),
    )
    assert code == 0, output
    assert_files_hold(tmp_path / "out", expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "nowhere/*.csv"], "no files match 'nowhere/*.csv'"),
        (["--input", str(AE), "--value", "beds"], "column 'beds' not found"),
        (["--input", str(AE), "--engine", "dask"], "unknown engine 'dask'"),
        (["--input", str(AE), "--direction", "up"], "direction must be one of"),
        (
            ["--input", str(AE), "--chart", "pie"],
            "unknown chart 'pie'; choose one of xmr, c, g",
        ),
        (
            ["--input", str(AE), "--chart", "p", "--value", "breaches"],
            "needs a denominator",
        ),
        (
            ["--input", str(AE), "--sql-table", "ae"],
            "--sql-table needs --input to be a database URL",
        ),
        (["--input", "postgresql://localhost/test"], "which table?"),
        ([], "give either --input or --spark-table"),
    ],
)
def test_batch_explains_what_is_wrong(tmp_path, args, message):
    code, output = batch(*args, "--output", str(tmp_path))
    assert code == 1
    assert message in " ".join(output.split())


def postgres_url() -> str:
    return os.environ.get(
        "DATABASE_URL_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"
    )


@pytest.fixture
def ae_in_postgres():
    """The A&E data in a table of its own, dropped afterwards."""
    import sqlalchemy as sa

    url = postgres_url().replace("postgres://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url)
    try:
        engine.connect().close()
    except sa.exc.OperationalError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                f"PostgreSQL is not reachable at {postgres_url()}: {error.orig}"
            )
        pytest.skip(
            f"PostgreSQL is not reachable at {postgres_url()}; set DATABASE_URL_POSTGRES"
        )
    table = f"ae_{uuid.uuid4().hex[:8]}"
    data = pd.read_csv(AE, dtype={"type": str}, parse_dates=["period"])
    data["period"] = data["period"].dt.date
    data.to_sql(table, engine, index=False, dtype={"period": sa.Date()})
    yield table
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE "{table}"'))
    engine.dispose()


@pytest.mark.postgres
def test_batch_on_a_postgresql_table(tmp_path, expected, ae_in_postgres):
    url = postgres_url()
    code, output = batch(
        "--input",
        f"{url}?table={ae_in_postgres}",
        *ARGS,
        "--output",
        str(tmp_path / "a"),
    )
    assert code == 0, output
    assert_files_hold(tmp_path / "a", expected)
    code, output = batch(
        "--input",
        url,
        "--sql-table",
        ae_in_postgres,
        *ARGS,
        "--output",
        str(tmp_path / "b"),
    )
    assert code == 0, output
    assert "428 series, 12,765 points" in output


@pytest.mark.postgres
def test_a_missing_table_is_named(tmp_path, ae_in_postgres):
    code, output = batch(
        "--input",
        postgres_url(),
        "--sql-table",
        "no_such_table",
        *ARGS,
        "--output",
        str(tmp_path),
    )
    assert code == 1
    assert "no table 'no_such_table'" in output


@pytest.mark.spark
@pytest.mark.parametrize("writer", ["auto", "spark"])
def test_batch_on_spark_writes_what_the_local_engine_writes(
    tmp_path, expected, spark_session, writer
):
    code, output = batch(
        "--input",
        str(AE),
        *ARGS,
        "--engine",
        "spark",
        "--partitions",
        "3",
        "--spark-writer",
        writer,
        "--output",
        str(tmp_path),
    )
    assert code == 0, output
    assert "428 series, 12,765 points" in output
    assert_files_hold(tmp_path, expected)


def test_batch_draws_p_charts_with_icons_and_run_charts_without(tmp_path):
    # The share of attendances that breached four hours, per trust and type.
    code, output = batch(
        "--input",
        str(AE),
        "--chart",
        "p",
        "--value",
        "breaches",
        "--denominator",
        "attendances",
        "--by",
        "org_code,type",
        "--rules",
        "mdc",
        "--direction",
        "decrease",
        "--output",
        str(tmp_path / "p"),
    )
    assert code == 0, output
    assert re.search(r"\d+ series, [\d,]+ points, [\d,]+ phases written", output)
    data = pd.read_csv(AE, dtype={"type": str})
    expected = chart(
        data,
        chart="p",
        value="breaches",
        denominator="attendances",
        period="period",
        by=["org_code", "type"],
        rules="mdc",
        direction="decrease",
    )
    icons = read(tmp_path / "p", "icons")
    assert len(icons) == len(expected.icons)
    assert (
        icons["variation"].tolist() == expected.icons["variation"].astype(str).tolist()
    )
    assert icons["ucl"].to_numpy() == pytest.approx(
        expected.icons["ucl"].to_numpy(), rel=1e-12, nan_ok=True
    )

    code, output = batch(
        "--input", str(AE), "--chart", "run", *ARGS, "--output", str(tmp_path / "run")
    )
    assert code == 0, output
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "points.parquet",
        "summary.parquet",
    ]
    assert "428 series, 12,765 points" in output


def test_batch_can_leave_out_series_too_short_for_limits(tmp_path):
    data = pd.read_csv(AE, dtype={"type": str})
    # One trust reported a single month only.
    single = data[data["org_code"] == data["org_code"].iloc[0]].head(1)
    rest = data[data["org_code"] != single["org_code"].iloc[0]]
    source = tmp_path / "ae.csv"
    pd.concat([single, rest]).to_csv(source, index=False)
    args = ["--input", str(source), "--chart", "pp", "--value", "breaches"]
    args += ["--denominator", "attendances", "--by", "org_code,type"]
    code, output = batch(*args, "--output", str(tmp_path / "stopped"))
    assert code == 1
    assert "needs at least 2 baseline subgroups" in output
    code, output = batch(*args, "--skip-short", "--output", str(tmp_path / "out"))
    assert code == 0, output
    assert "series left out" in output
    points = pd.read_parquet(tmp_path / "out" / "points.parquet")
    assert single["org_code"].iloc[0] not in set(points["org_code"])
    # Other trusts in the real data are short too; each left-out series is counted.
    found = re.search(r"(\d+) of (\d+) series left out", output)
    assert found is not None
    left_out, of = int(found.group(1)), int(found.group(2))
    assert points.groupby(["org_code", "type"]).ngroups == of - left_out
    assert of == pd.concat([single, rest]).groupby(["org_code", "type"]).ngroups


def test_an_output_that_is_a_file_is_a_clear_error(tmp_path):
    taken = tmp_path / "results"
    taken.write_text("not a folder")
    code, output = batch("--input", str(AE), *ARGS, "--output", str(taken))
    assert code == 1
    assert "cannot write results to" in output


FUNNEL_ARGS = [
    "--chart",
    "funnel",
    "--value",
    "breaches",
    "--denominator",
    "attendances",
    "--group",
    "org_code",
    "--by",
    "type,period",
    "--data-type",
    "PR",
]


@pytest.fixture(scope="module")
def expected_funnels() -> dict[str, pd.DataFrame]:
    """Every trust compared in a funnel of the share of attendances that breached
    four hours, one funnel per type of A&E and month, computed in memory."""
    data = pd.read_csv(AE, dtype={"type": str})
    result = funnel(
        data,
        numerator="breaches",
        denominator="attendances",
        group="org_code",
        by=["type", "period"],
        data_type="PR",
    )
    return {"points": result.units, "summary": result.summaries}


def read_funnels(folder: Path) -> dict[str, pd.DataFrame]:
    points = pd.read_parquet(folder / "points.parquet")
    summary = pd.read_parquet(folder / "summary.parquet")
    return {
        "points": points.sort_values(["type", "period", "org_code"], ignore_index=True),
        "summary": summary.sort_values(["type", "period"], ignore_index=True),
    }


def assert_same_funnels(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]):
    for name in ("points", "summary"):
        mine, theirs = got[name], want[name]
        assert mine.columns.tolist() == theirs.columns.tolist(), name
        assert (
            mine["period"].astype(str).str[:10].tolist()
            == theirs["period"].astype(str).tolist()
        )
        rest = [c for c in mine.columns if c != "period"]
        pd.testing.assert_frame_equal(
            mine[rest].astype({"type": str}),
            theirs[rest].astype({"type": str}),
            check_exact=True,
        )


def test_batch_draws_a_funnel_for_every_type_and_month(tmp_path, expected_funnels):
    code, output = batch(
        "--input",
        str(AE),
        *FUNNEL_ARGS,
        "--output",
        str(tmp_path),
        "--block-rows",
        "3000",
    )
    assert code == 0, output
    assert re.search(
        r"108 funnels, 12,765 units written to .* \([\d.]+ ms per funnel, local engine\)",
        " ".join(output.split()),
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "points.parquet",
        "summary.parquet",
    ]
    assert_same_funnels(read_funnels(tmp_path), expected_funnels)


@pytest.mark.spark
def test_batch_draws_funnels_on_spark_as_on_the_local_engine(
    tmp_path, expected_funnels, spark_session
):
    code, output = batch(
        "--input",
        str(AE),
        *FUNNEL_ARGS,
        "--engine",
        "spark",
        "--partitions",
        "3",
        "--output",
        str(tmp_path),
    )
    assert code == 0, output
    assert "108 funnels, 12,765 units" in output
    assert_same_funnels(read_funnels(tmp_path), expected_funnels)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chart", "funnel", "--denominator", "attendances"], "needs --group"),
        (["--chart", "funnel", "--group", "org_code"], "needs --denominator"),
        (
            [*FUNNEL_ARGS, "--period", "period", "--rules", "mdc"],
            "--period, --rules are only for charts of series over time",
        ),
        (
            ["--group", "org_code", "--trim", "0.2"],
            "--group, --trim are only for funnel",
        ),
        ([*FUNNEL_ARGS[:-2], "--data-type", "XX"], "data_type must be one of"),
        (
            # One trust admitted more patients than attended: not a proportion.
            [*FUNNEL_ARGS[:2], "--value", "admissions", *FUNNEL_ARGS[4:]],
            "Error: for the funnel type='2', period=2018-10-01: unit 'RTX' has more "
            "'admissions' than 'attendances' (row 10447)",
        ),
    ],
)
def test_batch_explains_funnel_mistakes(tmp_path, args, message):
    code, output = batch("--input", str(AE), *args, "--output", str(tmp_path))
    assert code == 1, output
    assert message in " ".join(output.split())
