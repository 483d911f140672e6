"""A project measure starts on a run chart at any frequency (weekly and daily ward
data), says its run-chart signals in words, and moves to a control chart once there is
a baseline, recording who decided and why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from qualitas.web.audit.models import AuditEvent
from qualitas.web.measures.models import Measure, Observation
from qualitas.web.projects import charts
from qualitas.web.projects import services as s
from qualitas.web.projects.models import ProjectMeasure
from tests.web.factories import MeasureFactory
from tests.web.projects.factories import CycleFactory
from tests.web.projects.test_pages import _cycle_rows

MONDAY = dt.date(2026, 3, 2)


def _ward_measure(pworld, values, *, frequency="weekly", step=7):
    """A measure of the ward's own, with ``values`` one ``step`` days apart, followed
    by the project."""
    measure = MeasureFactory(
        name="Patients with a bedside check",
        code=f"bedside-check-{frequency}",
        organisation=pworld["trust_a"],
        frequency=frequency,
        aggregation=Measure.Aggregation.SUM,
        unit="patients",
        multiplier=1.0,
        direction=Measure.Direction.INCREASE,
    )
    Observation.objects.bulk_create(
        Observation(
            measure=measure,
            organisation=pworld["trust_a"],
            period=MONDAY + dt.timedelta(days=step * i),
            value=float(v),
        )
        for i, v in enumerate(values)
    )
    return s.link_measure(
        by=pworld["people"]["lead"],
        project=pworld["project"],
        measure=measure,
        role="process",
    )


STABLE = [12, 14, 11, 13, 15, 12, 14, 13, 11, 14, 12, 15]


def test_a_new_project_measure_starts_on_a_weekly_run_chart(pworld):
    link = _ward_measure(pworld, STABLE)
    assert link.chart == ProjectMeasure.Chart.RUN
    spec = charts.measure_chart(link, [])
    chart = spec["hconcat"][0]
    periods = [v["period"] for v in chart["data"]["values"]]
    assert periods[0] == "2026-03-02T00:00:00"
    assert periods[1] == "2026-03-09T00:00:00"
    assert len(periods) == len(STABLE)
    # A median, no control limits.
    rows = chart["data"]["values"]
    assert {r["cl"] for r in rows} == {13.0}
    assert all(r["ucl"] is None and r["lcl"] is None for r in rows)
    assert spec["usermeta"]["signal"].startswith("No signal of change")
    assert spec["description"].startswith("Run chart of Patients with a bedside check")


def test_a_shift_on_a_daily_run_chart_is_said_in_words(pworld, client):
    before, after = [5, 6, 4, 5, 6, 5, 4, 6, 5, 4], [9, 10, 9, 11, 10, 9, 10, 11, 9, 10]
    values = [*before, *after]
    link = _ward_measure(pworld, values, frequency="daily", step=1)
    client.force_login(pworld["people"]["lead"])
    html = client.get(reverse("projects:measures", args=[pworld["project"].pk]))
    page = html.content.decode()
    assert "Run chart with the median: A run of 10 points" in page
    assert "a signal of change" in page
    spec = charts.measure_chart(link, [])
    dates = [v["period"][:10] for v in spec["hconcat"][0]["data"]["values"]]
    assert dates[:3] == ["2026-03-02", "2026-03-03", "2026-03-04"]


def test_a_control_chart_waits_for_a_baseline_of_twenty_points(pworld, client):
    link = _ward_measure(pworld, STABLE)
    lead = pworld["people"]["lead"]
    with pytest.raises(ValidationError, match=r"at least 20 points; .* has 12") as e:
        s.choose_chart(by=lead, link=link, chart="control", reason="Enough, surely")
    assert "8 more" in str(e.value)
    link.refresh_from_db()
    assert link.chart == "run"
    client.force_login(lead)
    page = client.get(reverse("projects:measures", args=[pworld["project"].pk]))
    html = page.content.decode()
    assert "12 points so far" in html
    assert "8 more to come" in html
    # The page refuses too, saying why, when the form is sent anyway.
    url = reverse("projects:measure_chart", args=[pworld["project"].pk, link.pk])
    response = client.post(
        url, {f"chart-{link.pk}-chart": "control", f"chart-{link.pk}-reason": "Now"}
    )
    assert response.status_code == 200
    assert "A control chart needs a baseline of at least 20 points" in (
        response.content.decode()
    )


def test_moving_to_a_control_chart_records_who_and_why(pworld, client):
    link = _ward_measure(pworld, STABLE * 2)  # 24 weeks
    lead = pworld["people"]["lead"]
    client.force_login(lead)
    url = reverse("projects:measure_chart", args=[pworld["project"].pk, link.pk])
    page = client.get(reverse("projects:measures", args=[pworld["project"].pk]))
    assert "24 points: enough for a baseline" in page.content.decode()
    # A reason is needed.
    blank = client.post(
        url, {f"chart-{link.pk}-chart": "control", f"chart-{link.pk}-reason": " "}
    )
    assert blank.status_code == 200
    assert ProjectMeasure.objects.get(pk=link.pk).chart == "run"
    response = client.post(
        url,
        {
            f"chart-{link.pk}-chart": "control",
            f"chart-{link.pk}-reason": "24 stable weeks before the checklist.",
        },
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.chart == "control"
    assert link.chart_decided_by == lead
    assert link.chart_reason == "24 stable weeks before the checklist."
    event = AuditEvent.objects.get(action="project.measure_chart_changed")
    assert event.before["chart"] == "run"
    assert event.after["chart"] == "control"
    html = client.get(response["Location"]).content.decode()
    assert "Control chart (XmR chart) since" in html
    assert "24 stable weeks before the checklist." in html
    assert lead.display_name in html
    # Now an XmR chart with limits, still week by week.
    spec = charts.measure_chart(link, [])
    rows = spec["hconcat"][0]["data"]["values"]
    assert len(rows) == 24
    # Upper limits (named upl or ucl, whichever the engine's schema calls them).
    assert all((r.get("upl") or r.get("ucl")) is not None for r in rows)
    assert "Run chart" not in spec["description"]
    # And back, again with a reason.
    s.choose_chart(by=lead, link=link, chart="run", reason="The process changed.")
    assert ProjectMeasure.objects.get(pk=link.pk).chart == "run"


def test_only_people_who_edit_the_project_choose_its_charts(pworld):
    link = _ward_measure(pworld, STABLE * 2)
    with pytest.raises(PermissionDenied):
        s.choose_chart(
            by=pworld["people"]["colleague"], link=link, chart="control", reason="x"
        )
    with pytest.raises(ValidationError, match="already on a run chart"):
        s.choose_chart(by=pworld["people"]["lead"], link=link, chart="run", reason="x")


def test_cycles_annotate_the_run_chart_too(pworld):
    link = _ward_measure(pworld, STABLE)
    cycle = CycleFactory(
        change_idea=pworld["idea"],
        number=3,
        stage="do",
        prediction_recorded_at=dt.datetime(2026, 3, 27, 9, 0, tzinfo=dt.UTC),
        started_on=MONDAY + dt.timedelta(days=28),
    )
    spec = charts.measure_chart(link, [cycle])
    rows = _cycle_rows(spec)
    assert [r["start"][:10] for r in rows] == ["2026-03-30"]
    assert not rows[0]["waiting"]
    assert "PDSA cycle is marked" in spec["description"]


@pytest.mark.parametrize(
    ("days_after_last_week", "waiting"), [(0, False), (6, False), (7, True), (30, True)]
)
def test_no_data_yet_only_once_the_latest_week_has_ended(
    pworld, days_after_last_week, waiting
):
    link = _ward_measure(pworld, STABLE)
    last_week = MONDAY + dt.timedelta(weeks=len(STABLE) - 1)
    start = last_week + dt.timedelta(days=days_after_last_week)
    cycle = CycleFactory(
        change_idea=pworld["idea"],
        number=3,
        stage="do",
        prediction_recorded_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC),
        started_on=start,
    )
    spec = charts.measure_chart(link, [cycle])
    (row,) = _cycle_rows(spec)
    assert row["waiting"] is waiting
    assert (charts.NO_DATA_YET in spec["description"]) is waiting
    assert spec["usermeta"]["waiting_cycles"] == ([row["label"]] if waiting else [])


def test_a_p_chart_measure_moves_from_its_run_chart_to_a_p_chart(pworld):
    measure = MeasureFactory(
        name="Patients with a falls risk assessment",
        code="falls-risk-assessed",
        organisation=pworld["trust_a"],
        chart_type="p",
        frequency="weekly",
        unit="%",
        multiplier=100.0,
        direction=Measure.Direction.INCREASE,
    )
    denominators = [200, 250, 180, 300, 220, 270] * 4
    numerators = [150, 190, 140, 225, 160, 205] * 4
    Observation.objects.bulk_create(
        Observation(
            measure=measure,
            organisation=pworld["trust_a"],
            period=MONDAY + dt.timedelta(weeks=i),
            numerator=float(n),
            denominator=float(d),
            value=100.0 * n / d,
        )
        for i, (n, d) in enumerate(zip(numerators, denominators, strict=True))
    )
    lead = pworld["people"]["lead"]
    link = s.link_measure(
        by=lead, project=pworld["project"], measure=measure, role="process"
    )
    assert link.chart_type == "run"
    s.choose_chart(by=lead, link=link, chart="control", reason="24 weeks of audit.")
    link.refresh_from_db()
    assert link.chart_type == "p"
    spec = charts.measure_chart(link, [])
    rows = spec["hconcat"][0]["data"]["values"]
    # p chart limits vary with each week's denominator, and stay within 0 to 100%.
    upper = [r["ucl"] for r in rows]
    assert len(set(upper)) > 1
    assert all(0 <= r["lcl"] <= r["ucl"] <= 100 for r in rows)


def test_rare_events_are_charted_as_gaps_with_cycles_and_no_run_chart_offer(
    pworld, client
):
    measure = MeasureFactory(
        name="Falls with harm on the ward",
        code="ward-falls-harm",
        organisation=pworld["trust_a"],
        chart_type="g",
        frequency="events",
        aggregation=Measure.Aggregation.SUM,
        unit="falls with harm",
        multiplier=1.0,
        direction=Measure.Direction.DECREASE,
    )
    days = [MONDAY + dt.timedelta(days=d) for d in (0, 20, 45, 51, 90, 130, 160)]
    Observation.objects.bulk_create(
        Observation(
            measure=measure, organisation=pworld["trust_a"], period=d, value=1.0
        )
        for d in days
    )
    lead = pworld["people"]["lead"]
    link = s.link_measure(
        by=lead, project=pworld["project"], measure=measure, role="outcome"
    )
    assert link.chart_type == "g"
    with pytest.raises(ValidationError, match="no run chart to move from"):
        s.choose_chart(by=lead, link=link, chart="control", reason="x")
    cycle = CycleFactory(
        change_idea=pworld["idea"],
        number=3,
        stage="do",
        prediction_recorded_at=dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC),
        started_on=MONDAY + dt.timedelta(days=60),
    )
    spec = charts.measure_chart(link, [cycle])
    values = [r["value"] for r in spec["hconcat"][0]["data"]["values"]]
    assert values == [20, 25, 6, 39, 40, 30]
    assert [r["start"][:10] for r in _cycle_rows(spec)] == ["2026-05-01"]
    client.force_login(lead)
    html = client.get(reverse("projects:measures", args=[pworld["project"].pk]))
    assert "no run chart to move from" in html.content.decode()
