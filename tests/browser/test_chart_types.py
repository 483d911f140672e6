"""Issue 13's journeys in a real browser: a new user creates a measure of each kind (a
weekly run chart for a ward project, a g chart of days between falls with harm, a p
chart with varying denominators and a monthly XmR), uploads its data, and sees it on
its measure page, in the integrated report, in a frozen meeting report, in the PDF and
PowerPoint packs and through the API."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from qualitas.web.meetings.models import Meeting
from tests.browser.conftest import sign_in
from tests.browser.test_governance_journeys import _prepare_and_download
from tests.reports.poppler import page_count, page_text, require_poppler

pytestmark = pytest.mark.browser

ODS = "RWQ"
RNG = np.random.default_rng(13)
MONDAYS = pd.date_range("2026-06-01", periods=24, freq="W-MON")
MONTHS = pd.date_range("2024-11-01", periods=24, freq="MS")


@dataclass(frozen=True)
class Journey:
    form: dict[str, str]  # the measure form's fields, by label
    csv: str
    on_page: str  # what the measure page says about this chart


def _csv(code: str, rows: list[tuple[str, ...]], columns: str) -> str:
    return "\n".join(
        [f"measure,organisation,period,{columns}"]
        + [",".join((code, ODS, *r)) for r in rows]
    )


def _journeys() -> dict[str, Journey]:
    falls = [3, 4, 2, 5, 3, 4, 3, 2, 4, 3, 5, 4, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0]
    harm_days = pd.to_datetime(
        [
            "2025-01-09",
            "2025-03-02",
            "2025-03-30",
            "2025-06-11",
            "2025-08-01",
            "2025-10-17",
            "2026-01-05",
            "2026-03-21",
            "2026-07-02",
            "2026-10-28",
        ]
    )
    screened_den = RNG.integers(20, 140, len(MONTHS))
    screened = RNG.binomial(screened_den, 0.85)
    wait = np.round(RNG.normal(210, 12, len(MONTHS)), 1)
    base = {"Domain": "safe", "Type": "outcome", "Owner": "Ward manager"}
    return {
        "run": Journey(
            {
                **base,
                "Code": "ward-7-falls",
                "Name": "Ward 7 falls each week",
                "Unit": "falls",
                "Decimals": "0",
                "Chart type": "run",
                "Frequency": "weekly",
                "Aggregation": "sum",
                "Improvement direction": "decrease",
            },
            _csv(
                "ward-7-falls",
                [
                    (d.date().isoformat(), str(v))
                    for d, v in zip(MONDAYS, falls, strict=True)
                ],
                "value",
            ),
            "A run of",
        ),
        "g": Journey(
            {
                **base,
                "Code": "falls-with-harm",
                "Name": "Falls with harm",
                "Unit": "falls with harm",
                "Decimals": "0",
                "Chart type": "g",
                "Frequency": "events",
                "Aggregation": "sum",
                "Improvement direction": "decrease",
            },
            _csv(
                "falls-with-harm",
                [(d.date().isoformat(), "1") for d in harm_days],
                "value",
            ),
            "days since the event before",
        ),
        "p": Journey(
            {
                **base,
                "Code": "sepsis-screening",
                "Name": "Sepsis screening within an hour",
                "Unit": "%",
                "Multiplier": "100",
                "Decimals": "1",
                "Chart type": "p",
                "Frequency": "monthly",
                "Aggregation": "ratio",
                "Improvement direction": "increase",
            },
            _csv(
                "sepsis-screening",
                [
                    (d.strftime("%Y-%m"), str(n), str(t))
                    for d, n, t in zip(MONTHS, screened, screened_den, strict=True)
                ],
                "numerator,denominator",
            ),
            "Common cause variation",
        ),
        "xmr": Journey(
            {
                **base,
                "Code": "ed-median-wait",
                "Name": "Median wait in the emergency department",
                "Unit": "minutes",
                "Decimals": "1",
                "Chart type": "xmr",
                "Frequency": "monthly",
                "Aggregation": "mean",
                "Improvement direction": "decrease",
            },
            _csv(
                "ed-median-wait",
                [
                    (d.strftime("%Y-%m"), str(v))
                    for d, v in zip(MONTHS, wait, strict=True)
                ],
                "value",
            ),
            "Common cause variation",
        ),
    }


SELECTS = {
    "Domain",
    "Type",
    "Chart type",
    "Frequency",
    "Aggregation",
    "Improvement direction",
}


@pytest.fixture
def newcomer(transactional_db):
    """A trust with a new user who may define measures, load data and prepare
    meetings, and a committee with a meeting to come."""
    from qualitas.web.meetings import services as meetings
    from tests.web import factories as f

    trust = f.OrganisationFactory(name="Wardside Hospital", ods_code=ODS)
    user = f.MembershipFactory(organisation=trust, role="administrator").user
    user.set_password("a-long-enough-password")
    user.save()
    committee = meetings.create_committee(
        by=user, organisation=trust, name="Quality Committee", kind="committee"
    )
    meeting = meetings.schedule_meeting(
        by=user,
        committee=committee,
        date=dt.date(2026, 11, 26),
        data_cut=dt.date(2026, 11, 1),
    )
    return user, meeting


@pytest.mark.parametrize("kind", ["run", "g", "p", "xmr"])
def test_a_new_user_charts_a_measure_of_each_kind_everywhere(
    page, newcomer, kind, tmp_path
):
    require_poppler()
    user, meeting = newcomer
    journey = _journeys()[kind]
    name = journey.form["Name"]
    code = journey.form["Code"]
    sign_in(page, user.username, "a-long-enough-password")

    # Define the measure.
    page.goto("/measures/new/")
    for label, value in journey.form.items():
        field = page.get_by_label(label, exact=True)
        if label in SELECTS:
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_label("Operational definition", exact=True).fill("Counted as defined.")
    page.get_by_label("Data source", exact=True).fill("Ward records")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name=name, level=1).wait_for()

    # Upload its data.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Data in"
    ).click()
    data = tmp_path / f"{code}.csv"
    data.write_text(journey.csv)
    page.get_by_label("The data are for").select_option(ODS)
    page.get_by_label("CSV or Excel file").set_input_files(str(data))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("heading", name="Check and apply").wait_for()
    page.get_by_role("button", name=re.compile(r"^Apply \d+ rows")).click()
    page.get_by_text(re.compile("Done: \\d+ new values added")).wait_for()

    # The measure page draws its chart.
    page.goto(f"/measures/{code}/at/{ODS}/")
    page.get_by_role("heading", name=name, level=1).wait_for()
    page.locator("#spc-chart svg").first.wait_for()
    assert journey.on_page in page.content()

    # The integrated report has its row.
    page.goto(f"/board/{ODS}/")
    row = page.locator("tr", has=page.get_by_role("link", name=name))
    row.wait_for()
    if kind == "run":
        assert "Run chart:" in row.inner_text()

    # A frozen meeting report keeps it, and draws its chart.
    page.goto(f"/meetings/{meeting.pk}/")
    page.get_by_label("Data to").fill("2026-11")
    page.get_by_role("button", name="Freeze the report").click()
    page.get_by_text(
        re.compile("The report is frozen with data to November 2026")
    ).wait_for()
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name=name, level=1).wait_for()
    page.locator("#spc-chart svg").first.wait_for()
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert [r["code"] for r in meeting.snapshot.rows] == [code]

    # The PDF and PowerPoint packs show it.
    page.goto(f"/meetings/{meeting.pk}/")
    pdf_download = _prepare_and_download(page, "Prepare the board pack (PDF)")
    pdf = tmp_path / "pack.pdf"
    pdf_download.save_as(pdf)
    text = " ".join(
        " ".join(page_text(pdf, p, layout=False).split())
        for p in range(1, page_count(pdf) + 1)
    )
    assert name in text
    pptx = _prepare_and_download(page, "Prepare as PowerPoint")
    from pptx import Presentation

    deck = Presentation(io.BytesIO(pptx.path().read_bytes()))
    slides_text = "\n".join(
        s.text_frame.text
        for slide in deck.slides
        for s in slide.shapes
        if s.has_text_frame
    )
    assert name in slides_text

    # And the API gives the chart.
    from qualitas.web.accounts import services as accounts

    _, secret = accounts.create_api_token(by=user, name="journey")
    response = page.request.get(
        f"/api/v1/measures/{code}/spc?organisation={ODS}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status == 200
    body = response.json()
    assert body["chart_type"] == kind
    assert body["points"]
    if kind == "run":
        assert body["variation"] is None
        assert "median" in body["signal"]
    else:
        assert body["variation"]
