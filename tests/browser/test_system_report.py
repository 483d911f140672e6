"""The ICB analyst opens the system report and a cell of it, in a real browser; a
trust's board member sees their own trust's cells, and other trusts' only where the
figures are published or shared, which open the comparison instead of a chart."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_icb_analyst_opens_the_system_report_and_a_cell(page, demo):
    sign_in(page, "analyst")
    page.get_by_role(
        "link", name="System report for NHS West Yorkshire Integrated Care Board"
    ).click()
    page.get_by_role("heading", name=re.compile("System report"), level=1).wait_for()
    # Every organisation of the system is a column, and every cell is drawn.
    headers = page.locator("table.system-grid thead th").all_inner_texts()
    assert any("Bradford Teaching Hospitals" in h for h in headers)
    assert any("Leeds Teaching Hospitals" in h for h in headers)
    assert page.get_by_text("Not shared with you").count() == 0
    # Concerns and failing targets lead: the first group is one of them.
    first_group = page.locator("tr.table-group").first.inner_text().lower()
    assert "concern" in first_group or "failing" in first_group
    # The icons are drawn from the symbols written once on the page.
    icon = page.locator("td.cell svg.icon").first
    assert icon.bounding_box()["width"] > 10
    # A cell opens that organisation's chart of the measure.
    cell = page.locator("a.cell-icons[href*='/at/RAE/']").first
    label = cell.get_attribute("title")
    assert "Bradford Teaching Hospitals NHS Foundation Trust" in label
    measure_name = label.split(" at Bradford")[0]
    cell.click()
    page.get_by_role("heading", name=measure_name, level=1).wait_for()
    assert "/at/RAE/" in page.url


def test_a_trust_board_member_sees_their_trust_and_what_is_shared(page, demo):
    sign_in(page, "board")
    page.get_by_role(
        "link", name="System report for NHS West Yorkshire Integrated Care Board"
    ).click()
    page.get_by_role("heading", name=re.compile("System report"), level=1).wait_for()
    links = page.locator("a.cell-icons")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    # Only their own trust's cells open a chart; other trusts' cells drawn from
    # published or shared figures open the measure's comparison instead.
    charts = [h for h in hrefs if "/at/" in h]
    assert charts
    assert all("/at/RAE/" in h for h in charts)
    compares = [h for h in hrefs if "/at/" not in h]
    # The demo shares the ICB's measures within the system and publishes A&E.
    assert compares
    assert all("/compare/?focus=" in h for h in compares)
    assert page.get_by_role("link", name="Download CSV").is_visible()
    page.locator("a.cell-icons[href*='/compare/?focus=RR8']").first.click()
    page.wait_for_url("**/compare/?focus=RR8")
    page.get_by_role("heading", level=1).wait_for()
