"""Data in the layouts trusts have: UK dates and month names read as the preview
says, percentages alone for rates, and percentages rounded as people round them."""

from __future__ import annotations

import datetime as dt

import pytest

from qualitas.web.measures import services
from qualitas.web.measures.models import ImportBatch, Observation
from tests.web.factories import MeasureFactory, MembershipFactory


@pytest.fixture
def upload(world):
    analyst = MembershipFactory(organisation=world["system"], role="analyst").user
    MeasureFactory(
        code="harm-free",
        organisation=world["system"],
        aggregation="ratio",
        multiplier=100.0,
        decimals=1,
        unit="%",
        direction="increase",
    )

    def check(text: str):
        return analyst, services.check_file(
            by=analyst,
            organisation=world["system"],
            filename="data.csv",
            data=text.encode(),
        )

    return check


def _messages(batch) -> str:
    return " | ".join(f"{e['row']}:{e['column']}:{e['message']}" for e in batch.errors)


def test_uk_dates_and_month_names_are_read_and_the_reading_is_shown(upload):
    analyst, batch = upload(
        "measure,org_code,month,value\n"
        "harm-free,RAA,01/02/2016,97.5\n"
        "harm-free,RAA,Mar-16,96.0\n"
        "harm-free,RAA,April 2016,98.1\n"
    )
    assert batch.status == ImportBatch.Status.PREVIEWED, _messages(batch)
    said = batch.summary["read_as"]
    assert "01/02/2016 is 1 February 2016, never 2 January" in said
    assert "Mar-16 is March 2016" in said
    services.apply_import(by=analyst, batch=batch)
    assert sorted(
        Observation.objects.filter(measure__code="harm-free").values_list(
            "period", "value"
        )
    ) == [
        (dt.date(2016, 2, 1), 97.5),
        (dt.date(2016, 3, 1), 96.0),
        (dt.date(2016, 4, 1), 98.1),
    ]


def test_a_file_of_us_dates_is_refused_naming_row_and_column(upload):
    _, batch = upload(
        "measure,organisation,period,value\n"
        "harm-free,RAA,02/13/2016,97.5\n"
        "harm-free,RAA,03/01/2016,96.0\n"
    )
    assert batch.status == ImportBatch.Status.REJECTED
    said = _messages(batch)
    assert "2:period:'02/13/2016' is month first (US order)" in said
    assert "3:period:'03/01/2016' could be read day first or month first" in said


def test_a_percentage_rounded_to_one_place_matches_its_parts(upload):
    analyst, batch = upload(
        "measure,organisation,period,value,numerator,denominator\n"
        "harm-free,RAA,2016-04,66.7,2,3\n"
    )
    assert batch.status == ImportBatch.Status.PREVIEWED, _messages(batch)
    services.apply_import(by=analyst, batch=batch)
    # What is kept is the exact figure from the parts, not the rounded one.
    assert Observation.objects.get(measure__code="harm-free").value == pytest.approx(
        200 / 3
    )


def test_a_percentage_outside_its_rounding_is_refused_with_the_tolerance(upload):
    _, batch = upload(
        "measure,organisation,period,value,numerator,denominator\n"
        "harm-free,RAA,2016-04,66.6,2,3\n"
    )
    assert batch.status == ImportBatch.Status.REJECTED
    assert "2:value:value 66.6 does not match numerator ÷ denominator × 100" in (
        _messages(batch)
    )
    assert "which is 66.7 to 1 decimal place" in _messages(batch)


def test_a_percentage_alone_is_accepted_for_a_rate_and_checked(upload):
    _, batch = upload(
        "measure,organisation,period,value\n"
        "harm-free,RAA,2016-04,97.5\n"
        "harm-free,RAA,2016-05,101\n"
    )
    assert batch.status == ImportBatch.Status.REJECTED
    assert _messages(batch) == (
        "3:value:value 101 is more than 100: harm-free is a proportion, which "
        "cannot be more than 100%"
    )


@pytest.fixture
def counted(world):
    return MeasureFactory(
        code="pressure-ulcers",
        name="Pressure ulcers",
        organisation=world["system"],
        aggregation="sum",
        multiplier=1.0,
        decimals=0,
        unit="cases",
    )


def test_a_wide_file_with_uk_dates_loads_each_column_as_its_measure(upload, counted):
    analyst, batch = upload(
        "Date,org_code,Harm-free,Pressure Ulcers\n"
        "01/04/2016,RAA,97.5,3\n"
        "01/05/2016,RAA,,4\n"
        "01/06/2016,RAA,98.0,\n"
    )
    assert batch.status == ImportBatch.Status.PREVIEWED, _messages(batch)
    said = batch.summary["read_as"]
    assert "one column per measure: 'Harm-free' is harm-free; 'Pressure Ulcers'" in said
    assert "01/04/2016 is 1 April 2016" in said
    assert (batch.rows, batch.added) == (4, 4)  # blank cells are months with no figure
    services.apply_import(by=analyst, batch=batch)
    stored = sorted(
        Observation.objects.filter(
            measure__code__in=["harm-free", "pressure-ulcers"]
        ).values_list("measure__code", "period", "value")
    )
    assert stored == [
        ("harm-free", dt.date(2016, 4, 1), 97.5),
        ("harm-free", dt.date(2016, 6, 1), 98.0),
        ("pressure-ulcers", dt.date(2016, 4, 1), 3.0),
        ("pressure-ulcers", dt.date(2016, 5, 1), 4.0),
    ]


def test_a_wide_files_problems_name_the_row_and_its_own_column_heading(upload, counted):
    _, batch = upload(
        "month,Harm-free,Pressure ulcers\nApr-16,97.5,2.5\nMay-16,lots,4\n"
    )
    assert batch.status == ImportBatch.Status.REJECTED
    assert _messages(batch) == (
        "2:Pressure ulcers:value 2.5 is not a whole number: pressure-ulcers is a "
        "count | 3:Harm-free:'lots' in value is not a number"
    )


def test_a_wide_files_unknown_headings_are_refused_with_a_suggestion(upload, counted):
    _, batch = upload("period,Harm free %,Pressure ulcer\n2016-04,97.5,3\n")
    assert batch.status == ImportBatch.Status.REJECTED
    said = _messages(batch)
    assert "1:Harm free %:column 'Harm free %' is not one of your measures" in said
    assert "did you mean 'pressure-ulcers'?" in said


def test_the_making_data_count_tools_layout_is_read_below_its_title(upload, counted):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Making Data Count: SPC data"])
    sheet.append([])
    sheet.append(["Date", "Pressure ulcers"])
    sheet.append([dt.datetime(2016, 4, 1), 3])
    sheet.append([dt.datetime(2016, 5, 1), "x"])
    out = io.BytesIO()
    book.save(out)
    analyst = MembershipFactory(organisation=counted.organisation, role="analyst").user
    batch = services.check_file(
        by=analyst,
        organisation=counted.organisation,
        filename="mdc.xlsx",
        data=out.getvalue(),
    )
    # Rows are numbered as the sheet shows them, under the title.
    assert _messages(batch) == "5:Pressure ulcers:'x' in value is not a number"
