"""Every change to committees, meetings, narrative, decisions and actions. Each
function takes the acting user as ``by=``, checks their permission, runs in one
transaction and records an audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import record, snapshot
from qualitas.web.authorization import has_permission, require
from qualitas.web.measures.models import Measure
from qualitas.web.meetings import narrative, project_links
from qualitas.web.meetings import snapshot as frozen
from qualitas.web.meetings.models import (
    Action,
    ActionUpdate,
    Committee,
    CommitteeMember,
    Decision,
    Meeting,
    ReportItem,
)
from qualitas.web.organisations.models import Organisation

P = Permission


def _check(obj) -> None:
    obj.full_clean()


# --- committees -----------------------------------------------------------------


@transaction.atomic
def create_committee(
    *,
    by: Any,
    organisation: Organisation,
    name: str,
    kind: str,
    reports_to: Committee | None = None,
    measures_committee: str = "",
    purpose: str = "",
) -> Committee:
    require(by, P.PREPARE_MEETINGS, organisation)
    if reports_to is not None and reports_to.organisation_id != organisation.pk:
        raise ValidationError(
            {"reports_to": "A committee reports to a board of its own organisation."}
        )
    committee = Committee(
        organisation=organisation,
        name=name.strip(),
        kind=kind,
        reports_to=reports_to,
        measures_committee=measures_committee.strip(),
        purpose=purpose.strip(),
    )
    _check(committee)
    committee.save()
    record(
        by=by,
        action="committee.created",
        obj=committee,
        summary=f"Set up the {committee.name}",
        after=snapshot(committee),
    )
    return committee


@transaction.atomic
def add_member(
    *, by: Any, committee: Committee, user: Any, role: str, title: str = ""
) -> CommitteeMember:
    require(by, P.PREPARE_MEETINGS, committee.organisation)
    if not has_permission(user, P.VIEW_MEASURES, committee.organisation):
        raise ValidationError(
            {"user": f"{user} is not a member of {committee.organisation}."}
        )
    member, created = CommitteeMember.objects.update_or_create(
        committee=committee, user=user, defaults={"role": role, "title": title.strip()}
    )
    member.full_clean()
    record(
        by=by,
        action="committee.member_added" if created else "committee.member_changed",
        obj=member,
        organisation=committee.organisation,
        summary=f"{user} is {member.get_role_display().lower()} of the {committee.name}",
        after=snapshot(member),
    )
    return member


@transaction.atomic
def remove_member(*, by: Any, member: CommitteeMember) -> None:
    committee = member.committee
    require(by, P.PREPARE_MEETINGS, committee.organisation)
    before = snapshot(member)
    member.delete()
    record(
        by=by,
        action="committee.member_removed",
        object_type="meetings.CommitteeMember",
        object_id=before["id"],
        organisation=committee.organisation,
        summary=f"{member.user} left the {committee.name}",
        before=before,
    )


# --- meetings -------------------------------------------------------------------


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


@transaction.atomic
def schedule_meeting(
    *,
    by: Any,
    committee: Committee,
    date: dt.date,
    data_cut: dt.date,
    location: str = "",
) -> Meeting:
    require(by, P.PREPARE_MEETINGS, committee.organisation)
    data_cut = _month_start(data_cut)
    if data_cut > date:
        raise ValidationError({"data_cut": "The data cut cannot be after the meeting."})
    if Meeting.objects.filter(committee=committee, date=date).exists():
        raise ValidationError(
            {"date": f"The {committee.name} already meets on that day."}
        )
    meeting = Meeting(
        committee=committee, date=date, data_cut=data_cut, location=location.strip()
    )
    _check(meeting)
    meeting.save()
    record(
        by=by,
        action="meeting.scheduled",
        obj=meeting,
        organisation=committee.organisation,
        summary=f"Scheduled {meeting} (data to {data_cut:%B %Y})",
        after=snapshot(meeting),
    )
    return meeting


def _locked(meeting: Meeting) -> None:
    if meeting.is_held:
        raise ValidationError(
            "The meeting has been held: its report and narrative are the record of "
            "what it saw and can no longer change."
        )


@transaction.atomic
def freeze_report(*, by: Any, meeting: Meeting, data_cut: dt.date | None = None):
    """Freeze the report at the data cut (again, if it was frozen before), and
    suggest a narrative for every measure that nobody has written yet."""
    org = meeting.committee.organisation
    require(by, P.PREPARE_MEETINGS, org)
    _locked(meeting)
    before = {"data_cut": meeting.data_cut.isoformat()}
    if data_cut is not None:
        data_cut = _month_start(data_cut)
        if data_cut > meeting.date:
            raise ValidationError(
                {"data_cut": "The data cut cannot be after the meeting."}
            )
        meeting.data_cut = data_cut
        meeting.save(update_fields=["data_cut"])
    snap = frozen.take(meeting, by=by)
    meeting.chart_images.all().delete()
    report = frozen.FrozenReport(snap)
    ids = [r.measure_id for r in report.rows]
    projects = project_links.for_measures([org.pk], ids, viewer=by)
    existing = {i.measure_id: i for i in meeting.items.all()}
    created = refreshed = 0
    for row in report.rows:
        told = narrative.chart_tells_us(row)
        doing = narrative.doing(projects.get(row.measure_id, []))
        item = existing.get(row.measure_id)
        if item is None:
            ReportItem.objects.create(
                meeting=meeting,
                measure_id=row.measure_id,
                chart_tells_us=told,
                doing=doing,
                prefilled=True,
            )
            created += 1
        elif item.prefilled:
            item.chart_tells_us, item.doing = told, doing
            item.save(update_fields=["chart_tells_us", "doing", "updated_at"])
            refreshed += 1
    # Narrative for measures that dropped out of the report stays, unseen, in case
    # the report is frozen again with them back in.
    record(
        by=by,
        action="meeting.report_frozen",
        obj=meeting,
        organisation=org,
        summary=f"Froze the quality report for {meeting}: {len(report.rows)} measures, "
        f"data to {meeting.data_cut:%B %Y}",
        before=before,
        after={
            "data_cut": meeting.data_cut.isoformat(),
            "measures": len(report.rows),
            "narratives_suggested": created + refreshed,
        },
    )
    return snap


@transaction.atomic
def save_narrative(
    *, by: Any, item: ReportItem, chart_tells_us: str, doing: str
) -> ReportItem:
    meeting = item.meeting
    require(by, P.PREPARE_MEETINGS, meeting.committee.organisation)
    _locked(meeting)
    before = {"chart_tells_us": item.chart_tells_us, "doing": item.doing}
    item.chart_tells_us = chart_tells_us.strip()
    item.doing = doing.strip()
    item.prefilled = False
    item.updated_by = by
    item.save()
    record(
        by=by,
        action="meeting.narrative_saved",
        obj=item,
        organisation=meeting.committee.organisation,
        summary=f"Wrote the narrative for {item.measure.name} at {meeting}",
        before=before,
        after={"chart_tells_us": item.chart_tells_us, "doing": item.doing},
    )
    return item


@transaction.atomic
def mark_held(*, by: Any, meeting: Meeting) -> Meeting:
    require(by, P.PREPARE_MEETINGS, meeting.committee.organisation)
    if not hasattr(meeting, "snapshot"):
        raise ValidationError(
            "Freeze the report before recording the meeting as held: it is what the "
            "meeting saw."
        )
    meeting.status = Meeting.Status.HELD
    meeting.save(update_fields=["status"])
    record(
        by=by,
        action="meeting.held",
        obj=meeting,
        organisation=meeting.committee.organisation,
        summary=f"Recorded {meeting} as held",
        after={"status": meeting.status},
    )
    return meeting


# --- decisions and actions --------------------------------------------------------


def _measure_in_report(meeting: Meeting, measure: Measure | None) -> None:
    if measure is None:
        return
    snap = getattr(meeting, "snapshot", None)
    if snap is None or measure.pk not in {r["measure_id"] for r in snap.rows}:
        raise ValidationError({"measure": "Choose a measure in this meeting's report."})


@transaction.atomic
def record_decision(
    *, by: Any, meeting: Meeting, text: str, measure: Measure | None = None
) -> Decision:
    org = meeting.committee.organisation
    require(by, P.PREPARE_MEETINGS, org)
    _measure_in_report(meeting, measure)
    decision = Decision(
        meeting=meeting, text=text.strip(), measure=measure, created_by=by
    )
    _check(decision)
    decision.save()
    record(
        by=by,
        action="meeting.decision_recorded",
        obj=decision,
        organisation=org,
        summary=f"Decision at {meeting}: {decision.text[:200]}",
        after=snapshot(decision),
    )
    return decision


@transaction.atomic
def add_action(
    *,
    by: Any,
    meeting: Meeting,
    text: str,
    owner: str,
    due: dt.date,
    owner_user: Any = None,
    measure: Measure | None = None,
    decision: Decision | None = None,
) -> Action:
    org = meeting.committee.organisation
    require(by, P.PREPARE_MEETINGS, org)
    _measure_in_report(meeting, measure)
    if decision is not None and decision.meeting_id != meeting.pk:
        raise ValidationError({"decision": "Choose a decision of this meeting."})
    if owner_user is not None and not owner.strip():
        owner = str(owner_user)
    action = Action(
        meeting=meeting,
        text=text.strip(),
        owner=owner.strip(),
        owner_user=owner_user,
        due=due,
        measure=measure,
        decision=decision,
        created_by=by,
    )
    _check(action)
    action.save()
    record(
        by=by,
        action="meeting.action_added",
        obj=action,
        organisation=org,
        summary=f"Action for {action.owner} by {due:%d %B %Y}: {action.text[:200]}",
        after=snapshot(action),
    )
    return action


@transaction.atomic
def update_action(
    *, by: Any, action: Action, meeting: Meeting, note: str, close: bool = False
) -> ActionUpdate:
    """Progress on an action reported at ``meeting``; ``close`` closes it there."""
    org = meeting.committee.organisation
    require(by, P.PREPARE_MEETINGS, org)
    if meeting.committee_id != action.meeting.committee_id:
        raise ValidationError("The action belongs to another committee.")
    if action.status == Action.Status.CLOSED:
        raise ValidationError("The action is already closed.")
    if not note.strip():
        raise ValidationError({"note": "Say what has happened."})
    update = ActionUpdate.objects.create(
        action=action, meeting=meeting, note=note.strip(), closed=close, by=by
    )
    before = {"status": action.status}
    if close:
        action.status = Action.Status.CLOSED
        action.closed_on = max(meeting.date, action.meeting.date)
        action.closed_at_meeting = meeting
        action.save(update_fields=["status", "closed_on", "closed_at_meeting"])
    record(
        by=by,
        action="meeting.action_closed" if close else "meeting.action_updated",
        obj=action,
        organisation=org,
        summary=("Closed" if close else "Update on")
        + f" action '{action.text[:120]}' at {meeting}: {update.note[:200]}",
        before=before,
        after={"status": action.status, "note": update.note},
    )
    return update


def action_status(
    action: Action, meeting: Meeting, today: dt.date | None = None
) -> str:
    """How an action reads in a meeting's log."""
    if action.status == Action.Status.CLOSED:
        if action.closed_at_meeting_id == meeting.pk:
            return "Closed at this meeting"
        return f"Closed {action.closed_on:%d %b %Y}"
    on = min(today or timezone.localdate(), meeting.date)
    return "Overdue" if action.due < on else "Open"
