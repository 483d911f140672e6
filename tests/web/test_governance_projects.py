"""Improvement projects in governance: a meeting's narrative is prefilled from the
projects working on each measure, packs list them, benefit claims belong to a project,
capability and maturity proposals count project activity, and project learning and
involvement are suggested as well-led evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from qualitas.web.assessments import proposals
from qualitas.web.meetings import pack as meeting_pack
from qualitas.web.meetings import project_links
from qualitas.web.meetings import services as meeting_services
from qualitas.web.meetings.models import ReportItem
from qualitas.web.value import ledger
from qualitas.web.value import services as value_services
from qualitas.web.value.models import BenefitClaim
from tests.web.projects.factories import (
    ChangeIdeaFactory,
    CycleFactory,
    InvolvementEntryFactory,
    PatientPartnerFactory,
    ProgressScoreFactory,
    ProjectFactory,
    ProjectMeasureFactory,
)


def _finished_cycle(idea, learning: str, decided: dt.date):
    return CycleFactory(
        change_idea=idea,
        stage="done",
        prediction_recorded_at=timezone.make_aware(
            dt.datetime.combine(decided - dt.timedelta(days=21), dt.time(10))
        ),
        started_on=decided - dt.timedelta(days=14),
        ended_on=decided - dt.timedelta(days=7),
        as_planned=True,
        result="9 of 10 checklists done",
        outcome="yes",
        learning=learning,
        decision="adopt",
        decided_on=decided,
    )


@pytest.fixture
def falls_project(gov):
    project = ProjectFactory(
        title="Safer nights on Ward 5",
        organisation=gov["trust_a"],
        unit=gov["ward"],
        aim_what="Halve inpatient falls on Ward 5",
    )
    ProjectMeasureFactory(project=project, measure=gov["measure"], role="outcome")
    ProgressScoreFactory(
        project=project, score=Decimal("3.0"), assessed_on=dt.date(2024, 5, 1)
    )
    idea = ChangeIdeaFactory(project=project, title="Night-time checklist")
    _finished_cycle(
        idea,
        "Night staff use the checklist when it is on the bed.",
        dt.date(2024, 6, 1),
    )
    PatientPartnerFactory(project=project)
    InvolvementEntryFactory(project=project, on=dt.date(2024, 6, 10))
    closed = ProjectFactory(
        title="An old closed project", organisation=gov["trust_a"], status="closed"
    )
    ProjectMeasureFactory(project=closed, measure=gov["measure"])
    return project


def test_the_narrative_is_prefilled_from_the_projects_on_each_measure(
    gov, falls_project
):
    meeting_services.freeze_report(by=gov["qi"], meeting=gov["second"])
    item = ReportItem.objects.get(meeting=gov["second"], measure=gov["measure"])
    assert item.prefilled
    assert item.doing.startswith(
        "Safer nights on Ward 5 (testing changes, progress 3.0 Modest improvement)"
    )
    assert "Halve inpatient falls on Ward 5." in item.doing
    assert (
        "Latest learning: Night staff use the checklist when it is on the bed."
        in item.doing
    )
    assert "old closed project" not in item.doing


def test_the_pack_lists_the_projects(gov, falls_project):
    meeting_services.freeze_report(by=gov["qi"], meeting=gov["second"])
    pack, charts = meeting_pack.build(gov["second"])
    [measure] = pack.measures
    assert [p.title for p in measure.projects] == ["Safer nights on Ward 5"]
    assert measure.projects[0].progress == "3.0 Modest improvement"
    assert charts[0][:4] == b"\x89PNG"


def test_benefit_claims_belong_to_a_project_and_are_totalled_by_it(gov, falls_project):
    claim = value_services.create_claim(
        by=gov["qi"],
        organisation=gov["trust_a"],
        lands_in=gov["trust_a"],
        project=falls_project,
        title="Fewer falls with harm: fewer enhanced-care shifts",
        kind="cash",
        estimate_amount=Decimal(40000),
        method="Falls with harm avoided x bank shifts per fall",
        owner="Ward 5 manager",
    )
    value_services.sign_off(
        by=gov["role_users"]["finance"],
        claim=claim,
        realised=True,
        amount=Decimal(25000),
    )
    book = ledger.ledger(
        list(BenefitClaim.objects.select_related("project")), [gov["trust_a"]]
    )
    [(project, totals)] = book.projects
    assert project == falls_project
    assert totals.dark_green == Decimal(25000)
    elsewhere = ProjectFactory(organisation=gov["trust_b"])
    with pytest.raises(Exception, match="project of the organisation"):
        value_services.create_claim(
            by=gov["users"]["owner"],
            organisation=gov["trust_a"],
            lands_in=gov["trust_a"],
            project=elsewhere,
            title="x",
            kind="avoided",
            method="x",
            owner="x",
        )


def test_project_activity_feeds_capability_and_maturity(gov, falls_project):
    on = dt.date(2024, 7, 1)
    activity = project_links.activity(
        [gov["trust_a"].pk], since=on - dt.timedelta(days=365)
    )
    assert activity.open_projects == 1
    assert activity.finished_cycles == 1
    assert activity.with_partners == 1
    ward = proposals.Evidence(gov["trust_a"], gov["ward"], on)
    assert proposals.c_process(ward).level == "emerging"
    assert "1 tests of change" in proposals.c_process(ward).reason
    org = proposals.Evidence(gov["trust_a"], None, on)
    patients = proposals.m_patients(org)
    assert patients.level == "high"  # 1 of 2 projects (the closed one counts too): 50%
    assert "1 of 2 projects" in patients.reason


def test_learning_and_involvement_are_suggested_as_well_led_evidence(
    gov, falls_project, client_for
):
    from django.urls import reverse

    page = client_for(gov["qi"]).get(reverse("evidence:index", args=["RAA"]))
    kinds = {c["kind"].key: c for c in page.context["candidates"]}
    assert (kinds["learning"]["kloe"], kinds["learning"]["statement"]) == (
        "W8",
        "learning",
    )
    assert "Night staff use the checklist" in kinds["learning"]["item"].summary
    assert (kinds["involvement"]["kloe"], kinds["involvement"]["statement"]) == (
        "W7",
        "partnerships",
    )
    assert "call bell" in kinds["involvement"]["item"].summary
