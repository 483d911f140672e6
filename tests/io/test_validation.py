"""The shared validation layer: numbers, periods and values by measure kind, as every
way in (upload, entry form, API, command line) reads them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualitas.io import validation as v

TODAY = dt.date(2026, 12, 3)


def _numbers(cells, style):
    problems = v.Problems(np.arange(2, len(cells) + 2))
    values = v.parse_numbers(pd.Series(cells), "value", problems, style)
    return values, {e.row: e.message for e in problems.listed()}


@pytest.mark.parametrize(
    ("cell", "style", "expected"),
    [
        ("4,5", v.NumberStyle(decimal_comma=True), 4.5),
        ("5,25", v.NumberStyle(decimal_comma=True), 5.25),
        ("-0,5", v.NumberStyle(decimal_comma=True), -0.5),
        ("12", v.NumberStyle(decimal_comma=True), 12.0),
        ("1,234", v.NumberStyle(thousands=True), 1234.0),
        ("1,234,567.5", v.NumberStyle(thousands=True), 1234567.5),
        ("4.5", v.NumberStyle(), 4.5),
        ("42", v.NumberStyle(source="api"), 42.0),
    ],
)
def test_numbers_are_read_as_their_source_writes_them(cell, style, expected):
    values, problems = _numbers([cell], style)
    assert problems == {}
    assert values[0] == expected


@pytest.mark.parametrize(
    ("cell", "style", "message"),
    [
        ("4,5", v.NumberStyle(), "has a comma"),  # never 45
        ("1,2,3", v.NumberStyle(decimal_comma=True), "is not a number written with"),
        ("1,2,3", v.NumberStyle(thousands=True), "has a comma"),
        ("4,5", v.NumberStyle(thousands=True), "has a comma"),
        ("4.5", v.NumberStyle(decimal_comma=True), "is not a number written with"),
        ("1.234,5", v.NumberStyle(decimal_comma=True), "is not a number written with"),
        ("4,5", v.NumberStyle(mixed=True), "use one decimal mark throughout"),
        ("1,5", v.NumberStyle(source="api"), "send numbers as JSON numbers"),
        ("1,2,3", v.NumberStyle(source="api"), "send numbers as JSON numbers"),
        ("inf", v.NumberStyle(), "is not a finite number"),
        ("1e400", v.NumberStyle(), "is not a finite number"),
        ("nan", v.NumberStyle(), "is not a number"),
        ("forty", v.NumberStyle(), "is not a number"),
    ],
)
def test_numbers_that_could_be_misread_are_refused_by_row_and_column(
    cell, style, message
):
    values, problems = _numbers(["1", cell], style)
    assert np.isnan(values[1])
    assert list(problems) == [3]
    assert f"'{cell}' in value" in problems[3]
    assert message in problems[3]


@given(st.integers(0, 10**6), st.integers(1, 99))
def test_a_decimal_comma_is_never_read_as_a_bigger_number(whole, fraction):
    cell = f"{whole},{fraction:02d}"
    for style in (v.NumberStyle(), v.NumberStyle(thousands=True)):
        values, _ = _numbers([cell], style)
        assert not values[0] > whole + 1  # refused (NaN), never whole × 100
    values, problems = _numbers([cell], v.NumberStyle(decimal_comma=True))
    assert problems == {}
    assert values[0] == pytest.approx(whole + fraction / 100)


@pytest.mark.parametrize(
    ("cells", "separator", "decimal_comma", "mixed"),
    [
        (["4,5", "12", ""], ";", True, False),
        (["4,5", "12"], "\t", True, False),
        (["4.5", "12"], ";", False, False),
        (["4,5", "4.5"], ";", False, True),
        (["4,5"], ",", False, False),
    ],
)
def test_decimal_commas_are_understood_only_from_the_files_own_evidence(
    cells, separator, decimal_comma, mixed
):
    style = v.number_style(pd.Series(cells), separator)
    assert (style.decimal_comma, style.mixed) == (decimal_comma, mixed)


@pytest.mark.parametrize(
    ("period", "frequency", "message"),
    [
        ("2025-01-45", "monthly", "'2025-01-45' is not a real date: January 2025"),
        ("2024-02-30", "monthly", "February 2024 has 29 days"),
        ("2025-13", "monthly", "is not a period"),
        ("2027-05", "monthly", "May 2027 is in the future"),
        ("2025-02", "quarterly", "is not the start of a quarter"),
        ("2025-07", "annual", "is not the start of a year"),
        ("", "monthly", "period is empty"),
        ("2025-03", "daily", "'2025-03' has no day; give the date as 2025-03-01"),
        ("2025-03", "events", "has no day"),
        ("2026-12-04", "daily", "4 December 2026 is in the future"),
        ("2026-12-04", "events", "4 December 2026 is in the future"),
        ("2026-12-07", "weekly", "is in the future"),
        ("2026-11-25", "weekly", "25 November 2026 is a Wednesday: m is weekly"),
    ],
)
def test_periods_must_be_real_on_the_frequency_and_not_in_the_future(
    period, frequency, message
):
    entry = v.check_entry(
        v.Rules(kind=v.VALUE, frequency=frequency),
        name="m",
        period=period,
        value="1",
        today=TODAY,
    )
    assert message in " ".join(entry.problems["period"])


@pytest.mark.parametrize(
    ("period", "frequency"),
    [
        ("2026-12", "monthly"),  # this month: its data may be partial
        ("2025-01-31", "monthly"),
        ("2024-02-29", "monthly"),
        ("2025-10", "quarterly"),
        ("2025-04", "annual"),
        ("2025-01", "annual"),
    ],
)
def test_good_periods_pass(period, frequency):
    entry = v.check_entry(
        v.Rules(kind=v.VALUE, frequency=frequency),
        name="m",
        period=period,
        value="1",
        today=TODAY,
    )
    assert entry.problems == {}
    assert entry.period == dt.date(int(period[:4]), int(period[5:7]), 1)


@pytest.mark.parametrize(
    ("kind", "numbers", "column", "message"),
    [
        (v.COUNT, {"value": "-3"}, "value", "cannot be below 0"),
        (v.COUNT, {"value": "2.5"}, "value", "is not a whole number"),
        (v.AMOUNT, {"value": "-0.5"}, "value", "cannot be below 0"),
        (
            v.PROPORTION,
            {"numerator": "150", "denominator": "100"},
            "numerator",
            "cannot be more than 100%",
        ),
        (v.RATE, {"numerator": "3", "denominator": "0"}, "denominator", "more than 0"),
        (v.RATE, {"numerator": "-1", "denominator": "10"}, "numerator", "negative"),
        (v.RATE, {}, "numerator", "or its value alone"),
        (v.RATE, {"value": "-4"}, "value", "cannot be below 0"),
        (v.PROPORTION, {"value": "100.5"}, "value", "cannot be more than 100%"),
        (v.COUNT, {}, "value", "value is empty"),
    ],
)
def test_impossible_values_are_refused_by_kind(kind, numbers, column, message):
    entry = v.check_entry(
        v.Rules(kind=kind, multiplier=100.0),
        name="m",
        period="2025-01",
        today=TODAY,
        **numbers,
    )
    assert message in " ".join(entry.problems[column])


@pytest.mark.parametrize(
    ("kind", "numbers", "stored"),
    [
        (v.RATE, {"numerator": "150", "denominator": "100"}, 1.5),  # no upper bound
        (v.VALUE, {"value": "-2.5"}, -2.5),  # a mean score may be negative
        (v.AMOUNT, {"value": "12.5"}, 12.5),
        (v.COUNT, {"value": "0"}, 0.0),
        (v.PROPORTION, {"numerator": "0", "denominator": "10"}, 0.0),
    ],
)
def test_possible_values_pass(kind, numbers, stored):
    entry = v.check_entry(
        v.Rules(kind=kind, multiplier=100.0 if kind == v.PROPORTION else 1.0),
        name="m",
        period="2025-01",
        today=TODAY,
        **numbers,
    )
    assert entry.problems == {}
    assert entry.value == stored


def test_every_problem_of_a_row_is_listed_at_once():
    entry = v.check_entry(
        v.Rules(kind=v.PROPORTION, multiplier=100.0),
        name="m",
        period="2025-01-45",
        numerator="x",
        denominator="-4",
        today=TODAY,
    )
    assert set(entry.problems) == {"period", "numerator", "denominator"}


@pytest.mark.parametrize(
    ("aggregation", "multiplier", "decimals", "unit", "kind"),
    [
        ("ratio", 100, 1, "% within 4 hours", v.PROPORTION),
        ("ratio", 1, 2, "% compliant", v.PROPORTION),
        ("ratio", 1000, 1, "falls per 1,000 bed days", v.RATE),
        ("sum", 1, 0, "cases", v.COUNT),
        ("sum", 1, 1, "patients (daily average)", v.AMOUNT),
        ("mean", 1, 1, "Oxford Hip Score points", v.VALUE),
    ],
)
def test_a_measures_kind_comes_from_its_register_entry(
    aggregation, multiplier, decimals, unit, kind
):
    rules = v.Rules.for_measure(
        aggregation=aggregation,
        multiplier=multiplier,
        decimals=decimals,
        unit=unit,
        frequency="monthly",
    )
    assert rules.kind == kind


@pytest.mark.parametrize(
    ("period", "frequency", "stored"),
    [
        ("2026-12-03", "daily", dt.date(2026, 12, 3)),  # today: may be partial
        ("2024-02-29", "daily", dt.date(2024, 2, 29)),
        ("2026-11-30", "weekly", dt.date(2026, 11, 30)),  # this week's Monday
        ("2025-06-17", "events", dt.date(2025, 6, 17)),
    ],
)
def test_daily_weekly_and_event_periods_keep_their_day(period, frequency, stored):
    entry = v.check_entry(
        v.Rules(kind=v.COUNT, frequency=frequency),
        name="m",
        period=period,
        value="1",
        today=TODAY,
    )
    assert entry.problems == {}
    assert entry.period == stored


@given(
    st.dates(dt.date(1990, 1, 1), TODAY),
    st.sampled_from(["daily", "events", "monthly"]),
)
def test_a_dated_measure_keeps_any_real_day_and_a_monthly_one_its_month(day, frequency):
    problems = v.Problems(np.array([2]))
    out = v.parse_periods(
        pd.Series([day.isoformat()]),
        problems,
        dated=np.array([frequency != "monthly"]),
    )
    kept = pd.Timestamp(out[0]).date()
    assert problems.count == 0
    assert kept == (day if frequency != "monthly" else day.replace(day=1))


# --- the layouts trusts' data come in ----------------------------------------------


def _period(text, dated=False):
    problems = v.Problems(np.array([2]))
    out = v.parse_periods(pd.Series([text]), problems, dated=np.array([dated]))
    return out[0], [e.message for e in problems.listed()]


@given(
    st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2029, 12, 31)),
    st.sampled_from(["uk", "uk-short", "name-short", "name-long", "iso"]),
)
def test_every_date_form_reads_as_the_same_month(day, form):
    text = {
        "uk": day.strftime("%d/%m/%Y"),
        "uk-short": f"{day.day}/{day.month}/{day.year}",
        "name-short": day.strftime("%b-%y"),
        "name-long": day.strftime("%B %Y"),
        "iso": day.isoformat(),
    }[form]
    out, problems = _period(text)
    assert problems == []
    assert pd.Timestamp(out).date() == day.replace(day=1)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_a_uk_date_keeps_its_day_for_a_dated_measure(day):
    out, problems = _period(day.strftime("%d/%m/%Y"), dated=True)
    assert problems == []
    assert pd.Timestamp(out).date() == day


def test_slashed_dates_are_read_day_first_and_the_reading_is_said():
    out, _ = _period("01/02/2016")
    assert pd.Timestamp(out).date() == dt.date(2016, 2, 1)
    said = v.describe_periods(pd.Series(["01/02/2016", "01/03/2016"]))
    assert "01/02/2016 is 1 February 2016, never 2 January" in said


def test_us_dates_are_refused_and_make_the_columns_other_slashed_dates_ambiguous():
    problems = v.Problems(np.array([2, 3, 4, 5]))
    out = v.parse_periods(
        pd.Series(["02/13/2016", "02/01/2016", "05/05/2016", "2016-03"]), problems
    )
    messages = {e.row: e.message for e in problems.listed()}
    assert "month first (US order)" in messages[2]
    assert "could be read day first or month first" in messages[3]
    # The same day and month either way round, and ISO, cannot be misread.
    assert set(messages) == {2, 3}
    assert pd.Timestamp(out[2]).date() == dt.date(2016, 5, 1)


@pytest.mark.parametrize(
    "text", ["Apr-16", "apr 2016", "April 2016", "April-16", "Apr 16", "Sept 2016"]
)
def test_month_names_are_read_in_the_forms_spreadsheets_write(text):
    out, problems = _period(text)
    assert problems == []
    assert pd.Timestamp(out).year == 2016


@pytest.mark.parametrize("text", ["Aprl-16", "13/13/2016", "2016/04", "16-Apr"])
def test_other_period_forms_are_refused_with_the_forms_that_are_read(text):
    _, problems = _period(text)
    assert any("not a period" in m and "Mar-24" in m for m in problems)


@given(
    st.integers(min_value=1, max_value=5000),
    st.integers(min_value=1, max_value=5000),
    st.integers(min_value=0, max_value=3),
)
def test_a_percentage_rounded_to_its_own_places_matches_its_parts(a, b, places):
    numerator, denominator = min(a, b), max(a, b)
    shown = f"{numerator / denominator * 100:.{places}f}"
    entry = v.check_entry(
        v.Rules(kind=v.PROPORTION, multiplier=100.0),
        name="m",
        period="2025-01",
        value=shown,
        numerator=str(numerator),
        denominator=str(denominator),
        today=TODAY,
    )
    assert entry.problems == {}
    # What is kept is computed from the parts, not the rounded value.
    assert entry.value == pytest.approx(numerator / denominator * 100)


def test_a_percentage_outside_its_rounding_is_refused_saying_the_tolerance():
    entry = v.check_entry(
        v.Rules(kind=v.PROPORTION, multiplier=100.0),
        name="m",
        period="2025-01",
        value="62.4",
        numerator="5",
        denominator="8",
        today=TODAY,
    )
    (message,) = entry.problems["value"]
    assert "= 62.5, which is 62.5 to 1 decimal place" in message


def test_a_rate_may_come_as_its_value_alone_unless_its_chart_needs_denominators():
    alone = {"name": "m", "period": "2025-01", "value": "62.5", "today": TODAY}
    entry = v.check_entry(v.Rules(kind=v.PROPORTION, multiplier=100.0), **alone)
    assert entry.problems == {}
    assert (entry.value, entry.numerator, entry.denominator) == (62.5, None, None)
    p_chart = v.Rules.for_measure(
        aggregation="ratio",
        multiplier=100,
        decimals=1,
        unit="%",
        frequency="monthly",
        chart_type="p",
    )
    entry = v.check_entry(p_chart, **alone)
    assert "chart needs each period's denominator" in entry.problems["numerator"][0]
