"""National tables hold a few series too short for limits: ``skip_short`` leaves them
out with a warning, and the other series come out exactly as they would alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualitas.errors import QualitasError
from qualitas.spc.chart import ChartRequest


def units(lengths: dict[str, int], seed: int = 3) -> pd.DataFrame:
    """Monthly counts of events among patients, one series per unit."""
    rng = np.random.default_rng(seed)
    frames = [
        pd.DataFrame(
            {
                "unit": name,
                "month": pd.date_range("2023-01-01", periods=n, freq="MS"),
                "events": rng.poisson(8, n).astype(float),
                "patients": rng.integers(60, 90, n).astype(float),
            }
        )
        for name, n in lengths.items()
    ]
    return pd.concat(frames, ignore_index=True)


def request(**settings) -> ChartRequest:
    return ChartRequest(
        chart="pp",
        value="events",
        denominator="patients",
        period="month",
        by=("unit",),
        **settings,
    )


def test_a_short_series_stops_the_chart_and_is_named(engine):
    data = units({"A": 14, "B": 1, "C": 20})
    with pytest.raises(QualitasError, match=r"unit=B.*skip_short"):
        engine.compute(data, request())


def test_short_series_are_left_out_and_the_rest_is_unchanged(engine):
    data = units({"A": 14, "B": 1, "C": 20, "D": 1, "E": 9})
    ours = engine.compute(
        data,
        request(
            skip_short=True, target={"B": 0.1, "C": 0.12}, direction={"D": "decrease"}
        ),
    )
    alone = engine.compute(
        data[data["unit"].isin(["A", "C", "E"])], request(target={"C": 0.12})
    )
    for name in ("points", "summary"):
        got = getattr(ours, name)
        assert set(got["unit"].astype(str)) == {"A", "C", "E"}
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True),
            getattr(alone, name).reset_index(drop=True),
            check_categorical=False,
            check_exact=True,
        )
    # One warning, or on Spark one per partition that left series out.
    left_out = " ".join(w for w in ours.warnings if "series left out" in w)
    assert "unit=B" in left_out
    assert "unit=D" in left_out


def test_when_every_series_is_short_the_error_stands(engine):
    data = units({"A": 1, "B": 1})
    with pytest.raises(QualitasError, match="needs at least 2 baseline subgroups"):
        engine.compute(data, request(skip_short=True))
