"""Options are declared once, on the request types, and every door reads them: the
Python functions' signatures, `qualitas funnel`, `qualitas batch`; a single-value
option typed twice is refused rather than silently taking the last value."""

from __future__ import annotations

import dataclasses
import inspect

import pandas as pd
import pytest

from qualitas.cli.batch import batch
from qualitas.cli.funnel import funnel as funnel_command
from qualitas.cli.options import FUNNEL_SETTINGS
from qualitas.spc import ChartRequest, chart, funnel, xmr
from qualitas.spc.funnel import FunnelRequest

UNITS = pd.DataFrame(
    {
        "trust": ["A", "B", "C", "D", "E"],
        "deaths": [30, 45, 28, 85, 40],
        "expected": [32.1, 44.8, 30.5, 49.9, 41.0],
    }
)


@pytest.mark.parametrize("request_type", [ChartRequest, FunnelRequest])
def test_every_option_has_help_text(request_type):
    for f in dataclasses.fields(request_type):
        assert f.metadata["help"].strip(), f.name


@pytest.mark.parametrize(
    ("function", "request_type"),
    [(chart, ChartRequest), (xmr, ChartRequest), (funnel, FunnelRequest)],
)
def test_the_python_signature_is_the_declaration(function, request_type):
    shown = set(inspect.signature(function).parameters) - {"data"}
    assert {f.name for f in dataclasses.fields(request_type)} <= shown | {"chart"}


def test_an_unknown_option_is_refused_by_name():
    with pytest.raises(TypeError, match="unexpected keyword argument 'trimm'"):
        funnel(
            UNITS, numerator="deaths", denominator="expected", group="trust", trimm=0.2
        )
    with pytest.raises(TypeError, match="missing required keyword argument: 'period'"):
        chart(UNITS, chart="i", value="deaths")


@pytest.mark.parametrize("command", [funnel_command, batch])
def test_the_funnel_settings_on_the_command_line_are_the_declared_ones(command):
    params = inspect.signature(command).parameters
    fields = {f.name: f for f in dataclasses.fields(FunnelRequest)}
    for name in FUNNEL_SETTINGS:
        assert params[name].default == fields[name].default, name
        declared = fields[name].metadata["help"]
        shown = params[name].annotation.__metadata__[0].help
        assert shown.lower().startswith(declared.lower()), name


def test_funnel_settings_reach_the_engine(run, tmp_path):
    path = tmp_path / "units.csv"
    UNITS.to_csv(path, index=False)
    result = run(
        "funnel",
        path,
        "--numerator",
        "deaths",
        "--denominator",
        "expected",
        "--group",
        "trust",
        "--method",
        "CQC",
        "--trim",
        "0.2",
        "--out",
        tmp_path / "units_out.csv",
        "--summary",
        tmp_path / "summary.csv",
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "summary.csv")
    expected = funnel(
        UNITS,
        numerator="deaths",
        denominator="expected",
        group="trust",
        method="CQC",
        trim=0.2,
    ).summaries
    assert written["phi"].iloc[0] == pytest.approx(expected["phi"].iloc[0])


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--trim", "0.1", "--trim=0.05"], "--trim given 2 times"),
        (["--shmi-rounding", "--no-shmi-rounding"], "--no-shmi-rounding given 2"),
        (["--numerator", "deaths", "--numerator", "deaths"], "--numerator given 2"),
    ],
)
def test_a_single_value_option_given_twice_is_refused(run, tmp_path, args, shown):
    path = tmp_path / "units.csv"
    UNITS.to_csv(path, index=False)
    base = ["funnel", path, "--denominator", "expected", "--group", "trust"]
    base += ["--out", tmp_path / "o.csv"]
    if "--numerator" not in args:
        base += ["--numerator", "deaths"]
    result = run(*base, *args)
    assert result.exit_code == 2
    assert shown in " ".join(result.output.split())
    assert not (tmp_path / "o.csv").exists()


def test_an_option_that_takes_several_values_may_repeat(run, wards_csv, tmp_path):
    result = run(
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--exclude",
        "2023-02-01",
        "--exclude",
        "2023-03-01",
        "--chart",
        "i",
        "--out",
        tmp_path / "p.csv",
    )
    assert result.exit_code == 0, result.output
    points = pd.read_csv(tmp_path / "p.csv")
    assert (~points["include"]).sum() == 4  # two months in each of two wards
