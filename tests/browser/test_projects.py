"""An improvement project from start to learning, in a real browser: create a project,
draw its driver diagram, plan a PDSA cycle with a prediction, run and study it, see it
on the measure's chart, and find what was learnt in the search."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from qualitas.web.measures.models import Measure
from qualitas.web.projects.models import PDSACycle, Project
from tests.browser.conftest import sign_in
from tests.web.conftest import world  # noqa: F401
from tests.web.projects.conftest import pworld  # noqa: F401

pytestmark = pytest.mark.browser


def test_project_driver_diagram_pdsa_chart_and_search(page, demo):
    sign_in(page, "team")
    page.get_by_role("link", name="Projects", exact=True).click()
    page.get_by_role("heading", name="Improvement projects").wait_for()
    page.get_by_role("link", name="Start a project").click()

    page.get_by_label("Title").fill("Safer nights on Ward 21")
    page.get_by_label("What we will achieve").fill("Reduce falls at night")
    falls = Measure.objects.get(code="falls-per-1000-bed-days")
    page.get_by_label("Outcome measure", exact=True).select_option(value=str(falls.pk))
    page.get_by_label("How much").fill("5")
    page.get_by_label("By when").fill("2026-03")
    page.get_by_label("Strategic priority").fill("Safe care")
    page.get_by_role("button", name="Start the project").click()

    # The driver diagram, edited in place (htmx): a primary, a secondary, an idea.
    page.get_by_role("heading", name="Safer nights on Ward 21").wait_for()
    editor = page.locator("#diagram-editor")
    page.get_by_label("Driver", exact=True).fill("Patients can call for help")
    page.get_by_role("button", name="Add driver").click()
    editor.get_by_text("Added primary driver").wait_for()
    page.get_by_label("Driver", exact=True).fill("Call bell within reach at night")
    page.get_by_label("Under").select_option(label="Patients can call for help")
    page.get_by_role("button", name="Add driver").click()
    editor.get_by_text("Added secondary driver").wait_for()
    page.get_by_role("textbox", name="Change idea").fill("Night-time bedside check")
    page.get_by_label("– Call bell within reach at night").check()
    page.get_by_role("button", name="Add change idea").click()
    editor.get_by_text("Added change idea").wait_for()
    diagram = page.locator("#driver-diagram svg")
    for text in ("Patients can call for help", "Night-time bedside check"):
        assert diagram.get_by_text(text).count() >= 1

    # Plan a cycle with its prediction, then run it.
    page.get_by_role(
        "link", name="Plan a PDSA cycle for Night-time bedside check"
    ).click()
    page.get_by_label("What will be tested").fill("Bedside check on the night shift")
    page.get_by_label("Question").fill("Will the night team do the check at 2am?")
    page.get_by_label("Prediction").fill("The check will be done for 8 of 10 patients.")
    today = timezone.localdate()
    page.get_by_label("Planned start").fill(today.isoformat())
    page.get_by_label("Planned end").fill((today + dt.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Save the plan").click()
    page.get_by_text("Its prediction is recorded").wait_for()
    # Planned today, so it cannot be entered as started 18 months ago.
    backdated = today - dt.timedelta(days=548)
    page.get_by_label("The test started on").fill(backdated.isoformat())
    page.get_by_role("button", name="Start the test").click()
    page.get_by_text(
        f"The test cannot have started on {backdated:%-d %B %Y}"
    ).first.wait_for()
    page.get_by_label("The test started on").fill(today.isoformat())
    page.get_by_role("button", name="Start the test").click()
    page.get_by_text("Its prediction is now fixed").wait_for()
    assert page.get_by_text("It cannot be changed").is_visible()
    assert page.get_by_text("on the day the test started").is_visible()

    page.get_by_label("The test ended on", exact=True).fill(today.isoformat())
    page.get_by_label("What the data showed").fill(
        "Done for 6 of 10: the 2am round clashed with medicines."
    )
    page.get_by_label("Partly as predicted").check()
    page.get_by_label("What we learnt").fill(
        "Move the bedside check to the 1am comfort round."
    )
    page.get_by_role("button", name="Save the study").click()
    page.get_by_text("The study has been recorded").wait_for()
    page.get_by_label("Adapt: change it and test again").check()
    page.get_by_label("Why, and what next").fill("Test again at the comfort round.")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_role("link", name="Plan the next cycle").wait_for()

    cycle = PDSACycle.objects.get(title="Bedside check on the night shift")
    assert cycle.prediction == "The check will be done for 8 of 10 patients."
    assert cycle.decision == "adapt"
    project = Project.objects.get(title="Safer nights on Ward 21")

    # The measure's own chart shows the cycle, with no one annotating it.
    page.goto("/measures/falls-per-1000-bed-days/at/RAE/")
    page.locator("#spc-chart svg").first.wait_for()
    spec = json.loads(page.locator("#spc-chart").get_attribute("data-chart"))
    cycles = [
        v
        for layer in spec["hconcat"][0]["layer"]
        for sub in [layer, *layer.get("layer", [])]
        for v in (sub.get("data", {}).get("values") or [])
        if "prediction" in v
    ]
    assert any("Bedside check on the night shift" in c["cycle"] for c in cycles)
    label = f"{cycle.change_idea.position}.{cycle.number}"
    page.locator("#spc-chart svg text", has_text=label).first.wait_for()
    assert page.get_by_role("link", name="Safer nights on Ward 21").is_visible()

    # What was learnt can be found.
    page.goto("/projects/learning/")
    page.get_by_label("Search the learning").fill("comfort round")
    page.get_by_role("button", name="Search").click()
    result = page.locator("#results article").first
    result.wait_for()
    assert "Bedside check on the night shift" in result.inner_text()
    marked = [m.lower() for m in result.locator("mark").all_inner_texts()]
    assert "comfort" in marked
    assert "round" in marked
    assert project.team.get().user.username == "team"


def _weekly(measure, organisation, start: dt.date, values: list[float]) -> None:
    from qualitas.web.measures.models import Observation

    Observation.objects.bulk_create(
        Observation(
            measure=measure,
            organisation=organisation,
            period=start + dt.timedelta(weeks=i),
            value=v,
        )
        for i, v in enumerate(values)
    )


def test_a_ward_run_chart_moves_to_a_control_chart_and_shows_the_current_cycle(
    page,
    live_server,
    pworld,  # noqa: F811
):
    from django.conf import settings
    from django.test import Client

    from qualitas.web.projects import services
    from tests.web.factories import MeasureFactory

    lead, project = pworld["people"]["lead"], pworld["project"]
    trust = pworld["trust_a"]
    measure = MeasureFactory(
        name="Bedside checks done",
        code="bedside-checks",
        organisation=trust,
        frequency="weekly",
        aggregation="sum",
        unit="checks",
        multiplier=1.0,
        direction="increase",
    )
    # 16 weeks so far; eight more come in later, the latest four weeks ago.
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    first = monday - dt.timedelta(weeks=27)
    _weekly(measure, trust, first, [12, 14, 11, 13, 15, 12, 14, 13] * 2)
    link = services.link_measure(
        by=lead, project=project, measure=measure, role="process"
    )
    client = Client()
    client.force_login(lead)
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )

    # A new measure starts on its run chart, week by week.
    page.goto(f"/projects/{project.pk}/measures/")
    section = page.locator(f"#m-{link.pk}").locator("xpath=..")
    section.locator(".chart.chart--ready").wait_for()
    assert "16 points so far" in section.inner_text()
    assert "4 more to come" in section.inner_text()
    assert "Run chart with the median: No signal of change" in section.inner_text()
    assert section.get_by_role("button", name="Move to a control chart").count() == 0

    # A PDSA cycle planned today cannot be entered as started 18 months ago.
    cycle = pworld["planned"]
    page.goto(f"/projects/{project.pk}/cycles/{cycle.pk}/")
    backdated = today - dt.timedelta(days=548)
    page.get_by_label("The test started on").fill(backdated.isoformat())
    page.get_by_role("button", name="Start the test").click()
    page.get_by_text(
        f"The test cannot have started on {backdated:%-d %B %Y}"
    ).first.wait_for()
    page.get_by_label("The test started on").fill(today.isoformat())
    page.get_by_role("button", name="Start the test").click()
    page.get_by_text("Its prediction is now fixed").wait_for()

    # Eight more weeks come in: enough for a baseline; the team moves to limits.
    _weekly(measure, trust, first + dt.timedelta(weeks=16), [13, 12, 14] * 2 + [12, 15])
    page.goto(f"/projects/{project.pk}/measures/")
    section = page.locator(f"#m-{link.pk}").locator("xpath=..")
    assert "24 points: enough for a baseline" in section.inner_text()
    section.get_by_label("Why").fill("24 steady weeks before the checklist.")
    section.get_by_role("button", name="Move to a control chart").click()
    page.get_by_text("is now on a control chart").wait_for()
    section = page.locator(f"#m-{link.pk}").locator("xpath=..")
    text = section.inner_text()
    assert "Control chart (XmR chart) since" in text
    assert "24 steady weeks before the checklist." in text
    assert lead.display_name in text

    # The cycle under way shows, though no data have come in since it started.
    label = f"{cycle.change_idea.position}.{cycle.number}"
    assert f"No data yet since cycle {label} started" in text
    chart = section.locator(".chart.chart--ready")
    chart.wait_for()
    chart.locator(
        "svg text", has_text="No data yet since this cycle started"
    ).wait_for()

    # On a phone the chart opens at its newest points (scrolled to the right end).
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    chart = page.locator(f"#m-{link.pk}").locator("xpath=..").locator(".chart")
    chart.and_(page.locator(".chart--ready")).wait_for()
    width, shown, left = chart.evaluate(
        "el => [el.scrollWidth, el.clientWidth, el.scrollLeft]"
    )
    assert width > shown, "the chart fits the phone: nothing to scroll"
    assert left + shown >= width - 1, f"the chart opens at {left} of {width} px"
