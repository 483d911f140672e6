"""Nothing wrong gets in (issue 12): decimal commas, impossible values, every problem of
a row at once, extra cells, damaged workbooks; through the upload, the API and the
pages that say what each measure needs."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qualitas.web.accounts.services import create_api_token
from qualitas.web.measures import services
from qualitas.web.measures.models import ImportBatch, Measure, Observation
from tests.web.factories import MeasureFactory, MembershipFactory


@pytest.fixture
def analyst(world):
    return MembershipFactory(organisation=world["system"], role="analyst").user


def _check(world, analyst, data: str | bytes, filename="data.csv"):
    raw = data.encode() if isinstance(data, str) else data
    return services.check_file(
        by=analyst, organisation=world["system"], filename=filename, data=raw
    )


def _errors(batch) -> list[tuple[int | None, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in batch.errors]


def test_a_semicolon_file_with_decimal_commas_stores_four_and_a_half(world, analyst):
    batch = _check(
        world,
        analyst,
        "measure;organisation;period;numerator;denominator\n"
        "falls;RAA;2025-01;4,5;9000\nfalls;RAA;2025-02;5,25;9000\n",
    )
    assert batch.status == ImportBatch.Status.PREVIEWED, _errors(batch)
    assert batch.summary["read_as"] == (
        "Read as semicolon-separated with decimal commas (4,5 is four and a half)."
    )
    services.apply_import(by=analyst, batch=batch)
    stored = Observation.objects.filter(
        organisation__ods_code="RAA", period__year=2025, period__month__lte=2
    ).order_by("period")
    assert list(stored.values_list("numerator", flat=True)) == [4.5, 5.25]


def test_the_preview_says_how_the_file_was_read(world, analyst, client_for):
    batch = _check(
        world,
        analyst,
        "measure;organisation;period;numerator;denominator\nfalls;RAA;2025-01;4,5;9000\n",
    )
    page = client_for(analyst).get(reverse("data:batch", args=[batch.pk]))
    assert "Read as semicolon-separated with decimal commas" in page.content.decode()


@pytest.mark.parametrize(
    ("body", "cell"),
    [
        # A comma-separated file: a quoted 4,5 is never 45.
        (
            'measure,organisation,period,numerator,denominator\nfalls,RAA,2025-01,"4,5",9000\n',
            "4,5",
        ),
        (
            'measure,organisation,period,numerator,denominator\nfalls,RAA,2025-01,"1,2,3",9000\n',
            "1,2,3",
        ),
        # Decimal commas and points in one file: neither is trusted.
        (
            "measure;organisation;period;numerator;denominator\nfalls;RAA;2025-01;4,5;9000.5\n",
            "4,5",
        ),
    ],
    ids=["comma-file", "three-parts", "mixed-marks"],
)
def test_numbers_that_could_be_misread_are_refused_by_row_and_column(
    world, analyst, body, cell
):
    before = Observation.objects.count()
    batch = _check(world, analyst, body)
    assert batch.status == ImportBatch.Status.REJECTED
    row, column, message = _errors(batch)[0]
    assert (row, column) == (2, "numerator")
    assert f"'{cell}' in numerator" in message
    assert Observation.objects.count() == before


@pytest.fixture
def kinds(world):
    """A proportion and a count, beside the world's rate (falls)."""
    MeasureFactory(
        code="hand-hygiene",
        organisation=world["system"],
        multiplier=100.0,
        unit="% compliant",
    )
    MeasureFactory(
        code="c-diff",
        organisation=world["system"],
        aggregation=Measure.Aggregation.SUM,
        multiplier=1.0,
        decimals=0,
        unit="cases",
        numerator="",
        denominator="",
    )
    MeasureFactory(
        code="bed-days",
        organisation=world["system"],
        aggregation=Measure.Aggregation.SUM,
        frequency=Measure.Frequency.QUARTERLY,
        multiplier=1.0,
        decimals=0,
        unit="bed days",
    )


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("c-diff,RAA,2025-01,-2,,", "value", "value -2 is negative: c-diff is a count"),
        ("c-diff,RAA,2025-01,2.5,,", "value", "is not a whole number"),
        (
            "hand-hygiene,RAA,2025-01,,150,100",
            "numerator",
            "numerator 150 is more than denominator 100",
        ),
        ("falls,RAA,2027-05,,4,9000", "period", "May 2027 is in the future"),
        ("falls,RAA,2025-01-45,,4,9000", "period", "January 2025 has 31 days"),
        ("bed-days,RAA,2025-02,30,,", "period", "is not the start of a quarter"),
        (
            "falls,RAA,2025-01,,4,inf",
            "denominator",
            "'inf' in denominator is not a finite",
        ),
    ],
    ids=[
        "negative-count",
        "fractional-count",
        "over-100-percent",
        "future-month",
        "day-45",
        "not-a-quarter",
        "infinite",
    ],
)
def test_impossible_values_are_refused_naming_row_and_column(
    world, analyst, kinds, row, column, message
):
    body = "measure,organisation,period,value,numerator,denominator\n"
    body += "falls,RAA,2025-03,,4,9000\n" + row + "\n"
    batch = _check(world, analyst, body)
    assert batch.status == ImportBatch.Status.REJECTED
    assert [(r, c) for r, c, _ in _errors(batch)] == [(3, column)]
    assert message in _errors(batch)[0][2]


def test_every_problem_of_a_row_is_listed_at_once(world, analyst, kinds):
    batch = _check(
        world,
        analyst,
        "measure,organisation,period,numerator,denominator\n"
        "hand-hygiene,RAA,2025-02-30,x,-5\n",
    )
    assert [(r, c) for r, c, _ in _errors(batch)] == [
        (2, "period"),
        (2, "numerator"),
        (2, "denominator"),
    ]


def test_a_row_with_an_extra_cell_is_named_not_shifted(world, analyst):
    # An unquoted decimal comma splits 4,5 into two cells: the row is reported as
    # too long, not read as numerator 4, denominator 5, nor shifted ("unknown
    # measure 'RAA'").
    batch = _check(
        world,
        analyst,
        "measure,organisation,period,numerator,denominator\n"
        "falls,RAA,2025-01,4,5,9000\nfalls,RAA,2025-02,4,9000\n",
    )
    assert batch.status == ImportBatch.Status.REJECTED
    assert _errors(batch) == [
        (
            2,
            "",
            "row 2 has 6 cells but the header has 5: check for a comma in a text cell "
            "or a number, or a cell typed past the last column",
        )
    ]


def test_a_damaged_workbook_gets_a_message_not_an_error_page(
    world, analyst, client_for
):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["measure", "organisation", "period", "value"])
    buf = io.BytesIO()
    book.save(buf)
    whole = buf.getvalue()
    # A workbook cut short, and one whose sheet is not XML.
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole)) as src, zipfile.ZipFile(broken, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            out.writestr(
                item, b"<not xml" if "worksheets/sheet" in item.filename else data
            )
    client = client_for(analyst)
    for data in (whole[: len(whole) // 2], broken.getvalue()):
        response = client.post(
            reverse("data:upload"),
            {
                "organisation": "QAA",
                "file": SimpleUploadedFile("data.xlsx", data),
            },
            follow=True,
        )
        assert response.status_code == 200
        assert "could not be read as an Excel workbook" in response.content.decode()


def test_the_api_refuses_text_with_a_comma_and_takes_json_numbers(world, client):
    analyst = MembershipFactory(organisation=world["system"], role="analyst").user
    _, raw = create_api_token(by=analyst, name="pipeline")

    def load(numerator):
        return client.post(
            reverse("api:load"),
            {
                "organisation": "QAA",
                "observations": [
                    {
                        "measure": "falls",
                        "organisation": "RAA",
                        "period": "2025-01",
                        "numerator": numerator,
                        "denominator": 9000,
                    }
                ],
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )

    for text in ("1,5", "1,2,3"):
        response = load(text)
        assert response.status_code == 400
        (error,) = response.json()["errors"]
        assert (error["row"], error["column"]) == (1, "numerator")
        assert "send numbers as JSON numbers" in error["message"]
    assert load(1.5).status_code == 201
    assert (
        Observation.objects.get(
            organisation__ods_code="RAA", period="2025-01-01", breakdown="", unit=None
        ).numerator
        == 1.5
    )


def test_the_template_and_upload_page_say_which_measures_need_two_numbers(
    world, analyst, kinds, client_for
):
    client = client_for(analyst)
    template = client.get(reverse("data:template")).content.decode().splitlines()
    rows = {line.split(",")[0]: line for line in template[1:]}
    assert rows["falls"].endswith(",,[Falls],[Occupied bed days],,,")
    assert "[value (a whole number, 0 or more)]" in rows["c-diff"]
    # Uploaded unchanged, the example loads nothing.
    batch = _check(world, analyst, "\n".join(template) + "\n")
    assert batch.status == ImportBatch.Status.REJECTED
    for name in ("data:index", "data:upload"):
        page = client.get(reverse(name)).content.decode()
        assert "What each measure needs" in page
        assert (
            "numerator and denominator (the numerator no more than the denominator)"
            in page
        )


def test_text_with_a_comma_in_a_workbook_is_refused_as_text(world, analyst):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(
        ["measure", "organisation", "period", "numerator", "denominator"]
    )
    book.active.append(["falls", "RAA", "2025-01", "4,5", 9000])
    buf = io.BytesIO()
    book.save(buf)
    batch = _check(world, analyst, buf.getvalue(), "data.xlsx")
    assert batch.status == ImportBatch.Status.REJECTED
    ((row, column, message),) = _errors(batch)
    assert (row, column) == (2, "numerator")
    assert "'4,5' in numerator is text, not a number" in message
