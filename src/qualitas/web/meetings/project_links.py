"""What governance needs to know about improvement projects, in one place.

The meetings, value, assessments and evidence apps read projects only through these
functions, so they work (showing no projects) while the projects app is not
installed, and a change to the project models is absorbed here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class LinkedProject:
    """A project as a board paper mentions it."""

    pk: int
    title: str
    organisation_id: int
    status: str
    aim: str
    progress: str  # the latest self-assessed IHI score with its label, or ""
    latest_learning: str  # what the most recent finished PDSA cycle taught, or ""
    url: str


def installed() -> bool:
    return apps.is_installed("qualitas.web.projects")


def project_url(pk: int) -> str:
    """The project's page, or "" while the projects app has no pages yet."""
    try:
        return reverse("projects:detail", args=[pk])
    except NoReverseMatch:
        return ""


def _progress(project) -> str:
    scores = list(project.progress_scores.all())
    if not scores:
        return ""
    latest = scores[0]  # ordered newest first
    return f"{latest.score} {latest.label}"


def _learning(project) -> str:
    from qualitas.web.projects.models import PDSACycle

    cycle = (
        PDSACycle.objects.filter(change_idea__project=project)
        .exclude(learning="")
        .order_by("-ended_on", "-id")
        .first()
    )
    return cycle.learning if cycle else ""


def _linked(project) -> LinkedProject:
    return LinkedProject(
        pk=project.pk,
        title=project.title,
        organisation_id=project.organisation_id,
        status=project.get_status_display(),
        aim=project.aim_sentence(),
        progress=_progress(project),
        latest_learning=_learning(project),
        url=project_url(project.pk),
    )


def for_measures(
    organisation_ids: Iterable[int], measure_ids: Iterable[int], *, viewer: Any
) -> dict[int, list[LinkedProject]]:
    """Open and recently finished projects of the organisations that work on each
    measure (as an outcome, process or balancing measure, or as their aim), of those
    ``viewer`` may see. ``viewer`` None is for papers of the organisation itself
    (board packs, self-assessment evidence), read only by people who see its projects.
    """
    if not installed():
        return {}
    from qualitas.web.authorization import visible_project_filter
    from qualitas.web.projects.models import Project, ProjectMeasure

    orgs, ids = set(organisation_ids), set(measure_ids)
    visible = (
        Project.objects.all()
        if viewer is None
        else Project.objects.filter(visible_project_filter(viewer))
    )
    out: dict[int, list[LinkedProject]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    links = (
        ProjectMeasure.objects.filter(
            measure_id__in=ids,
            project__organisation_id__in=orgs,
            project__in=visible.values("pk"),
        )
        .exclude(project__status=Project.Status.CLOSED)
        .select_related("project")
        .prefetch_related("project__progress_scores")
        .order_by("project__title")
    )
    pairs = [(link.measure_id, link.project) for link in links]
    aimed = (
        visible.filter(aim_measure_id__in=ids, organisation_id__in=orgs)
        .exclude(status=Project.Status.CLOSED)
        .prefetch_related("progress_scores")
    )
    pairs += [(p.aim_measure_id, p) for p in aimed]
    for measure_id, project in pairs:
        if (measure_id, project.pk) in seen:
            continue
        seen.add((measure_id, project.pk))
        out[measure_id].append(_linked(project))
    return dict(out)


def choices(organisation_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(id, title) of the organisations' projects, for a form."""
    if not installed():
        return []
    from qualitas.web.projects.models import Project

    return list(
        Project.objects.filter(organisation_id__in=set(organisation_ids))
        .order_by("title")
        .values_list("pk", "title")
    )


@dataclass(frozen=True)
class Activity:
    """Project activity in an organisation (or a unit) since a date."""

    projects: int = 0
    open_projects: int = 0
    cycles: int = 0  # PDSA cycles started
    finished_cycles: int = 0  # cycles that reached a decision
    with_partners: int = 0  # projects with a patient or carer partner
    involvement_entries: int = 0  # 'you said, we did' entries
    system_projects: int = 0  # projects shared across the system
    spread_out: int = 0  # change ideas offered to other units or organisations
    sustained: int = 0  # projects whose latest progress score is 4.0 or more


def activity(
    organisation_ids: Iterable[int],
    *,
    unit_id: int | None = None,
    since: dt.date,
    until: dt.date | None = None,
) -> Activity:
    """Counts of what improvement teams did between ``since`` and ``until`` (today by
    default), for capability and maturity evidence."""
    if not installed():
        return Activity()
    from qualitas.web.projects.models import (
        InvolvementEntry,
        PatientPartner,
        PDSACycle,
        ProgressScore,
        Project,
        Spread,
    )

    projects = Project.objects.filter(organisation_id__in=set(organisation_ids))
    if unit_id is not None:
        projects = projects.filter(unit_id=unit_id)
    until = until or dt.date.today()
    projects = projects.filter(started_on__lte=until)
    started = projects
    cycles = PDSACycle.objects.filter(
        change_idea__project__in=projects, started_on__gte=since, started_on__lte=until
    )
    latest_scores = {}
    for project_id, score in (
        ProgressScore.objects.filter(project__in=projects, assessed_on__lte=until)
        .order_by("project_id", "assessed_on", "created_at", "id")
        .values_list("project_id", "score")
    ):
        latest_scores[project_id] = score
    return Activity(
        projects=started.count(),
        open_projects=started.filter(status__in=Project.OPEN_STATUSES).count(),
        cycles=cycles.count(),
        finished_cycles=cycles.exclude(decision="").count(),
        with_partners=PatientPartner.objects.filter(project__in=projects)
        .values("project")
        .distinct()
        .count(),
        involvement_entries=InvolvementEntry.objects.filter(
            project__in=projects, on__gte=since, on__lte=until
        ).count(),
        system_projects=projects.exclude(sharing=Project.Sharing.ORGANISATION).count(),
        spread_out=Spread.objects.filter(
            change_idea__project__in=projects, offered_on__lte=until
        ).count(),
        sustained=sum(1 for s in latest_scores.values() if s >= 4),
    )
