"""The Making Data Count rules as small tables: values in, labels and icons out.

Each case is readable as a worked example; docs/methods/xmr.md describes the same rules.
"""

from __future__ import annotations

import pandas as pd
import pytest

from qualitas.spc import ChartRequest, Rules, xmr

_ = "none"
SH, SL = "shift_high", "shift_low"
TU, TD = "trend_up", "trend_down"
HI, LO = "two_of_three_high", "two_of_three_low"
AU, BL = "above_upl", "below_lpl"


def labels(values, **settings):
    data = pd.DataFrame({"t": range(len(values)), "y": values})
    return (
        xmr(data, value="y", period="t", **settings)
        .points["special_cause"]
        .astype(str)
        .tolist()
    )


BASE = [10, 12, 9, 11, 10, 12, 8, 11, 10, 9, 12, 10, 11, 9]

CASES = {
    # name: (values, settings, expected labels)
    "seven_above_the_mean_is_a_shift": (
        [*BASE, 12, 13, 12, 13, 12, 13, 12],
        {},
        [_] * 14 + [SH] * 7,
    ),
    "six_above_the_mean_is_not_a_shift_by_default": (
        [*BASE, 12, 13, 12, 13, 12, 13],
        {},
        [_] * 20,
    ),
    "six_above_the_mean_is_a_shift_when_the_rule_says_six": (
        [*BASE, 12, 13, 12, 13, 12, 13],
        {"rules": {"shift": 6}},
        [_] * 14 + [SH] * 6,
    ),
    "a_point_on_the_mean_breaks_a_run": (
        [2, 1, 2, 1, 2, 1, 4, 2, 1, 2, 1, 2, 1],
        {},
        [_] * 13,
    ),
    "eight_rising_points_are_a_trend_of_eight": (
        [
            10,
            12,
            9,
            11,
            10,
            12,
            8,
            11,
            10,
            9,
            10.1,
            10.2,
            10.3,
            10.4,
            10.5,
            10.6,
            10.7,
            9,
        ],
        {},
        [_] * 9 + [TU] * 8 + [_],
    ),
    "a_tie_breaks_a_trend": (
        [
            10,
            12,
            9,
            11,
            10,
            12,
            8,
            11,
            10,
            9,
            10.1,
            10.2,
            10.3,
            10.3,
            10.5,
            10.6,
            10.7,
            9,
        ],
        {},
        [_] * 18,
    ),
    "two_of_three_beyond_two_sigma_on_one_side": (
        [10, 10, 11, 10, 9, 10, 11, 11, 9, 9, 12.5, 11, 12.5, 10, 9, 9],
        {},
        [_] * 10 + [HI, _, HI] + [_] * 3,
    ),
    "a_point_above_the_upper_limit": (
        [10, 10, 11, 10, 9, 10, 11, 11, 9, 20, 9, 10, 8, 10, 9, 9],
        {},
        [_] * 9 + [AU] + [_] * 6,
    ),
    "a_point_below_the_lower_limit": (
        [10, 12, 10, 12, 10, 12, 10, 12, -3, 12, 10, 12, 10, 12],
        {},
        [_] * 8 + [BL] + [_] * 5,
    ),
    "a_falling_trend_above_the_mean_is_a_falling_trend": (
        [
            10,
            12,
            10,
            12,
            10,
            12,
            10,
            12,
            10,
            12,
            10,
            12,
            11.9,
            11.8,
            11.7,
            11.6,
            11.5,
            11.4,
            11.3,
            10,
        ],
        {},
        [_] * 11 + [TD] * 9,
    ),
}


def table_labels(engine) -> dict[str, list[str]]:
    """Every case's labels from ``engine``, computed together: cases with the same
    settings become the series of one request (one Spark job, not one per case)."""
    groups: dict[str, list[str]] = {}
    for name, (_, settings, _) in CASES.items():
        groups.setdefault(repr(settings), []).append(name)
    out = {}
    for names in groups.values():
        settings = CASES[names[0]][1]
        data = pd.concat(
            pd.DataFrame(
                {"case": name, "t": range(len(CASES[name][0])), "y": CASES[name][0]}
            )
            for name in names
        )
        request = ChartRequest.build(
            chart="xmr",
            value="y",
            period="t",
            by=("case",),
            rules=Rules.coerce(settings.get("rules")),
        )
        points = engine.compute(data, request).points
        for name, rows in points.groupby("case", observed=True, sort=False):
            out[str(name)] = rows["special_cause"].astype(str).tolist()
    return out


@pytest.fixture(scope="module")
def computed() -> dict[str, dict[str, list[str]]]:
    return {}  # engine name -> case -> labels, filled on first use


@pytest.mark.parametrize(
    ("name", "expected"), [(k, v[2]) for k, v in CASES.items()], ids=CASES.keys()
)
def test_rule_table(engine, computed, name, expected):
    if engine.name not in computed:
        computed[engine.name] = table_labels(engine)
    assert computed[engine.name][name] == expected


@pytest.mark.parametrize(
    ("values", "settings", "expected"), CASES.values(), ids=CASES.keys()
)
def test_rule_table_one_series_at_a_time(values, settings, expected):
    assert labels(values, **settings) == expected


def test_rebasing_restarts_every_rule():
    values = [*BASE, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15]
    data = pd.DataFrame({"t": range(len(values)), "y": values})
    before = xmr(data, value="y", period="t").points
    assert (before["special_cause"].iloc[14:] != "none").all()
    after = xmr(data, value="y", period="t", part=[14]).points
    assert after["phase"].tolist() == [1] * 14 + [2] * 14
    assert (after["special_cause"] == "none").all()
    assert after["cl"].iloc[20] == pytest.approx(14.5)


def test_fixed_baseline_uses_only_the_first_points():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 20, 20]
    data = pd.DataFrame({"t": range(len(values)), "y": values})
    points = xmr(data, value="y", period="t", fix_after=12).points
    assert points["cl"].iloc[0] == pytest.approx(10.5)
    assert points["ucl"].iloc[-1] == pytest.approx(10.5 + 2.66)
    assert points["special_cause"].iloc[-2:].tolist() == [AU, AU]


@pytest.mark.parametrize(
    ("direction", "target", "variation", "assurance"),
    [
        ("increase", 5, "improvement_high", "pass"),
        ("increase", 30, "improvement_high", "fail"),
        ("increase", 11, "improvement_high", "hit_and_miss"),
        ("decrease", 5, "concern_high", "fail"),
        ("decrease", 30, "concern_high", "pass"),
        ("neutral", 5, "neutral_high", None),
        ("increase", None, "improvement_high", None),
    ],
)
def test_icons_read_the_latest_point_and_the_target(
    direction, target, variation, assurance
):
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 20]
    data = pd.DataFrame({"t": range(len(values)), "y": values})
    icons = xmr(data, value="y", period="t", direction=direction, target=target).icons
    assert icons["variation"].iloc[0] == variation
    got = icons["assurance"].iloc[0]
    assert (got if isinstance(got, str) else None) == assurance


def test_direction_and_target_can_differ_by_series():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 20]
    data = pd.concat(
        [
            pd.DataFrame({"measure": m, "t": range(len(values)), "y": values})
            for m in ("falls", "fft")
        ]
    )
    icons = xmr(
        data,
        value="y",
        period="t",
        by="measure",
        direction={"falls": "decrease", "fft": "increase"},
        target={"fft": 5},
    ).icons.set_index("measure")
    assert icons.loc["falls", "variation"] == "concern_high"
    assert pd.isna(icons.loc["falls", "assurance"])
    assert icons.loc["fft", "variation"] == "improvement_high"
    assert icons.loc["fft", "assurance"] == "pass"


def test_series_are_independent():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 20]
    one = pd.DataFrame({"unit": "A", "t": range(14), "y": values})
    other = pd.DataFrame(
        {"unit": "B", "t": range(14), "y": [v * 3 for v in reversed(values)]}
    )
    together = xmr(pd.concat([other, one]), value="y", period="t", by="unit").points
    alone = xmr(one, value="y", period="t", by="unit").points
    pd.testing.assert_frame_equal(
        together[together["unit"] == "A"].reset_index(drop=True).drop(columns="unit"),
        alone.drop(columns="unit"),
    )
