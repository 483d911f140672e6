"""Comparing organisations in the demo, in a real browser: a trust's finance lead, a
trust board member and the ICB analyst each compare on the shipped published data
with England and with their system, see who is outside the limits and why, and
(where their role may) start a claim whose money is the chart's."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _compare(page, code: str, **choices: str) -> None:
    page.goto(f"/measures/{code}/")
    page.get_by_role("link", name="Compare organisations on this measure").click()
    page.get_by_role(
        "heading", name=re.compile("compare organisations"), level=1
    ).wait_for()
    for label, value in choices.items():
        page.get_by_label(label).select_option(value)
    if choices:
        page.get_by_role("button", name="Compare", exact=True).click()
    page.locator("#funnel-chart svg").first.wait_for()


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("£", "").strip())


def test_finance_lead_compares_with_england_and_starts_a_claim(page, demo):
    sign_in(page, "finance")
    page.goto("/measures/ae-4-hour/compare/")
    page.get_by_label("Compare with").select_option("england")
    page.get_by_label("Opportunity against").select_option("target")
    page.get_by_label("Limits that mark an outlier").select_option("95")
    page.get_by_label("Cost of one event (£)").fill("200")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.locator("#funnel-chart svg").first.wait_for()
    heading = page.locator("h2").first.inner_text()
    assert "organisation in England" in heading
    where = page.locator("#where-am-i").inner_text()
    assert "Bradford Teaching Hospitals" in where
    # Who is outside the limits, and why: ratio, z-score and limits at its size.
    outside = page.locator("#outside-table tbody tr")
    assert outside.count() > 0
    assert "beyond chance" in outside.first.inner_text()
    # The claim link of the reader's own trust carries this comparison.
    row = page.locator("table.opportunities tbody tr.highlight")
    shown = _number(row.locator("td.num strong").first.inner_text())
    money = _number(row.locator("td.num strong").nth(1).inner_text())
    assert shown > 0
    row.get_by_role("link", name=re.compile("Start a light green claim")).click()
    page.get_by_role("heading", name="Make a claim", level=1).wait_for()
    assert "Filled in from the funnel plot" in page.locator(".inset").first.inner_text()
    quantity = _number(page.get_by_label("Capacity or events").input_value())
    assert quantity == pytest.approx(shown, abs=0.6)
    amount = _number(page.get_by_label("Light green estimate (£)").input_value())
    assert amount == pytest.approx(money, abs=1.0)
    method = page.get_by_label("How the estimate was made").input_value()
    assert "every organisation in England" in method
    assert "95% interval" in method
    page.get_by_label("Cost avoided").check()
    page.get_by_label("The action that would make it real").fill(
        "Fewer 4-hour breaches: fewer escalation beds opened"
    )
    page.get_by_label("Owner").fill("Chief Operating Officer")
    page.get_by_role("button", name="Add to the ledger").click()
    page.get_by_text("is in the ledger as light green").wait_for()


def test_board_member_compares_with_the_system_and_with_england(page, demo):
    sign_in(page, "board")
    _compare(page, "cancer-62-day")
    assert (
        "organisations of NHS West Yorkshire" in page.locator("h2").first.inner_text()
    )
    rows = page.locator("table.opportunities tbody tr")
    system_count = rows.count()
    assert 3 <= system_count < 20
    _compare(page, "cancer-62-day", **{"Compare with": "england"})
    assert page.locator("table.opportunities tbody tr").count() > 100
    assert "Bradford Teaching Hospitals" in page.locator("#where-am-i").inner_text()
    assert page.get_by_role(
        "heading", name=re.compile("Outside the limits")
    ).is_visible()
    # How it was worked out, in plain words.
    assert (
        "limits"
        in page.get_by_role("heading", name="How to read it")
        .locator("xpath=following-sibling::p[1]")
        .inner_text()
    )
    # A board member reads but does not make claims.
    assert (
        page.get_by_role("link", name=re.compile("Start a light green claim")).count()
        == 0
    )
    # The position of the trust over time, as an SPC chart of its z-score.
    page.locator("table.opportunities tbody tr.highlight a").first.click()
    page.locator("#position-chart svg").first.wait_for()


def test_icb_analyst_compares_bed_occupancy_and_opens_the_ledger(page, demo):
    sign_in(page, "analyst")
    _compare(page, "bed-occupancy", **{"Compare with": "england"})
    assert page.locator("table.opportunities tbody tr").count() > 100
    _compare(page, "bed-occupancy", **{"Compare with": "system"})
    names = page.locator(
        "table.opportunities tbody tr td:first-child a"
    ).all_inner_texts()
    assert any("Leeds Teaching Hospitals" in n for n in names)
    # The value ledger's opportunities are the same comparison.
    page.goto("/value/at/QWO/opportunities/")
    page.get_by_label("Measure").select_option("ae-4-hour")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.locator("#funnel-chart svg").first.wait_for()
    assert "has numerators and denominators" not in page.content()
    assert page.locator("table.opportunities tbody tr").count() >= 3
