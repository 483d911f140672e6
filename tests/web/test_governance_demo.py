"""The demonstration's governance: a board and a quality committee with two past
meetings and one to prepare, completed assessments, claims light and dark green,
and well-led evidence; each role sees what it should."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qualitas.web.assessments.models import Assessment
from qualitas.web.demo import load
from qualitas.web.evidence.models import EvidenceTag
from qualitas.web.meetings.models import Action, Committee, Meeting
from qualitas.web.value.models import BenefitClaim


@pytest.fixture
def demo(db, settings):
    settings.DEMO_MODE = True
    load.build(lambda _: None)


def test_demo_has_a_board_and_a_quality_committee_with_two_past_meetings(demo):
    board = Committee.objects.get(name="Board of Directors")
    committee = Committee.objects.get(name="Quality and Safety Committee")
    assert committee.reports_to == board
    held = committee.meetings.filter(status=Meeting.Status.HELD)
    assert held.count() == 2
    assert all(hasattr(m, "snapshot") for m in held)
    planned = committee.meetings.get(status=Meeting.Status.PLANNED)
    assert not hasattr(planned, "snapshot")  # waiting to be prepared
    # Actions carried from June to September, one closed there, two still open.
    assert Action.objects.open_at(planned).filter(status="open").count() == 3
    assert Action.objects.filter(status="closed").count() == 1


def test_demo_icb_meeting_has_the_system_report_in_its_pack(demo):
    from qualitas.web.meetings import pack as meeting_pack

    meeting = Committee.objects.get(name="System Quality Group").meetings.get()
    grid = meeting.snapshot.system_grid
    codes = {o["ods_code"] for o in grid["organisations"]}
    assert {"RAE", "RR8", "RWY", "RCF", "RXF", "TAD"} <= codes
    assert len(grid["rows"]) >= 10
    pack, _ = meeting_pack.build(meeting)
    assert pack.system is not None
    assert pack.system.rows[0].group != "Other measures"  # concerns lead


def test_demo_has_completed_assessments_claims_and_evidence(demo):
    maturity = Assessment.objects.filter(framework="maturity", status="completed")
    assert maturity.count() == 2
    assert (
        Assessment.objects.filter(framework="capability", status="completed").count()
        == 2
    )
    kinds = set(BenefitClaim.objects.values_list("status", flat=True))
    assert kinds == {"estimated", "converting", "realised", "not_realised"}
    assert (
        BenefitClaim.objects.filter(
            status="realised", signed_off_by__username="finance"
        ).count()
        == 2
    )
    assert BenefitClaim.objects.exclude(
        lands_in=BenefitClaim.objects.first().organisation
    ).exists()
    assert EvidenceTag.objects.filter(kloe="W6").count() >= 3
    # Claims belong to the demonstration's improvement projects.
    falls = BenefitClaim.objects.get(title__startswith="Falls bundle")
    assert falls.project.title == "Fewer falls on Ward 5"
    assert falls.status == "realised"


def test_the_meeting_to_prepare_suggests_narrative_from_the_projects(demo):
    from qualitas.web.meetings import services
    from qualitas.web.meetings.models import ReportItem

    planned = Meeting.objects.get(status=Meeting.Status.PLANNED)
    qi = planned.committee.members.get(role="secretary").user
    services.freeze_report(by=qi, meeting=planned)
    falls = ReportItem.objects.get(
        meeting=planned, measure__code="falls-per-1000-bed-days"
    )
    assert falls.doing.startswith("Fewer falls on Ward 5")


def test_demo_governance_pages_for_each_role(demo, client):
    committee = Committee.objects.get(name="Quality and Safety Committee")
    first = committee.meetings.order_by("date").first()
    for username in (
        "board",
        "executive",
        "qi-lead",
        "team",
        "finance",
        "patient-partner",
        "admin",
    ):
        client.login(username=username, password="demo")
        for url in (
            reverse("meetings:index"),
            reverse("meetings:meeting", args=[first.pk]),
            reverse("value:ledger", args=["RAE"]),
            reverse("assessments:organisation", args=["RAE"]),
            reverse("assessments:capability", args=["RAE"]),
            reverse("evidence:index", args=["RAE"]),
        ):
            assert client.get(url).status_code == 200, (username, url)
        client.logout()
    client.login(username="outsider", password="demo")
    assert client.get(reverse("meetings:meeting", args=[first.pk])).status_code == 404
    assert client.get(reverse("value:ledger", args=["RAE"])).status_code == 404
