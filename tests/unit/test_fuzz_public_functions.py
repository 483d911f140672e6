"""Adversarial input to the public functions: each call gives a valid result or a
QualitasError, nothing else (no pandas or NumPy traceback, no warning from deep
inside, no infinite limits).

Hypothesis builds small frames of every awkward kind: key columns of mixed types or
with missing names, periods as text with time zones, garbage, huge or infinite
floats, unsigned integers, periods and dates beyond the nanosecond range; values and
denominators with infinities, huge and subnormal numbers, text, booleans and blanks;
duplicated column names and empty frames. The examples are derandomised (the same on
every run) and bounded, so the file takes some seconds on CI's two cores.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from qualitas.errors import QualitasError, QualitasWarning
from qualitas.spc import chart, funnel, opportunity, xmr
from qualitas.spc.chart import CHART_TYPES

# QUALITAS_FUZZ_EXAMPLES=5000 searches longer, with fresh random examples each run.
LONGER = os.environ.get("QUALITAS_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(LONGER) if LONGER else 150,
    deadline=None,
    derandomize=not LONGER,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

awkward_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [0.0, -0.0, 1.0, 3.0, 1e-320, 5e-324, 1e100, 1.5e100, 1e300, -1e300, np.inf]
    ),
    st.integers(0, 20).map(float),
)
values = st.one_of(
    awkward_floats,
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from(["", " ", "n/a", "inf", "-Infinity", "1e400", "3", "2,5", "NaN"]),
    st.booleans(),
    st.none(),
)
text_periods = st.sampled_from(
    [
        "2024-01-01",
        "2024-02-01",
        "2024-03-01",
        "01/04/2024",
        "2024-05-01T00:00:00+01:00",
        "2024-06-01T00:00:00+00:00",
        "2024-07-01T00:00:00Z",
        "2024-08-01T00:00:00-05:00",
        "9999-01-01",
        "0001-01-01",
        "last March",
        "",
    ]
)
tz_stamps = st.datetimes(
    min_value=datetime.datetime(1900, 1, 1),
    max_value=datetime.datetime(2200, 1, 1),
    timezones=st.sampled_from(
        [datetime.UTC, datetime.timezone(datetime.timedelta(hours=1))]
    ),
)


@st.composite
def period_columns(draw, n: int) -> pd.Series:
    kind = draw(
        st.sampled_from(
            [
                "int",
                "huge_int",
                "uint",
                "float",
                "text",
                "dates",
                "tz",
                "seconds",
                "period",
                "mixed",
            ]
        )
    )
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-3, 30), min_size=n, max_size=n)))
    if kind == "huge_int":
        big = st.sampled_from([-(2**63), 2**63 - 1, 2**62, -(2**62), 0, 1])
        return pd.Series(draw(st.lists(big, min_size=n, max_size=n)), dtype=np.int64)
    if kind == "uint":
        big = st.sampled_from([0, 1, 2, 2**63, 2**64 - 1])
        return pd.Series(draw(st.lists(big, min_size=n, max_size=n)), dtype=np.uint64)
    if kind == "float":
        return pd.Series(
            draw(st.lists(awkward_floats, min_size=n, max_size=n)), dtype=np.float64
        )
    if kind == "text":
        return pd.Series(draw(st.lists(text_periods, min_size=n, max_size=n)))
    if kind == "dates":
        start = draw(st.sampled_from(["2020-01-01", "1677-10-01", "2262-01-01"]))
        try:
            return pd.Series(pd.date_range(start, periods=n, freq="MS"))
        except (ValueError, OverflowError):
            return pd.Series(pd.date_range("2020-01-01", periods=n, freq="MS"))
    if kind == "tz":
        return pd.Series(
            draw(st.lists(tz_stamps, min_size=n, max_size=n)), dtype=object
        )
    if kind == "seconds":
        years = draw(
            st.lists(st.sampled_from([1500, 2024, 9999]), min_size=n, max_size=n)
        )
        stamps = np.array([f"{y}-01-01" for y in years], dtype="datetime64[s]")
        return pd.Series(stamps)
    if kind == "period":
        start = draw(st.sampled_from(["2024-01", "9999-01"]))
        return pd.Series(pd.period_range(start, periods=n, freq="M"))
    mixed = st.one_of(text_periods, st.integers(0, 5), awkward_floats, st.none())
    return pd.Series(draw(st.lists(mixed, min_size=n, max_size=n)), dtype=object)


@st.composite
def key_columns(draw, n: int) -> pd.Series:
    keys = draw(
        st.sampled_from(
            [
                st.sampled_from(["A", "B"]),
                st.sampled_from([1, 2]),
                st.one_of(st.sampled_from(["A", "B"]), st.integers(1, 2)),
                st.one_of(st.sampled_from(["A", "B"]), st.none()),
                st.sampled_from([1.5, np.nan, np.inf]),
                st.booleans(),
            ]
        )
    )
    column = pd.Series(draw(st.lists(keys, min_size=n, max_size=n)), dtype=object)
    if draw(st.booleans()):
        with contextlib.suppress(TypeError, ValueError):
            column = column.astype("category")
    return column


@st.composite
def frames(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 16))
    columns: dict[str, pd.Series] = {
        "k": draw(key_columns(n)),
        "p": draw(period_columns(n)),
    }
    for name in ("y", "n"):
        if draw(st.booleans()):
            series = pd.Series(
                draw(st.lists(awkward_floats, min_size=n, max_size=n)), dtype=np.float64
            )
        else:
            series = pd.Series(
                draw(st.lists(values, min_size=n, max_size=n)), dtype=object
            )
        columns[name] = series
    frame = pd.DataFrame(columns)
    if draw(st.integers(0, 9)) == 0:
        # A column named twice: which one is meant cannot be known.
        frame = pd.concat([frame, frame[[draw(st.sampled_from(list(frame)))]]], axis=1)
    return frame


def must_be_valid_or_refused(call, frame: pd.DataFrame) -> None:
    note(f"columns {list(frame.columns)}, dtypes {frame.dtypes.tolist()}")
    note(frame.to_string())
    with warnings.catch_warnings():
        # Any warning but our own is a failure: it means NumPy or pandas met input
        # we did not check.
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", QualitasWarning)
        try:
            result = call()
        except QualitasError:
            return
    for table in (result.points if hasattr(result, "points") else result.units,):
        numeric = table.select_dtypes("number")
        assert not np.isinf(numeric.to_numpy(dtype=np.float64)).any(), table


@FUZZ
@given(frames(), st.booleans(), st.sampled_from(["error", "missing"]))
def test_xmr_gives_a_result_or_a_qualitas_error(frame, by, infinite):
    must_be_valid_or_refused(
        lambda: xmr(
            frame, value="y", period="p", by="k" if by else None, infinite=infinite
        ),
        frame,
    )


@FUZZ
@given(
    frames(),
    st.sampled_from(CHART_TYPES),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["anhoej", "mdc"]),
    st.sampled_from(["error", "missing"]),
)
def test_chart_gives_a_result_or_a_qualitas_error(
    frame, chart_type, by, with_denominator, rules, infinite
):
    needs = chart_type in {"p", "pp", "u", "up"}
    must_be_valid_or_refused(
        lambda: chart(
            frame,
            chart=chart_type,
            value="y",
            period="p",
            denominator="n"
            if needs or (with_denominator and chart_type in {"run", "i", "mr"})
            else None,
            by="k" if by else None,
            rules=rules,
            infinite=infinite,
            skip_short=True,
        ),
        frame,
    )


@FUZZ
@given(
    frames(),
    st.sampled_from(["SR", "PR", "RC", "MEAN"]),
    st.sampled_from(["lower", "higher"]),
    st.one_of(st.none(), awkward_floats),
)
def test_funnel_and_opportunity_give_a_result_or_a_qualitas_error(
    frame, data_type, better, unit_cost
):
    frame = frame.rename(columns={"p": "trust"})

    def both():
        result = funnel(
            frame,
            numerator="y",
            denominator="n",
            group="trust",
            data_type=data_type,
            sd=1.0 if data_type == "MEAN" else None,
        )
        opportunity(result, better=better, unit_cost=unit_cost)
        return result

    must_be_valid_or_refused(both, frame)
