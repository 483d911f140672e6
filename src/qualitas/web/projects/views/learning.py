"""Searching the learning, and spreading change ideas to other units and organisations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from qualitas.web.authorization import has_permission, organisation_ids
from qualitas.web.forms import form_errors
from qualitas.web.htmx import is_htmx
from qualitas.web.projects import (
    forms,
    learning,
    services,
)
from qualitas.web.projects.models import (
    Project,
    Spread,
)
from qualitas.web.projects.views.common import (
    P,
)
from qualitas.web.signed_in import SignedInRequest

# --- learning and spread -----------------------------------------------------------------


@login_required
def learning_search(request: HttpRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None)
    terms: list[str] = []
    hits: list[learning.Hit] = []
    searched = False
    if form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["abandoned"]):
        searched = True
        terms, hits = learning.search(
            request.user,
            form.cleaned_data["q"],
            only_abandoned=form.cleaned_data["abandoned"],
        )
    for h in hits:
        h.extra["pieces"] = [
            (label, learning.mark(text, terms)) for label, text in h.fields
        ]
    template = (
        "projects/_learning_results.html"
        if is_htmx(request)
        else "projects/learning.html"
    )
    return render(
        request,
        template,
        {"form": form, "hits": hits, "terms": terms, "searched": searched},
    )


@login_required
def spread_list(request: HttpRequest) -> HttpResponse:
    """Ideas offered to the user's organisations, and ideas their projects spread."""
    readers = organisation_ids(request.user, P.VIEW_PROJECTS)
    visible = Project.objects.visible_to(request.user)
    received = list(
        Spread.objects.filter(to_organisation_id__in=readers).select_related(
            "change_idea__project__organisation",
            "to_organisation",
            "to_unit",
            "to_project",
        )
    )
    sent = list(
        Spread.objects.filter(change_idea__project__in=visible)
        .exclude(pk__in=[s.pk for s in received])
        .select_related(
            "change_idea__project__organisation",
            "to_organisation",
            "to_unit",
            "to_project",
        )
    )
    for s in received + sent:
        s.can_update = services.may_update_spread(request.user, s)
    return render(
        request,
        "projects/spread.html",
        {"received": received, "sent": sent, "statuses": Spread.Status.choices},
    )


def _spread_for_user(user: Any, pk: int) -> Spread:
    spread = get_object_or_404(
        Spread.objects.select_related("change_idea__project", "to_organisation"), pk=pk
    )
    if not has_permission(user, P.VIEW_PROJECTS, spread.change_idea.project):
        raise Http404("No such spread")
    if not services.may_update_spread(user, spread):
        raise PermissionDenied("You cannot record how this idea spread.")
    return spread


@login_required
def spread_update(request: SignedInRequest, pk: int) -> HttpResponse:
    spread = _spread_for_user(request.user, pk)
    form = forms.SpreadUpdateForm(
        request.POST or None, initial={"status": spread.status, "note": spread.note}
    )
    takers = Project.objects.filter(
        organisation=spread.to_organisation, team__user=request.user
    ).distinct()
    take_form = forms.TakeUpForm(projects=takers)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_spread(by=request.user, spread=spread, **form.cleaned_data)
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(request, "The spread of the idea has been updated.")
            return redirect("projects:spread_list")
    return render(
        request,
        "projects/spread_update.html",
        {
            "spread": spread,
            "form": form,
            "take_form": take_form,
            "has_takers": takers.exists(),
        },
    )


@login_required
@require_POST
def spread_take_up(request: SignedInRequest, pk: int) -> HttpResponse:
    spread = _spread_for_user(request.user, pk)
    takers = Project.objects.filter(
        organisation=spread.to_organisation, team__user=request.user
    ).distinct()
    form = forms.TakeUpForm(request.POST, projects=takers)
    if not form.is_valid():
        messages.error(
            request, "Choose one of your projects where the idea was offered."
        )
        return redirect("projects:spread_update", spread.pk)
    project = form.cleaned_data["project"]
    idea = services.take_up_spread(by=request.user, spread=spread, project=project)
    messages.success(
        request,
        f"'{idea.title}' is now a change idea of '{project.title}'. Plan a PDSA cycle to test it.",
    )
    return redirect("projects:idea", project.pk, idea.pk)
