"""Every change to improvement projects. Each function takes the acting user as
``by=``, checks their permission on the project, runs in one transaction, records an
audit event, and marks the project as active (for the stalled flag)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import record, snapshot
from qualitas.web.authorization import (
    forget,
    has_permission,
    reaches,
    require,
    same_system,
)
from qualitas.web.measures.models import Measure
from qualitas.web.organisations.models import Organisation, Unit
from qualitas.web.projects.models import (
    PROGRESS_LEVELS,
    ChangeIdea,
    DriverNode,
    InvolvementEntry,
    PatientPartner,
    PDSACycle,
    ProgressScore,
    Project,
    ProjectInvitation,
    ProjectMeasure,
    Spread,
    TeamMember,
)

P = Permission

PROJECT_FIELDS = (
    "title",
    "unit",
    "problem",
    "aim_what",
    "aim_measure",
    "aim_value",
    "aim_by",
    "method",
    "priority",
    "status",
    "sharing",
    "started_on",
    "ended_on",
)


def touch(project: Project, when: dt.datetime | None = None) -> None:
    """Record that someone worked on the project now (it is not stalled)."""
    project.last_activity_at = when or timezone.now()
    Project.objects.filter(pk=project.pk).update(
        last_activity_at=project.last_activity_at
    )


def _event(by: Any, project: Project, action: str, obj: Any, summary: str, **kw: Any):
    record(
        by=by,
        action=action,
        obj=obj,
        organisation=project.organisation,
        summary=summary,
        **kw,
    )


def _check_unit(organisation: Organisation, unit: Unit | None) -> None:
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ValidationError({"unit": "Choose a unit of the project's organisation."})


def _check_aim_measure(by: Any, measure: Measure | None) -> None:
    if measure is not None and not has_permission(by, P.VIEW_MEASURES, measure):
        raise ValidationError({"aim_measure": "Choose a measure you can see."})


# --- projects ------------------------------------------------------------------------


@transaction.atomic
def create_project(
    *, by: Any, organisation: Organisation, title: str, aim_what: str, **fields: Any
) -> Project:
    """Start a project; the person who starts it is its lead until they say otherwise."""
    require(by, P.START_PROJECTS, organisation)
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    _check_unit(organisation, fields.get("unit"))
    _check_aim_measure(by, fields.get("aim_measure"))
    project = Project(
        organisation=organisation,
        title=title.strip(),
        aim_what=aim_what.strip(),
        created_by=by,
        **fields,
    )
    project.full_clean()
    project.save()
    TeamMember.objects.create(project=project, user=by, role=TeamMember.Role.LEAD)
    forget(by)
    if project.aim_measure_id:
        _ensure_outcome(project)
    _event(
        by,
        project,
        "project.created",
        project,
        f"Started the improvement project '{project.title}'",
        after=snapshot(project),
    )
    return project


def _ensure_outcome(project: Project) -> None:
    """The aim's measure is one of the project's outcome measures: the unit's own chart
    if the data are kept for the project's unit, else the organisation's."""
    from qualitas.web.measures.models import Observation

    unit = project.unit
    if (
        unit is not None
        and not Observation.objects.filter(
            measure_id=project.aim_measure_id, unit=unit
        ).exists()
    ):
        unit = None
    ProjectMeasure.objects.get_or_create(
        project=project,
        measure_id=project.aim_measure_id,
        defaults={
            "role": ProjectMeasure.Role.OUTCOME,
            "organisation": project.organisation,
            "unit": unit,
            "note": "The measure named in the aim.",
        },
    )


@transaction.atomic
def update_project(*, by: Any, project: Project, **fields: Any) -> Project:
    require(by, P.EDIT_PROJECTS, project)
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    before = snapshot(Project.objects.get(pk=project.pk))
    _check_unit(project.organisation, fields.get("unit", project.unit))
    if "aim_measure" in fields and fields["aim_measure"] != project.aim_measure:
        _check_aim_measure(by, fields["aim_measure"])
    for name, value in fields.items():
        setattr(project, name, value)
    project.full_clean()
    project.save()
    if project.aim_measure_id:
        _ensure_outcome(project)
    touch(project)
    _event(
        by,
        project,
        "project.updated",
        project,
        f"Changed the project '{project.title}'",
        before=before,
        after=snapshot(project),
    )
    return project


# --- the team, partners and involvement ----------------------------------------------


@transaction.atomic
def set_team_member(*, by: Any, project: Project, user: Any, role: str) -> TeamMember:
    """Add someone whose role reaches the project's organisation to the team, or
    change a member's role. Only the project's lead and the organisation's editors
    may (``MANAGE_PROJECT_TEAM``); anyone else joins by :func:`invite`."""
    require(by, P.MANAGE_PROJECT_TEAM, project)
    _check_role(role)
    if not reaches(user, project) and not project.team.filter(user=user).exists():
        raise ValidationError(
            "Someone from another organisation joins only when an administrator of "
            "their organisation approves: invite them."
        )
    return _put_on_team(by=by, project=project, user=user, role=role)


def _check_role(role: str) -> None:
    if role not in TeamMember.Role.values:
        raise ValidationError({"role": "Choose a role on the team."})


def _put_on_team(*, by: Any, project: Project, user: Any, role: str) -> TeamMember:
    member, created = TeamMember.objects.get_or_create(
        project=project, user=user, defaults={"role": role}
    )
    before = None if created else {"role": member.role}
    member.role = role
    member.save()
    forget(user)
    touch(project)
    _event(
        by,
        project,
        "project.team_set",
        member,
        f"{user} is now {member.get_role_display().lower()} of '{project.title}'",
        before=before,
        after={"user": user.pk, "role": role},
    )
    return member


@transaction.atomic
def invite(*, by: Any, project: Project, username: str, role: str) -> TeamMember | None:
    """Add the person with ``username`` to the team, or ask their organisation.

    Someone whose role reaches the project's organisation (or who is on the team
    already) is added or given the role now, and the member is returned. Anyone
    else gets a pending invitation that an administrator of their own organisation
    approves or declines; someone with no organisation, or no such username, gets
    nothing. Those three return None alike, so the caller's reply cannot tell
    whether a username exists.
    """
    require(by, P.MANAGE_PROJECT_TEAM, project)
    _check_role(role)
    from qualitas.web.accounts.models import User

    user = User.objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        return None
    if reaches(user, project) or project.team.filter(user=user).exists():
        return _put_on_team(by=by, project=project, user=user, role=role)
    if not user.memberships.exists():
        return None  # no administrator could approve: refused
    invitation, created = ProjectInvitation.objects.get_or_create(
        project=project,
        user=user,
        status=ProjectInvitation.Status.PENDING,
        defaults={"role": role, "invited_by": by},
    )
    if not created:
        invitation.role, invitation.invited_by = role, by
        invitation.save(update_fields=["role", "invited_by"])
    _event(
        by,
        project,
        "project.team_invited",
        invitation,
        f"Asked {user}'s organisation to let them join '{project.title}' as "
        f"{invitation.get_role_display().lower()}",
        after={"user": user.pk, "role": role},
    )
    return None


@transaction.atomic
def decide_invitation(*, by: Any, invitation: ProjectInvitation, approve: bool) -> None:
    """An administrator of the invited person's organisation approves (they join the
    team with the role asked for) or declines."""
    require(by, P.ADMINISTER, invitation)
    invitation = ProjectInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != ProjectInvitation.Status.PENDING:
        raise ValidationError("This invitation has already been decided.")
    invitation.status = (
        ProjectInvitation.Status.APPROVED
        if approve
        else ProjectInvitation.Status.DECLINED
    )
    invitation.decided_by, invitation.decided_at = by, timezone.now()
    invitation.save(update_fields=["status", "decided_by", "decided_at"])
    project = invitation.project
    if approve:
        _put_on_team(by=by, project=project, user=invitation.user, role=invitation.role)
    record(
        by=by,
        action=f"project.invitation_{invitation.status}",
        obj=invitation,
        organisation=project.organisation,
        # The administrators of the person's own organisations see it too.
        organisations=invitation.user.memberships.values_list(
            "organisation_id", flat=True
        ),
        summary=f"{invitation.get_status_display()}: {invitation.user} to join "
        f"'{project.title}' as {invitation.get_role_display().lower()}",
        after={"status": invitation.status},
    )


@transaction.atomic
def remove_team_member(*, by: Any, member: TeamMember) -> None:
    project = member.project
    require(by, P.MANAGE_PROJECT_TEAM, project)
    if member.role == TeamMember.Role.LEAD and not project.team.filter(
        role=TeamMember.Role.LEAD
    ).exclude(pk=member.pk):
        raise ValidationError(
            "A project needs a lead: make someone else the lead before removing this one."
        )
    _event(
        by,
        project,
        "project.team_removed",
        member,
        f"Removed {member.user} from the team of '{project.title}'",
        before={"user": member.user_id, "role": member.role},
    )
    forget(member.user)
    member.delete()
    touch(project)


# The same words for a username that does not exist and for someone who may not be
# added, so the reply never tells which usernames exist.
NO_SUCH_PERSON = "No one at {org} has that username."

PARTNER_FIELDS = (
    "user",
    "name",
    "kind",
    "agreed_role",
    "support",
    "access",
    "joined_on",
    "left_on",
)


@transaction.atomic
def save_partner(
    *, by: Any, project: Project, partner: PatientPartner | None = None, **fields: Any
) -> PatientPartner:
    """Add a patient or carer partner, or change what was agreed with them. A partner's
    account must belong to the project's organisation (or a system above it)."""
    require(by, P.MANAGE_PROJECT_TEAM, project)
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise TypeError(f"unknown partner fields: {sorted(unknown)}")
    account = fields.get("user")
    if account is not None and not reaches(account, project):
        raise ValidationError(
            {"username": NO_SUCH_PERSON.format(org=project.organisation)}
        )
    if partner is not None and partner.project_id != project.pk:
        raise PermissionDenied("That partner is on another project.")
    before = snapshot(partner) if partner else None
    partner = partner or PatientPartner(project=project)
    for name, value in fields.items():
        setattr(partner, name, value)
    partner.full_clean()
    partner.save()
    if partner.user_id:
        forget(partner.user)
    touch(project)
    _event(
        by,
        project,
        "project.partner_saved",
        partner,
        f"{'Changed' if before else 'Added'} {partner.get_kind_display().lower()} partner {partner.name} on '{project.title}'",
        before=before,
        after=snapshot(partner),
    )
    return partner


@transaction.atomic
def log_involvement(
    *,
    by: Any,
    project: Project,
    you_said: str,
    we_did: str = "",
    on: dt.date | None = None,
    partner: PatientPartner | None = None,
) -> InvolvementEntry:
    require(by, P.LOG_INVOLVEMENT, project)
    if partner is not None and partner.project_id != project.pk:
        raise ValidationError({"partner": "Choose a partner on this project."})
    if not you_said.strip():
        raise ValidationError({"you_said": "Write what was said."})
    entry = InvolvementEntry(
        project=project,
        partner=partner,
        on=on or dt.date.today(),
        you_said=you_said.strip(),
        we_did=we_did.strip(),
        by=by,
    )
    entry.full_clean()
    entry.save()
    touch(project)
    _event(
        by,
        project,
        "project.involvement_logged",
        entry,
        f"Logged 'you said, we did' on '{project.title}'",
        after=snapshot(entry),
    )
    return entry


@transaction.atomic
def update_involvement(
    *, by: Any, entry: InvolvementEntry, you_said: str, we_did: str
) -> InvolvementEntry:
    """Mostly to write 'we did' once the team has acted on what was said."""
    project = entry.project
    require(by, P.LOG_INVOLVEMENT, project)
    before = snapshot(entry)
    entry.you_said, entry.we_did = you_said.strip(), we_did.strip()
    entry.full_clean()
    entry.save()
    touch(project)
    _event(
        by,
        project,
        "project.involvement_updated",
        entry,
        f"Updated 'you said, we did' on '{project.title}'",
        before=before,
        after=snapshot(entry),
    )
    return entry


# --- the driver diagram ----------------------------------------------------------------


@transaction.atomic
def add_driver(
    *, by: Any, project: Project, text: str, parent: DriverNode | None = None
) -> DriverNode:
    """A primary driver (no parent) or a secondary driver under a primary one."""
    require(by, P.EDIT_PROJECTS, project)
    if parent is not None and (
        parent.project_id != project.pk or parent.kind != DriverNode.Kind.PRIMARY
    ):
        raise ValidationError(
            {
                "parent": "A secondary driver sits under a primary driver of this project."
            }
        )
    siblings = DriverNode.objects.filter(project=project, parent=parent)
    node = DriverNode(
        project=project,
        parent=parent,
        kind=DriverNode.Kind.SECONDARY if parent else DriverNode.Kind.PRIMARY,
        text=text.strip(),
        position=(siblings.aggregate(m=Max("position"))["m"] or 0) + 1,
    )
    node.full_clean()
    node.save()
    touch(project)
    _event(
        by,
        project,
        "project.driver_added",
        node,
        f"Added {node.get_kind_display().lower()} '{node.text}' to '{project.title}'",
        after=snapshot(node),
    )
    return node


@transaction.atomic
def update_driver(*, by: Any, driver: DriverNode, text: str) -> DriverNode:
    project = driver.project
    require(by, P.EDIT_PROJECTS, project)
    before = snapshot(driver)
    driver.text = text.strip()
    driver.full_clean()
    driver.save()
    touch(project)
    _event(
        by,
        project,
        "project.driver_changed",
        driver,
        f"Changed a driver of '{project.title}'",
        before=before,
        after=snapshot(driver),
    )
    return driver


@transaction.atomic
def move_driver(*, by: Any, driver: DriverNode, step: int) -> None:
    """Move a driver up (-1) or down (+1) among its siblings."""
    project = driver.project
    require(by, P.EDIT_PROJECTS, project)
    siblings = list(DriverNode.objects.filter(project=project, parent=driver.parent_id))
    i = next(i for i, s in enumerate(siblings) if s.pk == driver.pk)
    j = i + (1 if step > 0 else -1)
    if not 0 <= j < len(siblings):
        return
    siblings[i], siblings[j] = siblings[j], siblings[i]
    for pos, s in enumerate(siblings, start=1):
        if s.position != pos:
            DriverNode.objects.filter(pk=s.pk).update(position=pos)
    touch(project)


@transaction.atomic
def remove_driver(*, by: Any, driver: DriverNode) -> None:
    project = driver.project
    require(by, P.EDIT_PROJECTS, project)
    _event(
        by,
        project,
        "project.driver_removed",
        driver,
        f"Removed driver '{driver.text}' (and the drivers under it) from '{project.title}'",
        before=snapshot(driver),
    )
    driver.delete()
    touch(project)


IDEA_FIELDS = ("title", "description")


def _check_drivers(project: Project, drivers: list[DriverNode]) -> None:
    if any(d.project_id != project.pk for d in drivers):
        raise ValidationError({"drivers": "Choose drivers of this project."})


@transaction.atomic
def add_change_idea(
    *,
    by: Any,
    project: Project,
    title: str,
    description: str = "",
    drivers: list[DriverNode] | None = None,
    adapted_from: ChangeIdea | None = None,
    spread_from: Spread | None = None,
) -> ChangeIdea:
    require(by, P.EDIT_PROJECTS, project)
    drivers = list(drivers or [])
    _check_drivers(project, drivers)
    if adapted_from is not None and adapted_from.project_id != project.pk:
        raise ValidationError({"adapted_from": "Choose an idea of this project."})
    idea = ChangeIdea(
        project=project,
        title=title.strip(),
        description=description.strip(),
        adapted_from=adapted_from,
        spread_from=spread_from,
        position=(project.change_ideas.aggregate(m=Max("position"))["m"] or 0) + 1,
    )
    idea.full_clean()
    idea.save()
    idea.drivers.set(drivers)
    touch(project)
    _event(
        by,
        project,
        "project.idea_added",
        idea,
        f"Added change idea '{idea.title}' to '{project.title}'",
        after={**snapshot(idea), "drivers": [d.pk for d in drivers]},
    )
    return idea


@transaction.atomic
def update_change_idea(
    *,
    by: Any,
    idea: ChangeIdea,
    title: str,
    description: str,
    drivers: list[DriverNode],
) -> ChangeIdea:
    project = idea.project
    require(by, P.EDIT_PROJECTS, project)
    _check_drivers(project, drivers)
    before = {**snapshot(idea), "drivers": sorted(d.pk for d in idea.drivers.all())}
    idea.title, idea.description = title.strip(), description.strip()
    idea.full_clean()
    idea.save()
    idea.drivers.set(drivers)
    touch(project)
    _event(
        by,
        project,
        "project.idea_changed",
        idea,
        f"Changed change idea '{idea.title}' of '{project.title}'",
        before=before,
        after={**snapshot(idea), "drivers": sorted(d.pk for d in drivers)},
    )
    return idea


@transaction.atomic
def remove_change_idea(*, by: Any, idea: ChangeIdea) -> None:
    """Only an idea never tested can go: tested ones are learning, even if abandoned."""
    project = idea.project
    require(by, P.EDIT_PROJECTS, project)
    if idea.cycles.exists():
        raise ValidationError(
            "This idea has PDSA cycles: their learning is kept. Abandon the idea in a cycle's 'act' instead."
        )
    _event(
        by,
        project,
        "project.idea_removed",
        idea,
        f"Removed untested change idea '{idea.title}' from '{project.title}'",
        before=snapshot(idea),
    )
    idea.delete()
    touch(project)


# --- PDSA cycles ------------------------------------------------------------------------

PLAN_FIELDS = (
    "title",
    "question",
    "prediction",
    "tasks",
    "data_plan",
    "planned_start",
    "planned_end",
    "owner",
)


def _check_measures(project: Project, measures: list[ProjectMeasure]) -> None:
    if any(m.project_id != project.pk for m in measures):
        raise ValidationError({"measures": "Choose measures of this project."})


@transaction.atomic
def plan_cycle(
    *,
    by: Any,
    idea: ChangeIdea,
    measures: list[ProjectMeasure] | None = None,
    previous: PDSACycle | None = None,
    **fields: Any,
) -> PDSACycle:
    """Plan a new cycle for an idea; ``previous`` chains it after an earlier cycle."""
    project = idea.project
    require(by, P.EDIT_PROJECTS, project)
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown plan fields: {sorted(unknown)}")
    measures = list(measures or [])
    _check_measures(project, measures)
    if previous is not None:
        if previous.change_idea.project_id != project.pk:
            raise ValidationError("The previous cycle must belong to this project.")
        if previous.stage != PDSACycle.Stage.DONE:
            raise ValidationError(
                "Finish the previous cycle (study and act) before planning the next one."
            )
        if PDSACycle.objects.filter(previous=previous).exists():
            raise ValidationError("That cycle already has a next cycle.")
    number = (idea.cycles.aggregate(m=Max("number"))["m"] or 0) + 1
    cycle = PDSACycle(change_idea=idea, number=number, previous=previous, created_by=by)
    for name, value in fields.items():
        setattr(cycle, name, value.strip() if isinstance(value, str) else value)
    if cycle.prediction:
        cycle.prediction_recorded_at = timezone.now()
    cycle.full_clean()
    cycle.save()
    cycle.measures.set(measures)
    touch(project)
    _event(
        by,
        project,
        "pdsa.planned",
        cycle,
        f"Planned PDSA cycle {cycle.number} '{cycle.title}' for '{idea.title}'",
        after=snapshot(cycle),
    )
    return cycle


@transaction.atomic
def update_plan(
    *,
    by: Any,
    cycle: PDSACycle,
    measures: list[ProjectMeasure] | None = None,
    **fields: Any,
) -> PDSACycle:
    """Change the plan while it is still a plan; once the test starts, the question and
    prediction are fixed (the database refuses too)."""
    project = cycle.change_idea.project
    require(by, P.EDIT_PROJECTS, project)
    cycle = PDSACycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.stage != PDSACycle.Stage.PLAN:
        raise ValidationError(
            f"The test started on {cycle.started_on:%d %B %Y}: its plan and prediction "
            f"(recorded {timezone.localtime(cycle.prediction_recorded_at):%d %B %Y at %H:%M}) can no longer be changed."
        )
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown plan fields: {sorted(unknown)}")
    before = snapshot(cycle)
    old_prediction = cycle.prediction
    for name, value in fields.items():
        setattr(cycle, name, value.strip() if isinstance(value, str) else value)
    if cycle.prediction != old_prediction:
        cycle.prediction_recorded_at = timezone.now() if cycle.prediction else None
    cycle.full_clean()
    cycle.save()
    if measures is not None:
        _check_measures(project, measures)
        cycle.measures.set(measures)
    touch(project)
    _event(
        by,
        project,
        "pdsa.plan_changed",
        cycle,
        f"Changed the plan of PDSA cycle {cycle.number} '{cycle.title}'",
        before=before,
        after=snapshot(cycle),
    )
    return cycle


def check_start(cycle: PDSACycle, started_on: dt.date) -> None:
    """Refuse a start before the prediction was recorded: the Model for Improvement
    writes the prediction first, and the cycle page says it was (issue 13)."""
    earliest = cycle.earliest_start()
    if started_on < earliest:
        raise ValidationError(
            {
                "started_on": (
                    f"The test cannot have started on {started_on:%-d %B %Y}: its "
                    f"prediction was recorded on {earliest:%-d %B %Y}, and a "
                    "prediction is written before the test starts. Give the day the "
                    f"test started, {earliest:%-d %B %Y} or later."
                )
            }
        )


def _locked(cycle: PDSACycle, stage: str) -> PDSACycle:
    fresh = PDSACycle.objects.select_for_update().get(pk=cycle.pk)
    if fresh.stage != stage:
        raise ValidationError(
            f"This cycle is at '{fresh.get_stage_display()}', so that step does not apply."
        )
    return fresh


@transaction.atomic
def start_cycle(
    *, by: Any, cycle: PDSACycle, started_on: dt.date | None = None
) -> PDSACycle:
    """Start the test ('do'). The question and prediction must be written first, and
    are fixed from now on."""
    project = cycle.change_idea.project
    require(by, P.EDIT_PROJECTS, project)
    cycle = _locked(cycle, PDSACycle.Stage.PLAN)
    missing = [
        label
        for label, value in (
            ("the question", cycle.question),
            ("the prediction", cycle.prediction),
        )
        if not value.strip()
    ]
    if missing:
        raise ValidationError(
            f"Write {' and '.join(missing)} before the test starts: a prediction written afterwards cannot be tested."
        )
    if cycle.prediction_recorded_at is None:
        cycle.prediction_recorded_at = timezone.now()
    started_on = started_on or timezone.localdate()
    check_start(cycle, started_on)
    cycle.stage = PDSACycle.Stage.DO
    cycle.started_on = started_on
    cycle.full_clean()
    cycle.save()
    idea = cycle.change_idea
    if idea.status in (ChangeIdea.Status.IDEA, ChangeIdea.Status.ADAPTED):
        ChangeIdea.objects.filter(pk=idea.pk).update(status=ChangeIdea.Status.TESTING)
    # The first test moves a project from planning to testing.
    Project.objects.filter(pk=project.pk, status=Project.Status.PLANNING).update(
        status=Project.Status.TESTING
    )
    touch(project)
    _event(
        by,
        project,
        "pdsa.started",
        cycle,
        f"Started PDSA cycle {cycle.number} '{cycle.title}'; prediction fixed: {cycle.prediction[:200]}",
        after=snapshot(cycle),
    )
    return cycle


@transaction.atomic
def record_do(
    *,
    by: Any,
    cycle: PDSACycle,
    what_happened: str,
    as_planned: bool | None,
    ended_on: dt.date | None = None,
) -> PDSACycle:
    project = cycle.change_idea.project
    require(by, P.EDIT_PROJECTS, project)
    cycle = _locked(cycle, PDSACycle.Stage.DO)
    before = snapshot(cycle)
    cycle.what_happened = what_happened.strip()
    cycle.as_planned = as_planned
    cycle.ended_on = ended_on
    cycle.full_clean()
    cycle.save()
    touch(project)
    _event(
        by,
        project,
        "pdsa.do_recorded",
        cycle,
        f"Recorded what happened in PDSA cycle {cycle.number} '{cycle.title}'",
        before=before,
        after=snapshot(cycle),
    )
    return cycle


@transaction.atomic
def record_study(
    *,
    by: Any,
    cycle: PDSACycle,
    result: str,
    outcome: str,
    learning: str = "",
    ended_on: dt.date | None = None,
) -> PDSACycle:
    """Compare the result with the prediction (the test has ended)."""
    project = cycle.change_idea.project
    require(by, P.EDIT_PROJECTS, project)
    cycle = PDSACycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.stage not in (PDSACycle.Stage.DO, PDSACycle.Stage.STUDY):
        raise ValidationError("Start the test before studying its results.")
    errors = {}
    if not result.strip():
        errors["result"] = "Write what the data showed."
    if outcome not in PDSACycle.Outcome.values:
        errors["outcome"] = "Say whether it went as predicted."
    end = ended_on or cycle.ended_on or dt.date.today()
    if end < cycle.started_on:
        errors["ended_on"] = "The test cannot end before it started."
    if errors:
        raise ValidationError(errors)
    before = snapshot(cycle)
    cycle.stage = PDSACycle.Stage.STUDY
    cycle.ended_on = end
    cycle.result, cycle.outcome, cycle.learning = (
        result.strip(),
        outcome,
        learning.strip(),
    )
    cycle.full_clean()
    cycle.save()
    touch(project)
    _event(
        by,
        project,
        "pdsa.studied",
        cycle,
        f"Studied PDSA cycle {cycle.number} '{cycle.title}': {cycle.get_outcome_display().lower()}",
        before=before,
        after=snapshot(cycle),
    )
    return cycle


IDEA_STATUS_AFTER = {
    PDSACycle.Decision.ADOPT: ChangeIdea.Status.ADOPTED,
    PDSACycle.Decision.ADAPT: ChangeIdea.Status.ADAPTED,
    PDSACycle.Decision.ABANDON: ChangeIdea.Status.ABANDONED,
}


@transaction.atomic
def record_act(
    *,
    by: Any,
    cycle: PDSACycle,
    decision: str,
    decision_reason: str,
    decided_on: dt.date | None = None,
) -> PDSACycle:
    """Adopt, adapt or abandon; the change idea takes the decision as its status."""
    project = cycle.change_idea.project
    require(by, P.EDIT_PROJECTS, project)
    cycle = _locked(cycle, PDSACycle.Stage.STUDY)
    if decision not in PDSACycle.Decision.values:
        raise ValidationError({"decision": "Choose adopt, adapt or abandon."})
    if decision == PDSACycle.Decision.ABANDON and not decision_reason.strip():
        raise ValidationError(
            {
                "decision_reason": "Say why the idea is abandoned: others will learn from it."
            }
        )
    before = snapshot(cycle)
    cycle.stage = PDSACycle.Stage.DONE
    cycle.decision = decision
    cycle.decision_reason = decision_reason.strip()
    cycle.decided_on = decided_on or dt.date.today()
    cycle.full_clean()
    cycle.save()
    ChangeIdea.objects.filter(pk=cycle.change_idea_id).update(
        status=IDEA_STATUS_AFTER[PDSACycle.Decision(decision)]
    )
    touch(project)
    _event(
        by,
        project,
        "pdsa.decided",
        cycle,
        f"Decided to {decision} '{cycle.change_idea.title}' after PDSA cycle {cycle.number}",
        before=before,
        after=snapshot(cycle),
    )
    return cycle


# --- measures ---------------------------------------------------------------------------


@transaction.atomic
def link_measure(
    *,
    by: Any,
    project: Project,
    measure: Measure,
    role: str,
    unit: Unit | None = None,
    note: str = "",
) -> ProjectMeasure:
    require(by, P.EDIT_PROJECTS, project)
    if not has_permission(by, P.VIEW_MEASURES, measure):
        raise ValidationError({"measure": "Choose a measure you can see."})
    if role not in ProjectMeasure.Role.values:
        raise ValidationError({"role": "Choose outcome, process or balancing."})
    _check_unit(project.organisation, unit)
    if ProjectMeasure.objects.filter(project=project, measure=measure).exists():
        raise ValidationError({"measure": "The project already follows this measure."})
    link = ProjectMeasure(
        project=project,
        measure=measure,
        role=role,
        organisation=project.organisation,
        unit=unit,
        note=note.strip(),
    )
    link.full_clean()
    link.save()
    touch(project)
    _event(
        by,
        project,
        "project.measure_linked",
        link,
        f"'{project.title}' now follows '{measure.name}' as a {link.get_role_display().lower()} measure",
        after=snapshot(link),
    )
    return link


@transaction.atomic
def create_measure_for_project(
    *, by: Any, project: Project, role: str, **measure_fields: Any
) -> ProjectMeasure:
    """Define a new measure in the register (owned by the project's organisation) and
    follow it. Defining measures needs the register permission as well."""
    from qualitas.web.measures import services as measure_services

    require(by, P.EDIT_PROJECTS, project)
    measure = measure_services.create_measure(
        by=by, organisation=project.organisation, **measure_fields
    )
    return link_measure(
        by=by, project=project, measure=measure, role=role, unit=project.unit
    )


@transaction.atomic
def choose_chart(
    *, by: Any, link: ProjectMeasure, chart: str, reason: str
) -> ProjectMeasure:
    """Move a project measure between its run chart and its control chart, recording
    who decided and why. A control chart needs a baseline of at least
    :data:`BASELINE_POINTS` points (the references advise 20): fewer give limits that
    move as each point arrives."""
    from qualitas.web.measures.advice import BASELINE_POINTS
    from qualitas.web.projects.charts import points_on_chart

    project = link.project
    require(by, P.EDIT_PROJECTS, project)
    link = ProjectMeasure.objects.select_for_update().get(pk=link.pk)
    if chart not in ProjectMeasure.Chart.values:
        raise ValidationError({"chart": "Choose a run chart or a control chart."})
    if link.charts_events:
        raise ValidationError(
            {
                "chart": f"'{link.measure.name}' counts rare events, charted as the "
                "time between them: it has no run chart to move from."
            }
        )
    if chart == link.chart:
        raise ValidationError(
            {
                "chart": f"'{link.measure.name}' is already on a {link.get_chart_display().lower()}."
            }
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {"reason": "Say why: the team and the board will read it beside the chart."}
        )
    if chart == ProjectMeasure.Chart.CONTROL:
        n = points_on_chart(link)
        if n < BASELINE_POINTS:
            raise ValidationError(
                {
                    "chart": (
                        f"A control chart needs a baseline of at least {BASELINE_POINTS} "
                        f"points; '{link.measure.name}' has {n}. Keep it on the run "
                        f"chart until {BASELINE_POINTS - n} more have come in."
                    )
                }
            )
    before = snapshot(link)
    link.chart = chart
    link.chart_decided_by = by
    link.chart_decided_at = timezone.now()
    link.chart_reason = reason
    link.full_clean()
    link.save()
    touch(project)
    _event(
        by,
        project,
        "project.measure_chart_changed",
        link,
        f"'{link.measure.name}' moved to a {link.get_chart_display().lower()} on "
        f"'{project.title}': {reason[:200]}",
        before=before,
        after=snapshot(link),
    )
    return link


@transaction.atomic
def unlink_measure(*, by: Any, link: ProjectMeasure) -> None:
    project = link.project
    require(by, P.EDIT_PROJECTS, project)
    _event(
        by,
        project,
        "project.measure_unlinked",
        link,
        f"'{project.title}' no longer follows '{link.measure.name}'",
        before=snapshot(link),
    )
    link.delete()
    touch(project)


# --- progress ------------------------------------------------------------------------


@transaction.atomic
def record_progress(
    *,
    by: Any,
    project: Project,
    score: Decimal | str | float,
    note: str = "",
    assessed_on: dt.date | None = None,
) -> ProgressScore:
    require(by, P.EDIT_PROJECTS, project)
    value = Decimal(str(score)).quantize(Decimal("0.1"))
    if value not in PROGRESS_LEVELS:
        raise ValidationError(
            {"score": "Choose a score on the IHI scale: 0.5 to 5.0 in steps of 0.5."}
        )
    entry = ProgressScore(
        project=project,
        score=value,
        note=note.strip(),
        assessed_on=assessed_on or dt.date.today(),
        by=by,
    )
    entry.full_clean()
    entry.save()
    touch(project)
    _event(
        by,
        project,
        "project.progress_scored",
        entry,
        f"Scored '{project.title}' at {value} ({PROGRESS_LEVELS[value][0]})",
        after=snapshot(entry),
    )
    return entry


# --- spread ----------------------------------------------------------------------------


@transaction.atomic
def spread_idea(
    *,
    by: Any,
    idea: ChangeIdea,
    to_organisation: Organisation,
    to_unit: Unit | None = None,
    note: str = "",
) -> Spread:
    """Offer a change idea to another unit or organisation of the system (their readers
    can then see the idea's project and its learning)."""
    project = idea.project
    require(by, P.EDIT_PROJECTS, project)
    if to_organisation.pk not in same_system({project.organisation_id}):
        raise ValidationError(
            {
                "to_organisation": "Ideas spread within the system; share the project's JSON file with others."
            }
        )
    if to_unit is not None and to_unit.organisation_id != to_organisation.pk:
        raise ValidationError({"to_unit": "Choose a unit of that organisation."})
    if to_organisation.pk == project.organisation_id and (
        to_unit is None or to_unit.pk == project.unit_id
    ):
        raise ValidationError(
            {"to_unit": "Choose another unit or organisation to spread the idea to."}
        )
    spread = Spread(
        change_idea=idea,
        to_organisation=to_organisation,
        to_unit=to_unit,
        note=note.strip(),
        by=by,
    )
    spread.full_clean()
    spread.save()
    touch(project)
    _event(
        by,
        project,
        "project.idea_spread",
        spread,
        f"Offered '{idea.title}' to {to_unit.name if to_unit else to_organisation.name}",
        after=snapshot(spread),
    )
    return spread


def may_update_spread(user: Any, spread: Spread) -> bool:
    """The idea's own team, or people who may start projects where it was offered."""
    return has_permission(user, P.EDIT_PROJECTS, spread.change_idea.project) or (
        has_permission(user, P.START_PROJECTS, spread.to_organisation)
    )


@transaction.atomic
def update_spread(
    *,
    by: Any,
    spread: Spread,
    status: str,
    note: str = "",
    to_project: Project | None = None,
) -> Spread:
    if not may_update_spread(by, spread):
        raise PermissionDenied("You cannot record how this idea spread.")
    if status not in Spread.Status.values:
        raise ValidationError({"status": "Choose a status."})
    if to_project is not None and (
        to_project.organisation_id != spread.to_organisation_id
        or not has_permission(by, P.EDIT_PROJECTS, to_project)
    ):
        raise ValidationError(
            {"to_project": "Choose a project of yours where the idea was offered."}
        )
    before = snapshot(spread)
    spread.status = status
    spread.note = note.strip() or spread.note
    spread.adopted_on = (
        (spread.adopted_on or dt.date.today())
        if status == Spread.Status.ADOPTED
        else None
    )
    if to_project is not None:
        spread.to_project = to_project
    spread.full_clean()
    spread.save()
    project = spread.change_idea.project
    touch(project)
    _event(
        by,
        project,
        "project.spread_updated",
        spread,
        f"'{spread.change_idea.title}' at {spread.to_unit.name if spread.to_unit_id else spread.to_organisation.name}: {spread.get_status_display().lower()}",
        before=before,
        after=snapshot(spread),
    )
    return spread


@transaction.atomic
def take_up_spread(*, by: Any, spread: Spread, project: Project) -> ChangeIdea:
    """Copy an offered idea into a project where it was offered, to test it there."""
    if project.organisation_id != spread.to_organisation_id:
        raise ValidationError(
            {
                "to_project": "Choose a project in the organisation the idea was offered to."
            }
        )
    require(by, P.EDIT_PROJECTS, project)
    source = spread.change_idea
    idea = add_change_idea(
        by=by,
        project=project,
        title=source.title,
        description=(
            f"{source.description}\n\nSpread from '{source.project.title}' "
            f"({source.project.organisation.name})."
        ).strip(),
        spread_from=spread,
    )
    update_spread(
        by=by, spread=spread, status=Spread.Status.TESTING, to_project=project
    )
    return idea
