"""The driver diagram (drawn, exported, edited in place with htmx) and change ideas."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.web.authorization import get_project_for_user, same_system
from qualitas.web.forms import form_errors
from qualitas.web.htmx import is_htmx
from qualitas.web.organisations.models import Organisation
from qualitas.web.projects import (
    diagram,
    forms,
    services,
)
from qualitas.web.projects.models import (
    ChangeIdea,
    DriverNode,
    PDSACycle,
    Project,
)
from qualitas.web.projects.views.common import (
    P,
    page_context,
)

# --- the driver diagram ---------------------------------------------------------------


def _diagram_context(request: HttpRequest, project: Project, **extra: Any) -> dict:
    drivers = list(project.drivers.all())
    primaries = [d for d in drivers if d.parent_id is None]
    children = defaultdict(list)
    for d in drivers:
        if d.parent_id:
            children[d.parent_id].append(d)
    ideas = list(
        project.change_ideas.annotate(n_cycles=Count("cycles")).prefetch_related(
            "drivers"
        )
    )
    return {
        **page_context(request, project, "diagram"),
        "svg": diagram.driver_diagram_svg(diagram.for_project(project)),
        "tree": [(p, children[p.pk]) for p in primaries],
        "ideas": ideas,
        "driver_form": extra.pop("driver_form", None)
        or forms.DriverForm(project=project),
        "idea_form": extra.pop("idea_form", None)
        or forms.ChangeIdeaForm(project=project),
        **extra,
    }


def _diagram_response(request: HttpRequest, project: Project, **extra: Any):
    context = _diagram_context(request, project, **extra)
    if is_htmx(request):
        return render(request, "projects/_diagram_editor.html", context)
    return render(request, "projects/diagram.html", context)


@login_required
def diagram_page(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    return render(request, "projects/diagram.html", _diagram_context(request, project))


@login_required
def diagram_svg(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    svg = diagram.driver_diagram_svg(diagram.for_project(project))
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="driver-diagram-{project.pk}.svg"'
    )
    return response


@login_required
def diagram_png(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    data = diagram.png(diagram.driver_diagram_svg(diagram.for_project(project)))
    response = HttpResponse(data, content_type="image/png")
    response["Content-Disposition"] = (
        f'attachment; filename="driver-diagram-{project.pk}.png"'
    )
    return response


def _after_change(request: HttpRequest, project: Project, message: str, **extra):
    if is_htmx(request):
        return _diagram_response(request, project, just_done=message, **extra)
    messages.success(request, message)
    return redirect(reverse("projects:diagram", args=[project.pk]) + "#editor")


def _with_errors(request: HttpRequest, project: Project, **extra):
    if is_htmx(request):
        return _diagram_response(request, project, **extra)
    return render(
        request, "projects/diagram.html", _diagram_context(request, project, **extra)
    )


@login_required
@require_POST
def driver_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    form = forms.DriverForm(request.POST, project=project)
    if form.is_valid():
        try:
            node = services.add_driver(
                by=request.user,
                project=project,
                text=form.cleaned_data["text"],
                parent=form.cleaned_data["parent"],
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            return _after_change(
                request,
                project,
                f"Added {node.get_kind_display().lower()} '{node.text}'.",
            )
    return _with_errors(request, project, driver_form=form)


def _driver(project: Project, driver_pk: int) -> DriverNode:
    return get_object_or_404(DriverNode, pk=driver_pk, project=project)


@login_required
@require_POST
def driver_edit(request: HttpRequest, pk: int, driver: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    node = _driver(project, driver)
    form = forms.DriverEditForm(request.POST)
    if form.is_valid():
        services.update_driver(
            by=request.user, driver=node, text=form.cleaned_data["text"]
        )
        return _after_change(request, project, "The driver has been changed.")
    return _with_errors(request, project, edit_errors={node.pk: form.errors})


@login_required
@require_POST
def driver_remove(request: HttpRequest, pk: int, driver: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    node = _driver(project, driver)
    services.remove_driver(by=request.user, driver=node)
    return _after_change(request, project, f"Removed '{node.text}'.")


@login_required
@require_POST
def driver_move(request: HttpRequest, pk: int, driver: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    node = _driver(project, driver)
    step = 1 if request.POST.get("direction") == "down" else -1
    services.move_driver(by=request.user, driver=node, step=step)
    return _after_change(request, project, f"Moved '{node.text}'.")


# --- change ideas -----------------------------------------------------------------------


def idea_of(project: Project, idea_pk: int) -> ChangeIdea:
    return get_object_or_404(ChangeIdea, pk=idea_pk, project=project)


@login_required
@require_POST
def idea_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    form = forms.ChangeIdeaForm(request.POST, project=project)
    if form.is_valid():
        try:
            idea = services.add_change_idea(
                by=request.user, project=project, **form.cleaned_data
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            return _after_change(request, project, f"Added change idea '{idea.title}'.")
    return _with_errors(request, project, idea_form=form)


@login_required
def idea(request: HttpRequest, pk: int, idea: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    item = idea_of(project, idea)
    context = page_context(request, project, "diagram")
    cycles = (
        list(item.cycles.select_related("owner", "previous"))
        if context["can_work"]
        else []
    )
    spreads = list(
        item.spreads.select_related("to_organisation", "to_unit", "to_project")
    )
    context.update(
        {
            "idea": item,
            "drivers": item.drivers.all(),
            "cycles": cycles,
            "chains": _chains(cycles),
            "spreads": spreads,
            "adapted_from": item.adapted_from,
            "adaptations": item.adaptations.all(),
            "spread_from": item.spread_from,
        }
    )
    return render(request, "projects/idea.html", context)


def _chains(cycles: list[PDSACycle]) -> list[list[PDSACycle]]:
    """The idea's cycles as chains: each starts at a cycle with no previous one."""
    by_prev = {c.previous_id: c for c in cycles if c.previous_id}
    chains = []
    for c in cycles:
        if c.previous_id is None or c.previous_id not in {x.pk for x in cycles}:
            chain = [c]
            while chain[-1].pk in by_prev:
                chain.append(by_prev[chain[-1].pk])
            chains.append(chain)
    return chains


@login_required
def idea_edit(request: HttpRequest, pk: int, idea: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = idea_of(project, idea)
    form = forms.ChangeIdeaForm(
        request.POST or None,
        project=project,
        initial={
            "title": item.title,
            "description": item.description,
            "drivers": list(item.drivers.all()),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_change_idea(by=request.user, idea=item, **form.cleaned_data)
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(request, "The change idea has been saved.")
            return redirect("projects:idea", project.pk, item.pk)
    return render(
        request,
        "projects/form.html",
        {
            **page_context(request, project, "diagram"),
            "form": form,
            "heading": f"Edit change idea: {item.title}",
            "cancel": reverse("projects:idea", args=[project.pk, item.pk]),
        },
    )


@login_required
@require_POST
def idea_remove(request: HttpRequest, pk: int, idea: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = idea_of(project, idea)
    try:
        services.remove_change_idea(by=request.user, idea=item)
    except ValidationError as e:
        messages.error(request, e.messages[0])
        return redirect("projects:idea", project.pk, item.pk)
    return _after_change(request, project, f"Removed change idea '{item.title}'.")


@login_required
def idea_spread(request: HttpRequest, pk: int, idea: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = idea_of(project, idea)
    orgs = Organisation.objects.filter(
        pk__in=same_system({project.organisation_id})
    ).order_by("kind", "name")
    form = forms.SpreadForm(
        request.POST or None,
        organisations=orgs,
        initial={"to_organisation": project.organisation.ods_code},
    )
    if request.method == "POST" and form.is_valid():
        try:
            spread = services.spread_idea(
                by=request.user, idea=item, **form.cleaned_data
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            where = (
                spread.to_unit.name
                if spread.to_unit_id
                else spread.to_organisation.name
            )
            messages.success(request, f"'{item.title}' has been offered to {where}.")
            return redirect("projects:idea", project.pk, item.pk)
    return render(
        request,
        "projects/form.html",
        {
            **page_context(request, project, "diagram"),
            "form": form,
            "heading": f"Spread '{item.title}'",
            "lede": "Offer this change idea to another ward, department or organisation in the system. People there will see the idea, this project and its learning, and can record whether they adopt it.",
            "cancel": reverse("projects:idea", args=[project.pk, item.pk]),
            "submit": "Offer the idea",
        },
    )
