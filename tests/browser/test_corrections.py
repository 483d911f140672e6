"""Putting a wrong value right, in a real browser: a team member corrects a value
from the measure's data page, and the chart says so."""

from __future__ import annotations

import re

import pytest

from qualitas.web.measures.models import Correction, Observation
from qualitas.web.organisations.models import Membership
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

REASON = "The ward tally counted two falls twice."


def test_team_corrects_a_value_and_the_chart_notes_it(page, demo):
    org = Membership.objects.filter(user__username="team").first().organisation
    obs = (
        Observation.objects.totals()
        .filter(organisation=org, numerator__gte=1)
        .select_related("measure")
        .order_by("-period")
        .first()
    )
    measure = obs.measure
    sign_in(page, "team")
    page.goto(f"/measures/{measure.code}/at/{org.ods_code}/")
    page.get_by_role("link", name="See or correct the data").click()
    page.get_by_role("heading", name="The data behind the chart").wait_for()
    page.get_by_role(
        "link", name=f"Correct or withdraw {obs.period:%B %Y}", exact=True
    ).click()
    page.get_by_role("heading", name=re.compile("Correct or withdraw")).wait_for()
    page.get_by_label(re.compile("^Numerator")).fill(f"{obs.numerator - 1:g}")
    page.get_by_label(re.compile("^Denominator")).fill(f"{obs.denominator:g}")
    page.get_by_label("Why").fill(REASON)
    page.get_by_role("button", name="Save the change").click()
    page.get_by_text("has been corrected to").wait_for()
    assert page.get_by_text(REASON).is_visible()  # in the corrections history

    page.goto(f"/measures/{measure.code}/at/{org.ods_code}/")
    page.locator("#spc-chart svg").first.wait_for()
    assert page.get_by_role("heading", name="Corrected values").is_visible()
    assert page.get_by_text(REASON).is_visible()
    change = Correction.objects.get()
    assert change.old_numerator == obs.numerator
    assert change.new_numerator == obs.numerator - 1
