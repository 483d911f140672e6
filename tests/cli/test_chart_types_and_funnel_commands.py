"""`qualitas spc --chart TYPE` (the qicharts2 chart types) and `qualitas funnel`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import funnel


@pytest.fixture
def proportions_csv(tmp_path):
    rng = np.random.default_rng(3)
    months = pd.date_range("2022-01-01", periods=24, freq="MS")
    frames = []
    for ward in ("A", "B"):
        den = rng.integers(100, 300, 24)
        frames.append(
            pd.DataFrame(
                {
                    "ward": ward,
                    "month": months,
                    "harms": rng.binomial(den, 0.1),
                    "patients": den,
                }
            )
        )
    path = tmp_path / "harms.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_p_chart_with_phases_writes_points_summary_and_chart(
    run, proportions_csv, tmp_path
):
    result = run(
        "spc",
        proportions_csv,
        "--chart",
        "p",
        "--value",
        "harms",
        "--denominator",
        "patients",
        "--period",
        "month",
        "--by",
        "ward",
        "--part",
        "2023-01-01",
        "--multiply",
        100,
        "--out",
        tmp_path / "p.csv",
        "--summary",
        tmp_path / "s.csv",
        "--chart",
        tmp_path / "b.svg",
        "--series",
        "B",
    )
    assert result.exit_code == 0, result.output
    points = pd.read_csv(tmp_path / "p.csv")
    assert {
        "ward",
        "period",
        "value",
        "cl",
        "lcl",
        "ucl",
        "phase",
        "sigma_signal",
        "runs_signal",
    } <= set(points.columns)
    assert points.groupby("ward")["phase"].max().tolist() == [2, 2]
    assert points["value"].between(0, 100).all()
    summary = pd.read_csv(tmp_path / "s.csv")
    assert {"longest_run", "longest_run_max", "n_crossings", "n_crossings_min"} <= set(
        summary.columns
    )
    assert "P chart (proportions)" in (tmp_path / "b.svg").read_text()


def test_run_chart_of_many_series_in_one_page(run, proportions_csv, tmp_path):
    result = run(
        "spc",
        proportions_csv,
        "--chart",
        "run",
        "--value",
        "harms",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "p.csv",
        "--chart",
        tmp_path / "all.html",
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "all.html").read_text()
    assert html.count('<div class="chart" data-spec=') == 2
    assert "Run chart with the median" in html


def test_mdc_rules_give_icons(run, proportions_csv, tmp_path):
    result = run(
        "spc",
        proportions_csv,
        "--chart",
        "u",
        "--value",
        "harms",
        "--denominator",
        "patients",
        "--period",
        "month",
        "--by",
        "ward",
        "--rules",
        "mdc",
        "--direction",
        "decrease",
        "--out",
        tmp_path / "p.csv",
        "--icons",
        tmp_path / "i.csv",
    )
    assert result.exit_code == 0, result.output
    icons = pd.read_csv(tmp_path / "i.csv")
    assert icons["ward"].tolist() == ["A", "B"]
    assert set(icons["variation"]) <= {
        "common_cause",
        "improvement_low",
        "concern_high",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chart", "q"], "unknown chart type 'q'"),
        (["--chart", "p"], "denominator"),
        (["--chart", "i", "--icons", "i.csv"], "add --rules mdc"),
        (["--chart", "i", "--chart", "c"], "give one chart type"),
        (["--chart", "chart.pdf"], "charts are drawn as .html, .svg or .png"),
    ],
)
def test_chart_type_mistakes_are_explained(
    run, proportions_csv, tmp_path, args, message
):
    result = run(
        "spc",
        proportions_csv,
        "--value",
        "harms",
        "--period",
        "month",
        "--by",
        "ward",
        *args,
        "--out",
        tmp_path / "p.csv",
    )
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def units_csv(tmp_path):
    rng = np.random.default_rng(8)
    n = 30
    den = rng.integers(2000, 20000, n)
    num = rng.binomial(den, 0.8)
    num[4] = int(den[4] * 0.6)
    frame = pd.DataFrame(
        {
            "trust": [f"=T{i:02d}" if i == 9 else f"T{i:02d}" for i in range(n)],
            "seen": num,
            "attendances": den,
        }
    )
    path = tmp_path / "units.csv"
    frame.to_csv(path, index=False)
    return path


def test_funnel_writes_units_limits_summary_and_chart(run, units_csv, tmp_path):
    result = run(
        "funnel",
        units_csv,
        "--numerator",
        "seen",
        "--denominator",
        "attendances",
        "--group",
        "trust",
        "--data-type",
        "PR",
        "--multiplier",
        100,
        "--adjust",
        "never",
        "--out",
        tmp_path / "u.csv",
        "--limits",
        tmp_path / "l.csv",
        "--summary",
        tmp_path / "s.csv",
        "--chart",
        tmp_path / "f.png",
        "--highlight",
        "T04",
        "--direction",
        "increase",
    )
    assert result.exit_code == 0, result.output
    units = pd.read_csv(tmp_path / "u.csv")
    assert len(units) == 30
    assert bool(units.loc[units["trust"] == "T04", "outlier_low"].iloc[0])
    assert "'=T09" in units["trust"].tolist()  # formula neutralised
    assert {"denominator", "lower_95", "upper_998"} <= set(
        pd.read_csv(tmp_path / "l.csv").columns
    )
    assert pd.read_csv(tmp_path / "s.csv")["n_units"].iloc[0] == 30
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert "30 units:" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group", "nope"], "nope"),
        (["--group", "trust", "--data-type", "XX"], "data_type"),
        (
            [
                "--group",
                "trust",
                "--data-type",
                "PR",
                "--highlight",
                "T99",
                "--chart",
                "f.svg",
            ],
            "no unit 'T99'",
        ),
        (
            ["--group", "trust", "--direction", "up"],
            "--direction must be increase or decrease",
        ),
    ],
)
def test_funnel_mistakes_are_explained(run, units_csv, tmp_path, args, message):
    result = run(
        "funnel",
        units_csv,
        "--numerator",
        "seen",
        "--denominator",
        "attendances",
        *args,
        "--out",
        tmp_path / "u.csv",
    )
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "u.csv").exists()


@pytest.fixture
def regions_csv(tmp_path):
    """Two regions, each comparing its own 12 trusts; T04 of the north is low."""
    rng = np.random.default_rng(9)
    frames = []
    for region in ("north", "south"):
        den = rng.integers(2000, 20000, 12)
        num = rng.binomial(den, 0.8)
        if region == "north":
            num[4] = int(den[4] * 0.6)
        frames.append(
            pd.DataFrame(
                {
                    "region": region,
                    "trust": [f"T{i:02d}" for i in range(12)],
                    "seen": num,
                    "attendances": den,
                }
            )
        )
    path = tmp_path / "regions.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def funnel_args(path, tmp_path, *extra):
    return (
        "funnel",
        path,
        "--numerator",
        "seen",
        "--denominator",
        "attendances",
        "--group",
        "trust",
        "--data-type",
        "PR",
        *extra,
        "--out",
        tmp_path / "u.csv",
    )


def test_funnel_by_writes_one_funnel_per_value(run, regions_csv, tmp_path):
    result = run(
        *funnel_args(
            regions_csv,
            tmp_path,
            "--by",
            "region",
            "--summary",
            tmp_path / "s.csv",
            "--limits",
            tmp_path / "l.csv",
        )
    )
    assert result.exit_code == 0, result.output
    units = pd.read_csv(tmp_path / "u.csv")
    data = pd.read_csv(regions_csv)
    north = funnel(
        data[data["region"] == "north"],
        numerator="seen",
        denominator="attendances",
        group="trust",
        data_type="PR",
    )
    assert units.columns[:2].tolist() == ["region", "trust"]
    got = units[units["region"] == "north"].drop(columns="region")
    np.testing.assert_allclose(got["upper"], north.units["upper"], rtol=1e-12)
    assert got["outlier"].tolist() == north.units["outlier"].tolist()
    summary = pd.read_csv(tmp_path / "s.csv")
    assert summary["region"].tolist() == ["north", "south"]
    assert summary["n_units"].tolist() == [12, 12]
    assert summary["phi"].iloc[0] == pytest.approx(north.summary.phi, rel=1e-12)
    limits = pd.read_csv(tmp_path / "l.csv")
    assert limits.columns[0] == "region"
    assert set(limits["region"]) == {"north", "south"}
    assert "2 funnels of 24 units in all:" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--by", "region", "--chart", "f.svg"],
            "--chart draws one funnel, and --by asks for one per region",
        ),
        (["--by", "county"], "column 'county' not found"),
    ],
)
def test_funnel_by_mistakes_are_explained(run, regions_csv, tmp_path, args, message):
    result = run(*funnel_args(regions_csv, tmp_path, *args))
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "u.csv").exists()


def test_an_error_in_one_funnel_names_it_on_the_command_line(
    run, regions_csv, tmp_path
):
    data = pd.read_csv(regions_csv)
    data.loc[(data["region"] == "south") & (data["trust"] == "T03"), "seen"] = 10**6
    data.to_csv(regions_csv, index=False)
    result = run(*funnel_args(regions_csv, tmp_path, "--by", "region"))
    assert result.exit_code == 1, result.output
    assert (
        "Error: for the funnel region='south': unit 'T03' has more 'seen' than "
        "'attendances' (row 17)" in " ".join(result.output.split())
    )


def test_xmr_options_work_on_every_chart_type(run, proportions_csv, tmp_path):
    """One chart model: --rebase is another name for --part, and --fix-after and
    --denominator are options of every chart type that can use them."""
    common = ["spc", proportions_csv, "--value", "harms", "--period", "month"]
    common += ["--by", "ward"]
    result = run(
        *common,
        "--chart",
        "p",
        "--denominator",
        "patients",
        "--rebase",
        "2023-07-01",
        "--out",
        tmp_path / "p.csv",
    )
    assert result.exit_code == 0, result.output
    points = pd.read_csv(tmp_path / "p.csv")
    assert points.groupby("ward")["phase"].max().tolist() == [2, 2]
    result = run(*common, "--chart", "i", "--fix-after", 5, "--out", tmp_path / "i.csv")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "i.csv")["baseline"].sum() == 10  # 5 in each ward
    result = run(*common, "--denominator", "patients", "--out", tmp_path / "x.csv")
    assert result.exit_code == 0, result.output
    assert {"cl", "lcl", "ucl", "special_cause"} <= set(
        pd.read_csv(tmp_path / "x.csv").columns
    )
