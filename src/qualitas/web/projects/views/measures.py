"""A project's measures on their SPC charts, with its cycles marked."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.web.authorization import get_project_for_user, has_permission
from qualitas.web.forms import form_errors
from qualitas.web.measures.advice import BASELINE_POINTS, CHART_NAMES
from qualitas.web.projects import (
    charts,
    evidence,
    forms,
    services,
)
from qualitas.web.projects.models import (
    PDSACycle,
    Project,
    ProjectMeasure,
)
from qualitas.web.projects.views.common import (
    P,
    page_context,
    visible_measures,
)

# --- measures ------------------------------------------------------------------------


@login_required
def measures(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.VIEW_PROJECT_WORK)
    return render(
        request, "projects/measures.html", _measures_context(request, project)
    )


def _measures_context(request: HttpRequest, project: Project, **extra: Any) -> dict:
    links = list(
        project.project_measures.select_related("measure", "organisation", "unit")
    )
    all_cycles = charts.cycles_for_links(links) if links else []
    shown = [c for c in all_cycles if c.stage != PDSACycle.Stage.PLAN]
    assessment = evidence.assess([project])[project.pk]
    items = []
    for i, link in enumerate(links):
        # Someone on the team or reading a shared project may not see the data of the
        # organisation the measure is charted at: say so instead of drawing it.
        data_access = has_permission(
            request.user, P.VIEW_MEASURES, link.organisation
        ) and has_permission(request.user, P.VIEW_MEASURES, link.measure)
        points = charts.points_on_chart(link) if data_access else 0
        forms_ = extra.get("chart_forms", {})
        items.append(
            {
                "link": link,
                "data_access": data_access,
                "state": assessment.states.get(link.pk) if data_access else None,
                "spec": charts.measure_chart(link, shown) if data_access else None,
                "id": f"measure-chart-{i}",
                "spec_id": f"measure-chart-{i}-spec",
                "points": points,
                "baseline_ready": points >= BASELINE_POINTS,
                "points_to_go": max(BASELINE_POINTS - points, 0),
                "chart_form": forms_.get(link.pk)
                or forms.ChartChoiceForm(
                    initial={
                        "chart": ProjectMeasure.Chart.CONTROL
                        if link.chart == ProjectMeasure.Chart.RUN
                        else ProjectMeasure.Chart.RUN
                    },
                    prefix=f"chart-{link.pk}",
                ),
                "control_name": CHART_NAMES.get(
                    link.control_chart_type, link.control_chart_type
                ),
            }
        )
    linked = {link.measure_id for link in links}
    return {
        **page_context(request, project, "measures"),
        "items": items,
        "assessment": assessment,
        "link_form": extra.get("link_form")
        or forms.LinkMeasureForm(
            project=project,
            measures=visible_measures(request.user).exclude(pk__in=linked),
        ),
        "can_define": has_permission(
            request.user, P.MANAGE_MEASURES, project.organisation
        ),
        "roles": ProjectMeasure.Role,
        "baseline_points": BASELINE_POINTS,
    }


@login_required
@require_POST
def measure_chart_choice(request: HttpRequest, pk: int, link: int) -> HttpResponse:
    """Move a measure to its control chart (once there is a baseline) or back to its
    run chart, saying why."""
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = get_object_or_404(ProjectMeasure, pk=link, project=project)
    form = forms.ChartChoiceForm(request.POST, prefix=f"chart-{item.pk}")
    if form.is_valid():
        try:
            item = services.choose_chart(
                by=request.user,
                link=item,
                chart=form.cleaned_data["chart"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request,
                f"'{item.measure.name}' is now on a {item.get_chart_display().lower()}.",
            )
            return redirect(
                reverse("projects:measures", args=[project.pk]) + f"#m-{item.pk}"
            )
    return render(
        request,
        "projects/measures.html",
        _measures_context(request, project, chart_forms={item.pk: form}),
    )


@login_required
@require_POST
def measure_link(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    form = forms.LinkMeasureForm(
        request.POST, project=project, measures=visible_measures(request.user)
    )
    if form.is_valid():
        try:
            link = services.link_measure(
                by=request.user, project=project, **form.cleaned_data
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request,
                f"The project now follows '{link.measure.name}' as a {link.get_role_display().lower()} measure.",
            )
            return redirect("projects:measures", project.pk)
    return render(
        request,
        "projects/measures.html",
        _measures_context(request, project, link_form=form),
    )


@login_required
def measure_new(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    if not has_permission(request.user, P.MANAGE_MEASURES, project.organisation):
        raise PermissionDenied(
            "Defining a new measure needs the measures register permission: ask your QI lead or analyst."
        )
    form = forms.NewMeasureForm(
        request.POST or None,
        initial={"owner": str(request.user), "decimals": 1, "multiplier": 100},
    )
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        role = d.pop("role")
        try:
            link = services.create_measure_for_project(
                by=request.user, project=project, role=role, **d
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request,
                f"'{link.measure.name}' is in the register and the project follows it. Enter its first values from its chart page.",
            )
            return redirect("projects:measures", project.pk)
    return render(
        request,
        "projects/form.html",
        {
            **page_context(request, project, "measures"),
            "form": form,
            "heading": "Define a new measure for this project",
            "lede": f"It goes into the measures register, owned by {project.organisation.name}, so the board can see it too.",
            "cancel": reverse("projects:measures", args=[project.pk]),
        },
    )


@login_required
@require_POST
def measure_unlink(request: HttpRequest, pk: int, link: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = get_object_or_404(ProjectMeasure, pk=link, project=project)
    services.unlink_measure(by=request.user, link=item)
    messages.success(request, f"The project no longer follows '{item.measure.name}'.")
    return redirect("projects:measures", project.pk)
