"""Meetings: the report frozen at the data cut, the suggested and written narrative,
decisions, and actions carried from meeting to meeting until they are closed."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from qualitas.web.audit.models import AuditEvent
from qualitas.web.board import report as live
from qualitas.web.measures import chart as measure_chart
from qualitas.web.measures import series
from qualitas.web.measures.models import Measure, Observation
from qualitas.web.meetings import services
from qualitas.web.meetings.models import Action, Meeting, ReportItem
from qualitas.web.meetings.snapshot import FrozenReport


def test_freezing_keeps_the_report_as_it_was_at_the_data_cut(gov):
    first = gov["first"]
    report = FrozenReport(first.snapshot)
    [row] = report.rows
    assert row.name == "Falls per 1,000 bed days"
    assert row.period == pd.Timestamp("2024-06-01")  # data to June, not December
    expected = live.build(
        gov["trust_a"], [gov["measure"]], until=dt.date(2024, 6, 1)
    ).rows[0]
    assert row.value == pytest.approx(expected.value, rel=1e-12)
    assert (row.mean, row.lpl, row.upl) == pytest.approx(
        (expected.mean, expected.lpl, expected.upl), rel=1e-12
    )
    assert row.variation == expected.variation
    assert row.assurance == expected.assurance

    # New data for the frozen months change the live report, not the meeting's.
    Observation.objects.filter(
        measure=gov["measure"], organisation=gov["trust_a"], period=dt.date(2024, 6, 1)
    ).update(value=99.0, numerator=891.0)
    again = FrozenReport(Meeting.objects.get(pk=first.pk).snapshot)
    assert again.rows[0].value == pytest.approx(expected.value, rel=1e-12)


def test_a_frozen_chart_is_the_chart_the_engine_drew_at_the_data_cut(gov):
    m, org = gov["measure"], gov["trust_a"]
    frame = series.organisation_series([m], org)
    frame = frame[frame["period"] <= pd.Timestamp("2024-06-01")]
    result = series.run_xmr(
        frame,
        by="measure_id",
        direction={m.pk: m.direction},
        target={m.pk: 4.0},
        part={},
    )
    assert result is not None
    live_spec = measure_chart.measure_chart(result, m.pk, m, notes=[])
    frozen_spec = FrozenReport(gov["first"].snapshot).chart(m)
    assert frozen_spec == live_spec


def test_a_report_frozen_with_the_old_xmr_column_names_still_draws(gov):
    """Snapshots taken before the one chart model hold segment, mean, lpl, upl and
    short_segment; they are read under the new names and draw the same chart."""
    m = gov["measure"]
    snapshot = gov["first"].snapshot
    new_spec = FrozenReport(snapshot).chart(m)
    old = {"segment": "phase", "mean": "cl", "lpl": "lcl", "upl": "ucl"}
    old["short_segment"] = "trial_limits"
    renamed = {v: k for k, v in old.items()}
    snapshot.points = {renamed.get(k, k): v for k, v in snapshot.points.items()}
    snapshot.icons = {renamed.get(k, k): v for k, v in snapshot.icons.items()}
    snapshot.save()
    stored = Meeting.objects.get(pk=gov["first"].pk).snapshot
    assert "mean" in stored.points
    assert "cl" not in stored.points
    assert FrozenReport(stored).chart(m) == new_spec


def test_only_the_committees_measures_are_in_its_report(gov, world):
    from tests.web.factories import MeasureFactory

    other = MeasureFactory(
        code="sickness", organisation=world["system"], committee="People Committee"
    )
    Observation.objects.create(
        measure=other,
        organisation=world["trust_a"],
        period=dt.date(2024, 1, 1),
        value=4.0,
    )
    services.freeze_report(by=gov["qi"], meeting=gov["second"])
    codes = {r["code"] for r in gov["second"].snapshot.rows}
    assert codes == {"falls"}
    board_meeting = services.schedule_meeting(
        by=gov["qi"],
        committee=gov["board"],
        date=dt.date(2024, 10, 30),
        data_cut=dt.date(2024, 9, 1),
    )
    services.freeze_report(by=gov["qi"], meeting=board_meeting)
    assert {r["code"] for r in board_meeting.snapshot.rows} == {"falls", "sickness"}


def test_freezing_suggests_a_narrative_and_keeps_what_people_wrote(gov):
    first = gov["first"]
    item = ReportItem.objects.get(meeting=first, measure=gov["measure"])
    assert item.prefilled
    assert item.chart_tells_us.startswith("Jun 2024:")
    assert "process limits" in item.chart_tells_us

    services.save_narrative(
        by=gov["qi"],
        item=item,
        chart_tells_us="Falls are stable; no signal.",
        doing="Ward 5 is testing a falls bundle.",
    )
    services.freeze_report(by=gov["qi"], meeting=first, data_cut=dt.date(2024, 5, 1))
    item.refresh_from_db()
    assert not item.prefilled
    assert item.chart_tells_us == "Falls are stable; no signal."
    assert first.snapshot.rows[0]["period"] == "2024-05-01"


def test_actions_come_back_to_each_meeting_until_they_are_closed(gov):
    first, second, action = gov["first"], gov["second"], gov["action"]
    assert list(Action.objects.open_at(first)) == []  # raised there, not carried
    assert list(Action.objects.open_at(second)) == [action]
    assert services.action_status(action, second) == "Overdue"  # due 30 Sep, met 9 Oct

    third = services.schedule_meeting(
        by=gov["qi"],
        committee=gov["committee"],
        date=dt.date(2025, 1, 15),
        data_cut=dt.date(2024, 12, 1),
    )
    services.update_action(
        by=gov["qi"], action=action, meeting=second, note="Deep dive postponed"
    )
    assert list(Action.objects.open_at(third)) == [action]
    services.update_action(
        by=gov["qi"], action=action, meeting=third, note="Presented", close=True
    )
    action.refresh_from_db()
    assert action.status == "closed"
    assert action.closed_on == third.date
    assert services.action_status(action, third) == "Closed at this meeting"
    # The earlier meeting's log still shows it as it stood then.
    assert list(Action.objects.open_at(second)) == [action]
    fourth = services.schedule_meeting(
        by=gov["qi"],
        committee=gov["committee"],
        date=dt.date(2025, 4, 15),
        data_cut=dt.date(2025, 3, 1),
    )
    assert list(Action.objects.open_at(fourth)) == []
    with pytest.raises(ValidationError):
        services.update_action(by=gov["qi"], action=action, meeting=fourth, note="x")


def test_a_held_meeting_is_a_fixed_record(gov):
    first = gov["first"]
    services.mark_held(by=gov["qi"], meeting=first)
    item = ReportItem.objects.get(meeting=first)
    with pytest.raises(ValidationError):
        services.save_narrative(by=gov["qi"], item=item, chart_tells_us="x", doing="")
    with pytest.raises(ValidationError):
        services.freeze_report(by=gov["qi"], meeting=first)
    with pytest.raises(ValidationError, match="Freeze the report"):
        services.mark_held(by=gov["qi"], meeting=gov["second"])


def test_only_people_who_prepare_meetings_change_them(gov):
    for role in ("board_member", "team_member", "finance", "patient_partner"):
        user = gov["role_users"][role]
        with pytest.raises(PermissionDenied):
            services.freeze_report(by=user, meeting=gov["second"])
        with pytest.raises(PermissionDenied):
            services.record_decision(by=user, meeting=gov["first"], text="x")
    for role in ("executive", "qi_lead", "analyst", "administrator"):
        services.record_decision(
            by=gov["role_users"][role], meeting=gov["first"], text=f"by {role}"
        )


def test_decisions_and_actions_must_name_a_measure_in_the_report(gov, world):
    from tests.web.factories import MeasureFactory

    elsewhere = MeasureFactory(code="not-in-report", organisation=world["system"])
    with pytest.raises(ValidationError):
        services.record_decision(
            by=gov["qi"], meeting=gov["first"], text="x", measure=elsewhere
        )
    with pytest.raises(ValidationError):
        services.add_action(
            by=gov["qi"],
            meeting=gov["first"],
            text="x",
            owner="y",
            due=dt.date(2025, 1, 1),
            measure=elsewhere,
        )


def test_changes_are_audited(gov):
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "committee.created",
        "meeting.scheduled",
        "meeting.report_frozen",
        "meeting.decision_recorded",
        "meeting.action_added",
    } <= actions
    event = AuditEvent.objects.get(action="meeting.report_frozen")
    assert event.organisation_id == gov["trust_a"].pk
    assert event.after["measures"] == 1


def test_the_data_cut_cannot_be_after_the_meeting(gov):
    with pytest.raises(ValidationError):
        services.schedule_meeting(
            by=gov["qi"],
            committee=gov["committee"],
            date=dt.date(2025, 2, 1),
            data_cut=dt.date(2025, 3, 1),
        )


# --- pages ----------------------------------------------------------------------


def test_meeting_page_shows_the_frozen_report_and_the_action_log(gov, client_for):
    client = client_for(gov["role_users"]["board_member"])
    page = client.get(reverse("meetings:meeting", args=[gov["first"].pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Falls per 1,000 bed days" in text
    assert "Prepare the board pack (PDF)" in text
    assert "Freeze" not in text  # a board member reads; they do not prepare

    page = client.get(reverse("meetings:meeting", args=[gov["second"].pk]))
    text = page.content.decode()
    assert "Present the falls deep dive" in text
    assert "Overdue" in text


def test_writing_the_narrative_in_the_browser_form(gov, client_for):
    client = client_for(gov["qi"])
    url = reverse("meetings:narrative", args=[gov["first"].pk, gov["measure"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"qualitas suggested this" in page.content
    assert b'id="spc-chart" data-chart="' in page.content
    saved = client.post(
        url, {"chart_tells_us": "No signal this month.", "doing": "Falls bundle."}
    )
    assert saved.status_code == 302
    item = ReportItem.objects.get(meeting=gov["first"], measure=gov["measure"])
    assert (item.chart_tells_us, item.doing, item.prefilled) == (
        "No signal this month.",
        "Falls bundle.",
        False,
    )
    # A board member may read the narrative page but not post to it.
    board = client_for(gov["role_users"]["board_member"])
    assert board.get(url).status_code == 200
    assert board.post(url, {"chart_tells_us": "x", "doing": ""}).status_code == 403


def test_committee_set_up_and_meeting_scheduled_through_the_pages(gov, client_for):
    client = client_for(gov["qi"])
    created = client.post(
        reverse("meetings:committee_new", args=["RAA"]),
        {
            "name": "People Committee",
            "kind": "committee",
            "reports_to": gov["board"].pk,
            "measures_committee": "",
            "purpose": "Workforce",
        },
    )
    assert created.status_code == 302
    from qualitas.web.meetings.models import Committee

    people = Committee.objects.get(name="People Committee")
    scheduled = client.post(
        reverse("meetings:schedule", args=[people.pk]),
        {"date": "2025-03-12", "data_cut": "2025-01", "location": "Boardroom"},
    )
    assert scheduled.status_code == 302
    meeting = people.meetings.get()
    assert meeting.data_cut == dt.date(2025, 1, 1)
    member = client.post(
        reverse("meetings:add_member", args=[people.pk]),
        {"user": gov["role_users"]["board_member"].pk, "role": "chair", "title": "NED"},
    )
    assert member.status_code == 302
    assert people.members.get().role == "chair"
    # Someone outside the organisation cannot be made a member.
    refused = client.post(
        reverse("meetings:add_member", args=[people.pk]),
        {"user": gov["users"]["outsider"].pk, "role": "member"},
    )
    assert refused.status_code == 302
    assert people.members.count() == 1


def test_measure_choices_on_a_meeting_come_from_its_report(gov):
    assert Measure.objects.count() >= 2  # the other system's measure is not offered
    from qualitas.web.meetings.views import _measure_choices

    choices = _measure_choices(FrozenReport(gov["first"].snapshot))
    assert choices == [(gov["measure"].pk, "Falls per 1,000 bed days")]
