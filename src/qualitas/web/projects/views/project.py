"""Starting, editing, exporting and importing a project, and its overview page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from qualitas.web.authorization import get_project_for_user, organisation_ids
from qualitas.web.forms import form_errors
from qualitas.web.organisations.models import Organisation
from qualitas.web.projects import (
    diagram,
    evidence,
    exchange,
    forms,
    services,
)
from qualitas.web.projects.models import (
    PDSACycle,
    Project,
    Spread,
)
from qualitas.web.projects.views.common import (
    P,
    page_context,
    visible_measures,
)

# --- creating, editing, exporting and importing ----------------------------------------


def _starting_orgs(user: Any):
    return Organisation.objects.filter(
        pk__in=organisation_ids(user, P.START_PROJECTS)
    ).order_by("name")


@login_required
def create(request: HttpRequest) -> HttpResponse:
    orgs = _starting_orgs(request.user)
    if not orgs.exists():
        raise PermissionDenied("You do not have permission to start a project.")
    chosen = orgs.filter(
        ods_code=request.POST.get("organisation") or request.GET.get("organisation")
    ).first() or (orgs.first() if orgs.count() == 1 else None)
    org_form = forms.OrganisationChoiceForm(
        request.POST or None,
        organisations=orgs,
        initial={"organisation": chosen.ods_code if chosen else None},
    )
    form = (
        forms.ProjectForm(
            request.POST or None,
            organisation=chosen,
            measures=visible_measures(request.user),
        )
        if chosen
        else None
    )
    if (
        request.method == "POST"
        and form is not None
        and org_form.is_valid()
        and form.is_valid()
    ):
        d = dict(form.cleaned_data)
        try:
            project = services.create_project(
                by=request.user,
                organisation=org_form.cleaned_data["organisation"],
                **d,
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request,
                f"'{project.title}' has been started, with you as its lead. Next: draw the driver diagram.",
            )
            return redirect("projects:diagram", project.pk)
    return render(
        request,
        "projects/edit.html",
        {
            "form": form,
            "org_form": org_form,
            "chosen": chosen,
            "creating": True,
            "priorities": _priorities(request.user),
        },
    )


def _priorities(user: Any) -> list[str]:
    return sorted(
        {
            p
            for p in Project.objects.visible_to(user).values_list("priority", flat=True)
            if p
        }
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    form = forms.ProjectForm(
        request.POST or None,
        instance=project,
        organisation=project.organisation,
        measures=visible_measures(request.user),
    )
    if request.method == "POST" and form.is_valid():
        fields = {
            name: form.cleaned_data[name]
            for name in form.fields
            if name in services.PROJECT_FIELDS
        }
        project.refresh_from_db()
        try:
            services.update_project(by=request.user, project=project, **fields)
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(request, "The project has been saved.")
            return redirect("projects:detail", project.pk)
    return render(
        request,
        "projects/edit.html",
        {
            **page_context(request, project, "overview"),
            "form": form,
            "creating": False,
            "priorities": _priorities(request.user),
        },
    )


@login_required
def export_json(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.VIEW_PROJECT_WORK)
    response = HttpResponse(
        exchange.dumps(project), content_type="application/json; charset=utf-8"
    )
    slug = "".join(c if c.isalnum() else "-" for c in project.title.lower()).strip("-")
    response["Content-Disposition"] = (
        f'attachment; filename="qualitas-project-{slug[:50] or project.pk}.json"'
    )
    return response


@login_required
def import_project(request: HttpRequest) -> HttpResponse:
    orgs = _starting_orgs(request.user)
    if not orgs.exists():
        raise PermissionDenied("You do not have permission to start a project.")
    form = forms.ImportForm(
        request.POST or None, request.FILES or None, organisations=orgs
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = exchange.parse(upload.read())
            report = exchange.import_project(
                by=request.user,
                organisation=form.cleaned_data["organisation"],
                data=data,
                filename=upload.name,
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request,
                f"'{report.project.title}' has been imported, with you as its lead.",
            )
            for note in report.notes:
                messages.warning(request, note)
            return redirect("projects:detail", report.project.pk)
    return render(request, "projects/import.html", {"form": form})


# --- a project ------------------------------------------------------------------------


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    assessment = evidence.assess([project])[project.pk]
    latest = evidence.latest_scores([project]).get(project.pk)
    context = page_context(request, project, "overview")
    recent = []
    if context["can_work"]:
        recent = list(
            PDSACycle.objects.filter(change_idea__project=project)
            .select_related("change_idea")
            .order_by("-updated_at")[:5]
        )
    context.update(
        {
            "assessment": assessment,
            "latest_score": latest,
            "team": project.team.select_related("user"),
            "partners": project.partners.all(),
            "recent_cycles": recent,
            "ideas": project.change_ideas.all(),
            "svg": diagram.driver_diagram_svg(diagram.for_project(project)),
            "spreads_received": Spread.objects.filter(
                to_project=project
            ).select_related("change_idea__project__organisation"),
        }
    )
    return render(request, "projects/detail.html", context)
