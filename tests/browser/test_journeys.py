"""The main journeys, in a real browser."""

from __future__ import annotations

import re

import pytest

from qualitas.web.measures.models import Annotation, ImportBatch, Observation
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_sign_in_report_measure_and_annotate(page, demo):
    sign_in(page, "qi-lead")
    page.get_by_role(
        "link",
        name="Integrated quality report for Bradford Teaching Hospitals NHS Foundation Trust",
    ).click()
    page.get_by_role("heading", name=re.compile("Integrated quality report")).wait_for()
    # Concerns come first: the first group heading is about special cause concern.
    first_group = page.locator("tr.table-group").first.inner_text()
    assert "concern" in first_group.lower() or "failing" in first_group.lower()

    page.get_by_role("link", name="Inpatient falls per 1,000 bed days").click()
    page.get_by_role(
        "heading", name="Inpatient falls per 1,000 bed days", level=1
    ).wait_for()
    # The interactive chart is drawn (vega-embed puts an SVG in the chart element).
    page.locator("#spc-chart svg").first.wait_for()
    assert page.get_by_role(
        "heading", name="Consistently passing the target"
    ).is_visible()

    # Hovering a point shows the rule that fired.
    point = page.locator("#spc-chart path[role='graphics-symbol']").last
    point.hover()
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible")
    assert "What it shows" in tooltip.inner_text()

    page.get_by_label("Month").fill("2025-08")
    page.get_by_label("What happened").fill("Falls champion started on Ward 21")
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Your note has been added to the chart.").wait_for()
    assert page.get_by_text("Falls champion started on Ward 21").is_visible()
    page.locator(
        "#spc-chart svg"
    ).first.wait_for()  # the chart is redrawn with the note
    assert Annotation.objects.filter(text="Falls champion started on Ward 21").exists()


def test_upload_a_file_with_an_error_see_it_and_fix_it(page, demo, tmp_path):
    sign_in(page, "analyst")
    page.get_by_role("link", name="Data in").click()
    bad = tmp_path / "falls.csv"
    bad.write_text(
        "measure,organisation,period,numerator,denominator\n"
        "falls-per-1000-bed-days,RAE,2025-10,40,21000\n"
        "falls-per-1000-bed-days,RWY,2025-10,forty,19000\n"
    )
    before = Observation.objects.count()
    page.get_by_label("The data are for").select_option("QWO")
    page.get_by_label("CSV or Excel file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("heading", name="The file has problems").wait_for()
    assert page.get_by_text("Nothing has been changed").is_visible()
    row = page.locator("table tbody tr").first.inner_text()
    assert "3" in row
    assert "'forty' in numerator is not a number" in row
    assert Observation.objects.count() == before

    page.get_by_role("link", name="Upload a corrected file").click()
    good = tmp_path / "falls-fixed.csv"
    good.write_text(bad.read_text().replace("forty", "40"))
    page.get_by_label("The data are for").select_option("QWO")
    page.get_by_label("CSV or Excel file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("heading", name="Check and apply").wait_for()
    assert page.get_by_text("2 rows, all correct.").is_visible()
    page.get_by_role("button", name="Apply 2 rows").click()
    page.get_by_text("Done: 2 new values added.").wait_for()
    assert Observation.objects.count() == before + 2

    # The same file again updates those periods, and says so.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Data in"
    ).click()
    page.get_by_label("The data are for").select_option("QWO")
    page.get_by_label("CSV or Excel file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    assert page.get_by_text(
        re.compile("2 values for periods already loaded")
    ).is_visible()
    page.get_by_role("button", name="Apply 2 rows").click()
    page.get_by_text("0 new values added and 2 earlier values updated").wait_for()
    assert ImportBatch.objects.filter(status="applied", updated=2).exists()


def test_outsider_cannot_reach_another_organisations_measures_by_url(page, demo):
    sign_in(page, "outsider")
    for url in (
        "/board/RAE/",
        "/measures/falls-per-1000-bed-days/at/RAE/",
        "/measures/falls-per-1000-bed-days/",
        "/board/QWO/report.csv",
        "/measures/falls-per-1000-bed-days/at/RAE/entry/",
    ):
        response = page.goto(url)
        assert response.status == 404, url
        assert page.get_by_role("heading", name="Page not found").is_visible()
        assert "Bradford" not in page.content()
    # Their own organisation's report works.
    response = page.goto("/board/RJR/")
    assert response.status == 200
