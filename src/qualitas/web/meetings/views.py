"""Boards and committees, their meetings, the frozen report and its narrative,
decisions and actions, and the board packs.

Scoped getters fetch what the user may see (404 otherwise) and check the permission
to act (403); forms check input; services change things.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.web.accounts.models import User
from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import (
    get_committee_for_user,
    get_meeting_for_user,
    get_organisation_for_user,
    has_permission,
    organisation_ids,
    require,
)
from qualitas.web.board import report as live_report
from qualitas.web.forms import form_errors
from qualitas.web.measures.models import Measure
from qualitas.web.meetings import pack_job, project_links, services
from qualitas.web.meetings.forms import (
    ActionForm,
    ActionUpdateForm,
    CommitteeForm,
    DecisionForm,
    FreezeForm,
    MeetingForm,
    MemberForm,
    NarrativeForm,
)
from qualitas.web.meetings.models import (
    Action,
    Committee,
    CommitteeMember,
    Meeting,
    ReportItem,
)
from qualitas.web.meetings.snapshot import FrozenReport
from qualitas.web.organisations.models import Organisation

P = Permission
ROLE_ORDER = ["chair", "member", "secretary", "attendee"]


def _errors_text(form: Any) -> str:
    return "; ".join(e for errs in form.errors.values() for e in errs)


# --- committees --------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    ids = organisation_ids(request.user, P.VIEW_MEASURES)
    committees = (
        Committee.objects.filter(organisation_id__in=ids)
        .select_related("organisation", "reports_to")
        .prefetch_related("meetings")
    )
    by_org: dict[int, list[Committee]] = {}
    for c in committees:
        by_org.setdefault(c.organisation_id, []).append(c)
    orgs = sorted(
        Organisation.objects.filter(pk__in=ids),
        key=lambda o: (o.pk not in by_org, not o.is_system, o.name),
    )
    prepare = organisation_ids(request.user, P.PREPARE_MEETINGS)
    for c in committees:
        held = [m for m in c.meetings.all() if m.is_held]
        planned = [m for m in c.meetings.all() if not m.is_held]
        c.last_held = max(held, key=lambda m: m.date) if held else None
        c.next_planned = min(planned, key=lambda m: m.date) if planned else None
    rows = [
        {
            "organisation": o,
            "committees": by_org.get(o.pk, []),
            "can_prepare": o.pk in prepare,
        }
        for o in orgs
    ]
    return render(request, "meetings/index.html", {"rows": rows})


@login_required
def committee_new(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods, P.PREPARE_MEETINGS)
    names = sorted(
        {
            m.committee
            for m in live_report.measures_for(org, Measure.objects.all())
            if m.committee
        }
    )
    form = CommitteeForm(request.POST or None, organisation=org, committees=names)
    if request.method == "POST" and form.is_valid():
        try:
            committee = services.create_committee(
                by=request.user, organisation=org, **form.cleaned_data
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(request, f"The {committee.name} has been set up.")
            return redirect("meetings:committee", committee.pk)
    return render(
        request, "meetings/committee_new.html", {"form": form, "organisation": org}
    )


def _people(committee: Committee):
    """People who may sit on the committee: those who can read its organisation."""
    return [
        u
        for u in User.objects.filter(is_active=True, memberships__isnull=False)
        .distinct()
        .order_by("last_name", "first_name")
        if has_permission(u, P.VIEW_MEASURES, committee.organisation)
    ]


@login_required
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    committee = get_committee_for_user(request.user, pk)
    can_prepare = has_permission(
        request.user, P.PREPARE_MEETINGS, committee.organisation
    )
    meetings = list(committee.meetings.select_related("snapshot").order_by("-date"))
    open_actions = Action.objects.filter(
        meeting__committee=committee, status=Action.Status.OPEN
    ).select_related("meeting", "measure")
    context = {
        "committee": committee,
        "organisation": committee.organisation,
        "members": sorted(
            committee.members.select_related("user"),
            key=lambda s: (ROLE_ORDER.index(s.role), s.user.last_name),
        ),
        "meetings": meetings,
        "open_actions": open_actions,
        "can_prepare": can_prepare,
    }
    if can_prepare:
        people = _people(committee)
        ids = [u.pk for u in people]
        context["member_form"] = MemberForm(people=User.objects.filter(pk__in=ids))
        context["meeting_form"] = MeetingForm()
    return render(request, "meetings/committee.html", context)


@login_required
@require_POST
def add_member(request: HttpRequest, pk: int) -> HttpResponse:
    committee = get_committee_for_user(request.user, pk, P.PREPARE_MEETINGS)
    people = User.objects.filter(pk__in=[u.pk for u in _people(committee)])
    form = MemberForm(request.POST, people=people)
    if form.is_valid():
        try:
            services.add_member(
                by=request.user, committee=committee, **form.cleaned_data
            )
        except ValidationError as e:
            messages.error(request, "; ".join(e.messages))
        else:
            messages.success(request, f"{form.cleaned_data['user']} has been added.")
    else:
        messages.error(request, "The person was not added: " + _errors_text(form))
    return redirect("meetings:committee", committee.pk)


@login_required
@require_POST
def remove_member(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    committee = get_committee_for_user(request.user, pk, P.PREPARE_MEETINGS)
    seat = get_object_or_404(CommitteeMember, pk=member, committee=committee)
    services.remove_member(by=request.user, member=seat)
    messages.success(
        request, f"{seat.user} has been removed from the {committee.name}."
    )
    return redirect("meetings:committee", committee.pk)


@login_required
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    committee = get_committee_for_user(request.user, pk, P.PREPARE_MEETINGS)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.schedule_meeting(
                by=request.user, committee=committee, **form.cleaned_data
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request,
                f"The meeting on {meeting.date:%d %B %Y} has been added. Freeze its report when the data are in.",
            )
            return redirect("meetings:meeting", meeting.pk)
    return render(
        request, "meetings/schedule.html", {"form": form, "committee": committee}
    )


# --- a meeting ----------------------------------------------------------------------


def _report(meeting: Meeting) -> FrozenReport | None:
    snap = getattr(meeting, "snapshot", None)
    return FrozenReport(snap) if snap is not None else None


def _measure_choices(report: FrozenReport | None) -> list[tuple[int, str]]:
    return [(r.measure_id, r.name) for r in report.rows] if report else []


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk)
    org = meeting.committee.organisation
    report = _report(meeting)
    items = {i.measure_id: i for i in meeting.items.all()}
    rows = []
    if report:
        for r in report.rows:
            item = items.get(r.measure_id)
            state = "none"
            if item and not item.prefilled and (item.chart_tells_us or item.doing):
                state = "written"
            elif item and (item.chart_tells_us or item.doing):
                state = "suggested"
            rows.append({"row": r, "state": state})
    carried = [
        {
            "action": a,
            "status": services.action_status(a, meeting),
            "form": ActionUpdateForm(prefix=f"a{a.pk}"),
        }
        for a in Action.objects.open_at(meeting)
        .select_related("meeting", "measure")
        .prefetch_related("updates__meeting")
    ]
    raised = [
        {"action": a, "status": services.action_status(a, meeting)}
        for a in meeting.actions.select_related("measure")
    ]
    can_prepare = has_permission(request.user, P.PREPARE_MEETINGS, org)
    choices = _measure_choices(report)
    context = {
        "meeting": meeting,
        "committee": meeting.committee,
        "organisation": org,
        "report": report,
        "rows": rows,
        "written": sum(1 for r in rows if r["state"] == "written"),
        "carried": carried,
        "raised": raised,
        "decisions": meeting.decisions.select_related("measure"),
        "can_prepare": can_prepare,
        "can_export": has_permission(request.user, P.EXPORT_REPORT, org),
        "previous": meeting.previous(),
    }
    if can_prepare:
        context.update(
            {
                "freeze_form": FreezeForm(
                    initial={"data_cut": meeting.data_cut.strftime("%Y-%m")}
                ),
                "decision_form": DecisionForm(measures=choices),
                "action_form": ActionForm(measures=choices),
            }
        )
    return render(request, "meetings/meeting.html", context)


@login_required
@require_POST
def freeze(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, P.PREPARE_MEETINGS)
    form = FreezeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The report was not frozen: " + _errors_text(form))
        return redirect("meetings:meeting", meeting.pk)
    try:
        snap = services.freeze_report(
            by=request.user, meeting=meeting, data_cut=form.cleaned_data["data_cut"]
        )
    except ValidationError as e:
        messages.error(request, "; ".join(e.messages))
    else:
        messages.success(
            request,
            f"The report is frozen with data to {snap.data_cut:%B %Y}: {len(snap.rows)} measures. "
            "A narrative has been suggested for each; check and complete it.",
        )
    return redirect("meetings:meeting", meeting.pk)


@login_required
def narrative(request: HttpRequest, pk: int, measure: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk)
    org = meeting.committee.organisation
    report = _report(meeting)
    if report is None or measure not in report.by_measure:
        raise Http404("This measure is not in the meeting's report")
    row = report.by_measure[measure]
    item = ReportItem.objects.filter(meeting=meeting, measure_id=measure).first()
    can_prepare = has_permission(request.user, P.PREPARE_MEETINGS, org)
    editable = can_prepare and not meeting.is_held
    form = NarrativeForm(
        request.POST or None,
        initial={
            "chart_tells_us": item.chart_tells_us if item else "",
            "doing": item.doing if item else "",
        },
    )
    if request.method == "POST":
        require(request.user, P.PREPARE_MEETINGS, org)
        if form.is_valid():
            if item is None:
                item = ReportItem.objects.create(
                    meeting=meeting, measure_id=measure, prefilled=False
                )
            try:
                services.save_narrative(by=request.user, item=item, **form.cleaned_data)
            except ValidationError as e:
                form_errors(form, e)
            else:
                messages.success(
                    request, f"The narrative for {row.name} has been saved."
                )
                ids = [r.measure_id for r in report.rows]
                at = ids.index(measure)
                if "next" in request.POST and at + 1 < len(ids):
                    return redirect("meetings:narrative", meeting.pk, ids[at + 1])
                return redirect(
                    reverse("meetings:meeting", args=[meeting.pk])
                    + f"#measure-{measure}"
                )
    measure_obj = get_object_or_404(Measure, pk=measure)
    ids = [r.measure_id for r in report.rows]
    at = ids.index(measure)
    context = {
        "meeting": meeting,
        "committee": meeting.committee,
        "organisation": org,
        "row": row,
        "item": item,
        "form": form,
        "editable": editable,
        "spec": report.chart(measure_obj),
        # Only the projects this reader may see (a patient partner sees the ones
        # they are a partner on).
        "projects": project_links.for_measures(
            [org.pk], [measure], viewer=request.user
        ).get(measure, []),
        "projects_installed": project_links.installed(),
        "previous_row": report.by_measure[ids[at - 1]] if at > 0 else None,
        "next_row": report.by_measure[ids[at + 1]] if at + 1 < len(ids) else None,
        "position": at + 1,
        "count": len(ids),
        "decisions": meeting.decisions.filter(measure_id=measure),
        "actions": meeting.actions.filter(measure_id=measure),
    }
    return render(request, "meetings/narrative.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, P.PREPARE_MEETINGS)
    form = DecisionForm(request.POST, measures=_measure_choices(_report(meeting)))
    if form.is_valid():
        m = form.cleaned_data["measure"]
        try:
            services.record_decision(
                by=request.user,
                meeting=meeting,
                text=form.cleaned_data["text"],
                measure=Measure.objects.get(pk=m) if m else None,
            )
        except ValidationError as e:
            messages.error(request, "; ".join(e.messages))
        else:
            messages.success(request, "The decision has been recorded.")
    else:
        messages.error(request, "The decision was not recorded: " + _errors_text(form))
    return redirect(reverse("meetings:meeting", args=[meeting.pk]) + "#decisions")


@login_required
@require_POST
def add_action(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, P.PREPARE_MEETINGS)
    form = ActionForm(request.POST, measures=_measure_choices(_report(meeting)))
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.add_action(
                by=request.user,
                meeting=meeting,
                text=d["text"],
                owner=d["owner"],
                due=d["due"],
                measure=Measure.objects.get(pk=d["measure"]) if d["measure"] else None,
            )
        except ValidationError as e:
            messages.error(request, "; ".join(e.messages))
        else:
            messages.success(request, f"The action for {d['owner']} has been added.")
    else:
        messages.error(request, "The action was not added: " + _errors_text(form))
    return redirect(reverse("meetings:meeting", args=[meeting.pk]) + "#actions")


@login_required
@require_POST
def update_action(request: HttpRequest, pk: int, action: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, P.PREPARE_MEETINGS)
    item = get_object_or_404(
        Action, pk=action, meeting__committee_id=meeting.committee_id
    )
    form = ActionUpdateForm(request.POST, prefix=f"a{item.pk}")
    if form.is_valid():
        try:
            services.update_action(
                by=request.user, action=item, meeting=meeting, **form.cleaned_data
            )
        except ValidationError as e:
            messages.error(request, "; ".join(e.messages))
        else:
            messages.success(
                request,
                "The action has been closed."
                if form.cleaned_data["close"]
                else "The update has been recorded.",
            )
    else:
        messages.error(request, "The update was not recorded: " + _errors_text(form))
    return redirect(reverse("meetings:meeting", args=[meeting.pk]) + "#carried")


@login_required
@require_POST
def held(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, P.PREPARE_MEETINGS)
    try:
        services.mark_held(by=request.user, meeting=meeting)
    except ValidationError as e:
        messages.error(request, "; ".join(e.messages))
    else:
        messages.success(
            request,
            "The meeting is recorded as held; its report and narrative are now fixed.",
        )
    return redirect("meetings:meeting", meeting.pk)


@login_required
@require_POST
def pack(request: HttpRequest, pk: int) -> HttpResponse:
    """Start preparing the board pack in the background and show its progress."""
    meeting = get_meeting_for_user(request.user, pk, P.EXPORT_REPORT)
    if not hasattr(meeting, "snapshot"):
        raise Http404("The meeting's report has not been frozen yet")
    fmt = request.POST.get("format", "")
    if fmt not in pack_job.FORMATS:
        messages.error(request, "Choose PDF or PowerPoint for the board pack.")
        return redirect("meetings:meeting", meeting.pk)
    job = pack_job.start(by=request.user, meeting=meeting, fmt=fmt)
    return redirect("jobs:detail", job.pk)
