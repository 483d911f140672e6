"""What the project services allow and refuse, and what they record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qualitas.web.audit.models import AuditEvent
from qualitas.web.projects import services as s
from qualitas.web.projects.models import ChangeIdea, PDSACycle, Project, TeamMember

D = dt.date


def _plan(w, **kw):
    fields = {
        "title": "Checklist in bay 1",
        "question": "Will night staff use it?",
        "prediction": "8 of 10 roundings done.",
        "planned_start": D(2024, 4, 1),
        "planned_end": D(2024, 4, 8),
    }
    fields.update(kw)
    return s.plan_cycle(by=w["people"]["lead"], idea=w["idea"], **fields)


def test_starting_a_project_makes_its_starter_the_lead_and_links_the_aim(world):
    user = world["role_users"]["team_member"]
    project = s.create_project(
        by=user,
        organisation=world["trust_a"],
        title="Fewer falls",
        aim_what="Reduce falls",
        aim_measure=world["measure"],
        aim_value=4.0,
    )
    assert project.team.get().user == user
    assert project.team.get().role == TeamMember.Role.LEAD
    link = project.project_measures.get()
    assert (link.measure, link.role) == (world["measure"], "outcome")
    # The ward has no falls data of its own in this world, so the chart is the trust's.
    assert link.unit is None
    assert AuditEvent.objects.filter(action="project.created").count() == 1


def test_people_who_cannot_start_projects_are_refused(world):
    with pytest.raises(PermissionDenied):
        s.create_project(
            by=world["role_users"]["board_member"],
            organisation=world["trust_a"],
            title="x",
            aim_what="y",
        )


def test_only_the_team_and_qi_leads_change_a_project(pworld):
    p = pworld["project"]
    with pytest.raises(PermissionDenied):
        s.update_project(by=pworld["people"]["colleague"], project=p, title="Mine now")
    s.update_project(by=pworld["people"]["qi_lead"], project=p, title="Renamed")
    s.update_project(by=pworld["people"]["lead"], project=p, title="Renamed again")
    assert Project.objects.get(pk=p.pk).title == "Renamed again"


def test_the_prediction_is_fixed_once_the_test_starts(pworld):
    cycle = _plan(pworld)
    lead = pworld["people"]["lead"]
    first_recorded = cycle.prediction_recorded_at
    assert first_recorded is not None
    s.update_plan(by=lead, cycle=cycle, prediction="9 of 10 roundings done.")
    cycle.refresh_from_db()
    assert cycle.prediction == "9 of 10 roundings done."
    assert cycle.prediction_recorded_at >= first_recorded

    s.start_cycle(by=lead, cycle=cycle, started_on=timezone.localdate())
    with pytest.raises(ValidationError, match="can no longer be changed"):
        s.update_plan(by=lead, cycle=cycle, prediction="All of them, obviously.")
    cycle.refresh_from_db()
    assert cycle.prediction == "9 of 10 roundings done."


def test_a_test_cannot_start_without_a_question_and_prediction(pworld):
    cycle = _plan(pworld, prediction="", question="")
    with pytest.raises(ValidationError, match="the question and the prediction"):
        s.start_cycle(by=pworld["people"]["lead"], cycle=cycle)
    assert PDSACycle.objects.get(pk=cycle.pk).stage == "plan"


def test_a_test_cannot_be_entered_as_started_before_its_prediction(pworld):
    lead = pworld["people"]["lead"]
    cycle = _plan(pworld)  # the prediction is recorded now
    today = timezone.localdate()
    backdated = today - dt.timedelta(days=548)  # about 18 months
    with pytest.raises(ValidationError, match="before the test starts") as refused:
        s.start_cycle(by=lead, cycle=cycle, started_on=backdated)
    assert "started_on" in refused.value.message_dict
    assert f"{today:%-d %B %Y} or later" in str(refused.value)
    assert PDSACycle.objects.get(pk=cycle.pk).stage == "plan"
    assert not AuditEvent.objects.filter(action="pdsa.started").exists()
    # The day the prediction was recorded is allowed.
    s.start_cycle(by=lead, cycle=cycle, started_on=today)
    assert PDSACycle.objects.get(pk=cycle.pk).started_on == today


def test_a_prediction_written_weeks_ahead_lets_the_test_start_on_its_day(pworld):
    lead = pworld["people"]["lead"]
    cycle = _plan(pworld)
    written = timezone.now() - dt.timedelta(days=30)
    PDSACycle.objects.filter(pk=cycle.pk).update(prediction_recorded_at=written)
    cycle.refresh_from_db()
    start = timezone.localdate(written) + dt.timedelta(days=3)
    s.start_cycle(by=lead, cycle=cycle, started_on=start)
    cycle.refresh_from_db()
    assert cycle.started_on == start
    assert cycle.prediction_order == "before"


def test_a_whole_cycle_moves_the_idea_and_project_along(pworld):
    lead = pworld["people"]["lead"]
    Project.objects.filter(pk=pworld["project"].pk).update(status="planning")
    cycle = _plan(pworld)
    s.start_cycle(by=lead, cycle=cycle)
    assert ChangeIdea.objects.get(pk=pworld["idea"].pk).status == "testing"
    assert Project.objects.get(pk=pworld["project"].pk).status == "testing"
    s.record_do(by=lead, cycle=cycle, what_happened="Done", as_planned=True)
    with pytest.raises(ValidationError):  # a decision needs a study first
        s.record_act(by=lead, cycle=cycle, decision="adopt", decision_reason="")
    s.record_study(
        by=lead,
        cycle=cycle,
        result="7 of 10",
        outcome="partly",
        ended_on=timezone.localdate() + dt.timedelta(days=7),
    )
    with pytest.raises(ValidationError, match="why"):
        s.record_act(by=lead, cycle=cycle, decision="abandon", decision_reason=" ")
    s.record_act(
        by=lead, cycle=cycle, decision="adapt", decision_reason="Brief bank staff."
    )
    assert ChangeIdea.objects.get(pk=pworld["idea"].pk).status == "adapted"
    actions = list(
        AuditEvent.objects.filter(action__startswith="pdsa.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "pdsa.planned",
        "pdsa.started",
        "pdsa.do_recorded",
        "pdsa.studied",
        "pdsa.decided",
    ]


def test_an_adapted_idea_chains_its_next_cycle(pworld):
    lead = pworld["people"]["lead"]
    done = pworld["done"]
    following = _plan(pworld, title="Again, with bank staff", previous=done)
    assert following.previous == done
    assert following.number == 3
    with pytest.raises(ValidationError, match="already has a next cycle"):
        _plan(pworld, previous=done)
    with pytest.raises(ValidationError, match="Finish the previous cycle"):
        _plan(pworld, previous=following)
    assert lead  # the lead planned them


def test_a_project_keeps_a_lead(pworld):
    member = pworld["member"]
    with pytest.raises(ValidationError, match="needs a lead"):
        s.remove_team_member(by=pworld["people"]["lead"], member=member)
    s.set_team_member(
        by=pworld["people"]["lead"],
        project=pworld["project"],
        user=pworld["people"]["colleague"],
        role="lead",
    )
    s.remove_team_member(by=pworld["people"]["colleague"], member=member)
    assert not pworld["project"].team.filter(user=pworld["people"]["lead"]).exists()


def test_tested_ideas_are_kept_even_when_abandoned(pworld):
    with pytest.raises(ValidationError, match="learning is kept"):
        s.remove_change_idea(by=pworld["people"]["lead"], idea=pworld["idea"])
    s.remove_change_idea(by=pworld["people"]["lead"], idea=pworld["untested"])
    assert not ChangeIdea.objects.filter(pk=pworld["untested"].pk).exists()


def test_secondary_drivers_hang_off_a_primary_of_the_same_project(pworld):
    lead = pworld["people"]["lead"]
    with pytest.raises(ValidationError):
        s.add_driver(
            by=lead,
            project=pworld["project"],
            text="Under a secondary",
            parent=pworld["secondary"],
        )
    node = s.add_driver(
        by=lead, project=pworld["project"], text="Footwear", parent=pworld["primary"]
    )
    assert node.kind == "secondary"


def test_progress_scores_are_on_the_ihi_scale_and_kept_as_history(pworld):
    lead, p = pworld["people"]["lead"], pworld["project"]
    s.record_progress(by=lead, project=p, score="2.5", assessed_on=D(2024, 3, 1))
    s.record_progress(by=lead, project=p, score=Decimal("3.0"))
    with pytest.raises(ValidationError, match="IHI scale"):
        s.record_progress(by=lead, project=p, score="3.2")
    assert [str(x.score) for x in p.progress_scores.all()] == ["3.0", "2.5"]


def test_every_change_marks_the_project_active(pworld):
    p = pworld["project"]
    old = timezone.now() - dt.timedelta(weeks=9)
    Project.objects.filter(pk=p.pk).update(last_activity_at=old)
    p.refresh_from_db()
    assert p.is_stalled()
    assert Project.objects.stalled().filter(pk=p.pk).exists()
    s.log_involvement(
        by=pworld["people"]["partner_contribute"],
        project=p,
        you_said="The leaflet is too small to read.",
    )
    p.refresh_from_db()
    assert not p.is_stalled()


def test_closed_projects_are_never_stalled(pworld):
    p = pworld["project"]
    Project.objects.filter(pk=p.pk).update(
        status="completed", last_activity_at=timezone.now() - dt.timedelta(weeks=20)
    )
    p.refresh_from_db()
    assert not p.is_stalled()


def test_patient_partners_log_involvement_only_if_agreed(pworld):
    p = pworld["project"]
    with pytest.raises(PermissionDenied):
        s.log_involvement(
            by=pworld["people"]["partner_read"], project=p, you_said="Hello"
        )
    entry = s.log_involvement(
        by=pworld["people"]["partner_contribute"], project=p, you_said="Hello"
    )
    assert entry.we_did == ""


def test_ideas_spread_within_the_system_and_their_adoption_is_tracked(pworld):
    lead = pworld["people"]["lead"]
    with pytest.raises(ValidationError, match="within the system"):
        s.spread_idea(
            by=lead, idea=pworld["idea"], to_organisation=pworld["other_trust"]
        )
    spread = pworld["spread"]
    sister = pworld["people"]["sister"]
    theirs = s.create_project(
        by=sister, organisation=pworld["trust_b"], title="Falls at B", aim_what="Fewer"
    )
    idea = s.take_up_spread(by=sister, spread=spread, project=theirs)
    assert idea.spread_from == spread
    spread.refresh_from_db()
    assert (spread.status, spread.to_project) == ("testing", theirs)
    s.update_spread(by=sister, spread=spread, status="adopted")
    spread.refresh_from_db()
    assert spread.adopted_on == dt.date.today()
    with pytest.raises(PermissionDenied):
        s.update_spread(
            by=pworld["people"]["board_member"], spread=spread, status="offered"
        )
