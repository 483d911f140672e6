"""Many funnel plots at once, on every engine: one funnel per value of the ``by``
columns, each the same as a funnel of its own rows alone (docs/methods/funnel.md,
"Many funnels at once")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualitas.engines.local import LocalEngine
from qualitas.errors import QualitasError
from qualitas.spc import funnel
from qualitas.spc.funnel import funnel_request
from tests.spec.tables import table

# Two indicators over two months. The units differ between funnels (T5 reports only
# mortality; T6 only in May), and the funnels differ in size.
DEATHS = table(
    """
    indicator   | month   | trust | observed | expected
    mortality   | 2024-04 | T1    | 30       | 32.1
    mortality   | 2024-04 | T2    | 45       | 44.8
    mortality   | 2024-04 | T3    | 28       | 30.5
    mortality   | 2024-04 | T4    | 85       | 49.9
    mortality   | 2024-04 | T5    | 12       | 14.2
    mortality   | 2024-05 | T1    | 33       | 31.0
    mortality   | 2024-05 | T2    | 41       | 43.2
    mortality   | 2024-05 | T3    | 30       | 29.4
    mortality   | 2024-05 | T4    | 52       | 50.3
    mortality   | 2024-05 | T5    | 9        | 13.1
    mortality   | 2024-05 | T6    | 61       | 40.0
    readmission | 2024-04 | T1    | 120      | 110.4
    readmission | 2024-04 | T2    | 95       | 101.2
    readmission | 2024-04 | T3    | 150      | 130.0
    readmission | 2024-04 | T4    | 88       | 99.5
    readmission | 2024-05 | T1    | 118      | 112.0
    readmission | 2024-05 | T2    | 99       | 97.3
    readmission | 2024-05 | T3    | 101      | 128.8
    readmission | 2024-05 | T4    | 90       | 95.0
    readmission | 2024-05 | T6    | 70       | 52.0
    """
)
BY = ("indicator", "month")
SETTINGS = [
    {},
    {"method": "CQC", "limit": 95},
    {"adjust": "never", "shmi_rounding": False},
    {"overdispersion": "multiplicative", "multiplier": 100},
]


def each_alone(data: pd.DataFrame, by: tuple[str, ...], **arguments):
    """Every funnel computed from its own rows, stacked: the units and summaries a
    call with ``by`` must give."""
    units, summaries = [], []
    for key, rows in data.groupby(list(by), sort=True):
        result = funnel(rows, **arguments)
        keys = dict(zip(by, key, strict=True))
        units.append(result.units.assign(**keys))
        summaries.append(result.summary.to_frame().assign(**keys))
    return (
        plain(pd.concat(units, ignore_index=True), by),
        plain(pd.concat(summaries, ignore_index=True), by),
    )


def plain(frame: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """Key columns first and as text, so tables from any engine compare."""
    keys = {k: frame[k].astype(str).to_numpy() for k in by}
    return pd.DataFrame({**keys, **frame.drop(columns=list(by))})


@pytest.mark.parametrize("options", SETTINGS, ids=lambda o: str(o) or "defaults")
def test_each_funnel_is_what_its_own_rows_give(engine, options):
    arguments = {
        "numerator": "observed",
        "denominator": "expected",
        "group": "trust",
        **options,
    }
    tables = engine.compute(DEATHS, funnel_request(by=BY, **arguments))
    units, summaries = each_alone(DEATHS, BY, **arguments)
    pd.testing.assert_frame_equal(plain(tables.points, BY), units, check_exact=True)
    pd.testing.assert_frame_equal(
        plain(tables.summary, BY), summaries, check_exact=True
    )
    assert tables.icons is None
    assert tables.warnings == ()


def test_the_tables_start_with_the_by_columns_in_funnel_and_unit_order(engine):
    request = funnel_request(
        numerator="observed", denominator="expected", group="trust", by=BY
    )
    tables = engine.compute(DEATHS.sample(frac=1, random_state=4), request)
    assert tables.points.columns[:4].tolist() == [*BY, "trust", "numerator"]
    assert tables.points[["indicator", "month", "trust"]].astype(str).apply(
        "/".join, axis=1
    ).tolist() == sorted(
        DEATHS[["indicator", "month", "trust"]].apply("/".join, axis=1)
    )
    summary = tables.summary
    assert summary.columns[:3].tolist() == [*BY, "data_type"]
    assert (
        summary["indicator"].astype(str).tolist()
        == ["mortality"] * 2 + ["readmission"] * 2
    )
    assert summary["n_units"].tolist() == [5, 6, 4, 5]


def test_without_by_the_engine_gives_the_one_funnel(engine):
    arguments = {"numerator": "observed", "denominator": "expected", "group": "trust"}
    april = DEATHS[
        (DEATHS["month"] == "2024-04") & (DEATHS["indicator"] == "mortality")
    ]
    tables = engine.compute(april, funnel_request(**arguments))
    alone = funnel(april, **arguments)
    pd.testing.assert_frame_equal(tables.points, alone.units, check_exact=True)
    pd.testing.assert_frame_equal(
        tables.summary, alone.summary.to_frame(), check_exact=True
    )


def test_patient_rows_are_added_up_within_each_funnel(engine):
    # The same unit totals as one row each, or split over several rows per unit.
    split = pd.concat(
        [
            DEATHS.assign(
                observed=DEATHS["observed"] - 5, expected=DEATHS["expected"] - 4
            ),
            DEATHS.assign(observed=5, expected=4.0),
        ],
        ignore_index=True,
    ).sample(frac=1, random_state=2)
    request = funnel_request(
        numerator="observed", denominator="expected", group="trust", by=BY, method="CQC"
    )
    pd.testing.assert_frame_equal(
        engine.compute(split, request).points,
        engine.compute(DEATHS, request).points,
        rtol=1e-12,
    )


# --- bad input names the funnel -----------------------------------------------------


def without(trusts: list[str], indicator: str, month: str) -> pd.DataFrame:
    rows = (
        DEATHS["trust"].isin(trusts)
        & (DEATHS["indicator"] == indicator)
        & (DEATHS["month"] == month)
    )
    return DEATHS[~rows]


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        (
            without(["T3", "T4"], "readmission", "2024-04"),
            {},
            "for the funnel indicator='readmission', month='2024-04': a funnel plot "
            "needs at least 3 units to compare, but column 'trust' names 2",
        ),
        (
            DEATHS.assign(
                expected=np.where(
                    (DEATHS["trust"] == "T2") & (DEATHS["month"] == "2024-05"),
                    0.0,
                    DEATHS["expected"],
                )
            ),
            {},
            "for the funnel indicator='mortality', month='2024-05': unit 'T2' has a "
            "'expected' of zero",
        ),
        (
            DEATHS.assign(
                observed=np.where(
                    DEATHS["indicator"] == "readmission", 0, DEATHS["observed"]
                )
            ),
            {},
            "for the funnel indicator='readmission', month='2024-04': 4 units have no "
            "events ('T1', 'T2', 'T3')",
        ),
        (
            pd.concat([DEATHS, DEATHS.iloc[[6]]], ignore_index=True),
            {"aggregate": False},
            "for the funnel indicator='mortality', month='2024-05': unit 'T2' appears "
            "more than once in column 'trust'",
        ),
    ],
    ids=["too-few-units", "zero-expected", "no-events", "repeated-unit"],
)
def test_an_error_in_one_funnel_names_that_funnel(engine, data, options, message):
    request = funnel_request(
        numerator="observed", denominator="expected", group="trust", by=BY, **options
    )
    with pytest.raises(QualitasError) as raised:
        engine.compute(data, request)
    assert message in str(raised.value)


def test_a_missing_by_value_is_named_by_row():
    data = DEATHS.assign(month=DEATHS["month"].where(DEATHS.index != 3))
    with pytest.raises(QualitasError, match="column 'month' names no funnel in row 5"):
        funnel(data, numerator="observed", denominator="expected", group="trust", by=BY)


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("trust", "cannot both name funnels (by) and be the numerator"),
        ("phi", "may not be called 'phi'"),
        (("month", "month"), "by names a column twice"),
        ("quarter", "column 'quarter' not found"),
    ],
)
def test_by_columns_are_checked(by, message):
    data = DEATHS.assign(phi=1)
    with pytest.raises(
        QualitasError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        funnel(data, numerator="observed", denominator="expected", group="trust", by=by)


def test_with_by_the_one_summary_is_refused_for_the_table_of_summaries():
    result = funnel(
        DEATHS, numerator="observed", denominator="expected", group="trust", by=BY
    )
    with pytest.raises(
        QualitasError, match=r"holds 4 funnels .* the table `summaries`"
    ):
        result.summary  # noqa: B018
    assert len(result.summaries) == 4
    # The limits to draw are each funnel's own: adjusted where its summary says so.
    drawn = result.limits_in_force()
    for (indicator, month), lines in drawn.groupby(list(BY), observed=True):
        alone = funnel(
            DEATHS[(DEATHS["indicator"] == indicator) & (DEATHS["month"] == month)],
            numerator="observed",
            denominator="expected",
            group="trust",
        ).limits_in_force()
        np.testing.assert_array_equal(
            lines.drop(columns=list(BY)).to_numpy(), alone.to_numpy()
        )


# --- property: stacking funnels changes nothing ------------------------------------


@st.composite
def funnels(draw):
    """A few funnels of unit totals, of one data type, with unit names shared
    between funnels."""
    data_type = draw(st.sampled_from(["SR", "PR", "RC"]))
    n_funnels = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    frames = []
    for f in range(n_funnels):
        n = draw(st.integers(10, 40))
        denominator = rng.uniform(5, 300, n).round(2)
        if data_type == "PR":
            denominator = np.ceil(denominator)
            numerator = rng.binomial(denominator.astype(int), rng.uniform(0.05, 0.6))
        else:
            numerator = rng.poisson(denominator * rng.gamma(8, 1 / 8, n))
        frames.append(
            pd.DataFrame(
                {
                    "region": f"R{f % 2}",
                    "year": 2020 + f,
                    "unit": rng.choice(60, n, replace=False).astype(str),
                    "num": numerator.astype(float),
                    "den": denominator,
                }
            )
        )
    data = pd.concat(frames, ignore_index=True)
    data = data.sample(frac=1, random_state=seed % 1000).reset_index(drop=True)
    options = draw(
        st.fixed_dictionaries(
            {
                "adjust": st.sampled_from(["auto", "always", "never"]),
                "overdispersion": st.sampled_from(["additive", "multiplicative"]),
                "limit": st.sampled_from([95, 99]),
            }
        )
    )
    method = draw(st.sampled_from(["SHMI", "CQC"])) if data_type == "SR" else "SHMI"
    return data, {"data_type": data_type, "method": method, **options}


@given(case=funnels())
@settings(max_examples=60, deadline=None)
def test_funnels_computed_together_equal_each_computed_alone(case):
    data, options = case
    arguments = {"numerator": "num", "denominator": "den", "group": "unit", **options}
    by = ("region", "year")
    try:
        units, summaries = each_alone(data, by, **arguments)
    except QualitasError:
        # A funnel that cannot be computed alone stops them all, naming itself.
        with pytest.raises(QualitasError, match="for the funnel region="):
            funnel(data, by=by, **arguments)
        return
    together = funnel(data, by=by, **arguments)
    pd.testing.assert_frame_equal(plain(together.units, by), units, check_exact=True)
    pd.testing.assert_frame_equal(
        plain(together.summaries, by), summaries, check_exact=True
    )
    # Engines leave out the drawing grid (limits only at the units' denominators):
    # the units' figures must not move by a single bit.
    without_grid = LocalEngine().compute(data, funnel_request(by=by, **arguments))
    pd.testing.assert_frame_equal(
        plain(without_grid.points, by), plain(together.units, by), check_exact=True
    )
