"""The evidence a project holds: its aim checked against its outcome measure,
balancing-measure alerts, and the suggested IHI progress score with its reasons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from qualitas.web.measures.models import Observation
from qualitas.web.projects import evidence
from qualitas.web.projects.models import PDSACycle, Project, ProjectMeasure
from tests.web.factories import MeasureFactory, MembershipFactory
from tests.web.projects import factories as pf

MONTHS = [dt.date(2022 + i // 12, i % 12 + 1, 1) for i in range(36)]


def _series(measure, org, values):
    Observation.objects.bulk_create(
        Observation(measure=measure, organisation=org, period=p, value=float(v))
        for p, v in zip(MONTHS, values, strict=True)
    )


@pytest.fixture
def story(world):
    """Falls fall from about 10 to about 6 when the project starts in January 2024;
    a balancing measure is flat until a jump in its last three months."""
    rng = np.random.default_rng(11)
    org = world["trust_a"]
    outcome = MeasureFactory(
        code="ward-falls",
        organisation=org,
        direction="decrease",
        aggregation="mean",
        unit="falls",
    )
    _series(
        outcome,
        org,
        np.r_[10 + rng.normal(0, 0.6, 24), 6 + rng.normal(0, 0.6, 12)].round(2),
    )
    balancing = MeasureFactory(
        code="ward-ulcers",
        organisation=org,
        direction="decrease",
        aggregation="mean",
        measure_type="balancing",
    )
    _series(balancing, org, np.r_[2 + rng.normal(0, 0.2, 33), [4.5, 4.8, 5.1]].round(2))
    lead = MembershipFactory(organisation=org, role="team_member").user
    sponsor = MembershipFactory(organisation=org, role="executive").user
    project = pf.ProjectFactory(
        organisation=org,
        aim_measure=outcome,
        aim_value=7.0,
        aim_by=dt.date(2030, 1, 1),
        started_on=dt.date(2024, 1, 1),
    )
    pf.TeamMemberFactory(project=project, user=lead, role="lead")
    pf.TeamMemberFactory(project=project, user=sponsor, role="sponsor")
    link = ProjectMeasure.objects.create(
        project=project, measure=outcome, role="outcome", organisation=org
    )
    primary = pf.DriverFactory(project=project)
    idea = pf.ChangeIdeaFactory(project=project)
    idea.drivers.set([primary])
    return {
        **world,
        "project": project,
        "outcome": outcome,
        "balancing": balancing,
        "link": link,
        "idea": idea,
        "org": org,
    }


def _cycle(idea, decision="adopt"):
    return pf.CycleFactory(
        change_idea=idea,
        stage=PDSACycle.Stage.DONE,
        prediction_recorded_at=timezone.now(),
        started_on=dt.date(2024, 1, 8),
        ended_on=dt.date(2024, 1, 22),
        result="Done",
        outcome="yes",
        decision=decision,
        decision_reason="Reason",
        decided_on=dt.date(2024, 1, 23),
    )


def _assess(project):
    return evidence.assess([Project.objects.get(pk=project.pk)])[project.pk]


def test_the_aim_is_checked_against_the_outcome_measure(story):
    a = _assess(story["project"])
    assert a.aim.status == "met"
    state = a.states[story["link"].pk]
    assert state.baseline_points == 24
    assert state.baseline_mean == pytest.approx(10, abs=0.5)
    assert state.improvement_since_start
    assert state.sustained


def test_an_aim_without_how_much_cannot_be_checked(story):
    Project.objects.filter(pk=story["project"].pk).update(aim_value=None)
    a = _assess(story["project"])
    assert not a.aim.checkable
    assert "how much" in a.aim.text


def test_a_missed_aim_says_so_after_its_date(story):
    Project.objects.filter(pk=story["project"].pk).update(
        aim_value=3.0, aim_by=dt.date(2025, 1, 1)
    )
    assert _assess(story["project"]).aim.status == "missed"
    Project.objects.filter(pk=story["project"].pk).update(aim_by=dt.date(2099, 1, 1))
    assert _assess(story["project"]).aim.status == "not_yet"


def test_the_suggested_score_climbs_with_the_evidence(story):
    project, idea = story["project"], story["idea"]
    # Charter, team, drivers, outcome measure, baseline; no test yet.
    a = _assess(project)
    assert a.suggested == Decimal("2.0")
    assert [c.met for c in a.checks][:5] == [True, True, True, True, False]
    # A test that is abandoned shows activity but no successful change.
    _cycle(idea, decision="abandon")
    assert _assess(project).suggested == Decimal("2.5")
    # An adopted change and the improvement on the chart lift it, up to sustained.
    _cycle(idea, decision="adopt")
    a = _assess(project)
    assert a.suggested == Decimal("4.5")
    labels = {c.score: c for c in a.checks}
    assert "Special cause improvement" in labels[Decimal("3.5")].detail
    assert not labels[Decimal("5.0")].met


def test_no_baseline_stops_the_suggestion_early(story):
    Project.objects.filter(pk=story["project"].pk).update(started_on=MONTHS[2])
    a = _assess(story["project"])
    assert a.suggested == Decimal("1.5")
    assert "No outcome measure has 6" in a.checks[3].detail


def test_a_project_without_a_balancing_measure_is_flagged(story):
    a = _assess(story["project"])
    assert a.no_balancing
    assert any("No balancing measure" in c for c in a.cautions)


def test_concern_on_a_balancing_measure_raises_an_alert(story):
    ProjectMeasure.objects.create(
        project=story["project"],
        measure=story["balancing"],
        role="balancing",
        organisation=story["org"],
    )
    a = _assess(story["project"])
    assert not a.no_balancing
    assert [s.measure.code for s in a.balancing_alerts] == ["ward-ulcers"]
    assert any("ward-ulcers" in c or "Measure" in c for c in a.cautions)


def test_a_calm_balancing_measure_raises_no_alert(story):
    quiet = MeasureFactory(
        code="quiet",
        organisation=story["org"],
        direction="decrease",
        aggregation="mean",
    )
    _series(quiet, story["org"], [2.0, 2.1] * 18)
    ProjectMeasure.objects.create(
        project=story["project"],
        measure=quiet,
        role="balancing",
        organisation=story["org"],
    )
    assert _assess(story["project"]).balancing_alerts == []


def test_many_projects_are_assessed_together(story):
    other = pf.ProjectFactory(organisation=story["org"])
    result = evidence.assess([story["project"], other])
    assert set(result) == {story["project"].pk, other.pk}
    assert result[other.pk].suggested == Decimal("0.5")
    assert not result[other.pk].aim.checkable
