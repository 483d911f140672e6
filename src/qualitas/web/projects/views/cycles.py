"""PDSA cycles: plan (with the prediction), do, study, act, and the charts around them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from qualitas.web.authorization import get_project_for_user
from qualitas.web.forms import form_errors
from qualitas.web.projects import (
    charts,
    forms,
    services,
)
from qualitas.web.projects.models import (
    PDSACycle,
    Project,
)
from qualitas.web.projects.views.common import (
    P,
    page_context,
)
from qualitas.web.projects.views.diagram import idea_of

# --- PDSA cycles ------------------------------------------------------------------------


def _cycle(project: Project, cycle_pk: int) -> PDSACycle:
    return get_object_or_404(
        PDSACycle.objects.select_related("change_idea", "owner", "previous"),
        pk=cycle_pk,
        change_idea__project=project,
    )


@login_required
def cycles(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.VIEW_PROJECT_WORK)
    rows = list(
        PDSACycle.objects.filter(change_idea__project=project)
        .select_related("change_idea", "owner")
        .order_by("change_idea__position", "number")
    )
    held = [c for c in rows if c.outcome]
    accuracy = {
        "studied": len(held),
        "yes": sum(1 for c in held if c.outcome == "yes"),
        "partly": sum(1 for c in held if c.outcome == "partly"),
        "no": sum(1 for c in held if c.outcome == "no"),
    }
    return render(
        request,
        "projects/cycles.html",
        {
            **page_context(request, project, "cycles"),
            "rows": rows,
            "ideas": project.change_ideas.all(),
            "accuracy": accuracy,
        },
    )


@login_required
def cycle_new(request: HttpRequest, pk: int, idea: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = idea_of(project, idea)
    previous = None
    after = request.GET.get("after") or request.POST.get("after")
    if after:
        try:
            previous = _cycle(project, int(after))
        except ValueError:
            raise Http404("No such cycle") from None
    today = dt.date.today()
    initial = {
        "owner": request.user.pk,
        "planned_start": today,
        "planned_end": today + dt.timedelta(days=7),
    }
    if previous is not None:
        initial["title"] = previous.title
        initial["question"] = previous.question
    form = forms.PlanForm(request.POST or None, project=project, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        measures = list(d.pop("measures"))
        try:
            cycle = services.plan_cycle(
                by=request.user, idea=item, measures=measures, previous=previous, **d
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request,
                f"Cycle {cycle.number} is planned."
                + (
                    " Its prediction is recorded; it will be fixed when the test starts."
                    if cycle.prediction
                    else " Write the prediction before the test starts."
                ),
            )
            return redirect("projects:cycle", project.pk, cycle.pk)
    return render(
        request,
        "projects/plan.html",
        {
            **page_context(request, project, "cycles"),
            "form": form,
            "idea": item,
            "previous": previous,
            "creating": True,
        },
    )


def _cycle_context(
    request: HttpRequest, project: Project, cycle: PDSACycle, **forms_: Any
):
    links = list(
        project.project_measures.select_related("measure", "organisation", "unit")
    )
    all_cycles = charts.cycles_for_links(links) if links else []
    start, end = cycle.dates()
    window = (
        dt.date(start.year - 1, start.month, 1),
        dt.date(end.year + 1, end.month, 1),
    )
    chart_list = []
    for i, link in enumerate(links):
        spec = charts.measure_chart(
            link, all_cycles, highlight=cycle.pk, window=window, height=220
        )
        if spec is not None:
            chart_list.append(
                {
                    "link": link,
                    "spec": spec,
                    "id": f"cycle-chart-{i}",
                    "spec_id": f"cycle-chart-{i}-spec",
                }
            )
    return {
        **page_context(request, project, "cycles"),
        "cycle": cycle,
        "idea": cycle.change_idea,
        "chain": _chain_of(cycle),
        "charts": chart_list,
        "links": links,
        "start_form": forms_.get("start_form") or forms.StartForm(cycle=cycle),
        "do_form": forms_.get("do_form")
        or forms.DoForm(
            initial={
                "what_happened": cycle.what_happened,
                "as_planned": (
                    None
                    if cycle.as_planned is None
                    else ("yes" if cycle.as_planned else "no")
                ),
                "ended_on": cycle.ended_on,
            }
        ),
        "study_form": forms_.get("study_form")
        or forms.StudyForm(
            initial={
                "ended_on": cycle.ended_on or dt.date.today(),
                "result": cycle.result,
                "outcome": cycle.outcome,
                "learning": cycle.learning,
            }
        ),
        "act_form": forms_.get("act_form") or forms.ActForm(),
        "next_cycle": PDSACycle.objects.filter(previous=cycle).first(),
    }


def _chain_of(cycle: PDSACycle) -> list[PDSACycle]:
    chain = [cycle]
    seen = {cycle.pk}
    while chain[0].previous_id and chain[0].previous_id not in seen:
        prev = PDSACycle.objects.select_related("change_idea").get(
            pk=chain[0].previous_id
        )
        chain.insert(0, prev)
        seen.add(prev.pk)
    nxt = PDSACycle.objects.filter(previous=chain[-1]).first()
    while nxt is not None and nxt.pk not in seen:
        chain.append(nxt)
        seen.add(nxt.pk)
        nxt = PDSACycle.objects.filter(previous=nxt).first()
    return chain


@login_required
def cycle(request: HttpRequest, pk: int, cycle: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.VIEW_PROJECT_WORK)
    item = _cycle(project, cycle)
    return render(
        request, "projects/cycle.html", _cycle_context(request, project, item)
    )


@login_required
def cycle_plan(request: HttpRequest, pk: int, cycle: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = _cycle(project, cycle)
    if item.stage != PDSACycle.Stage.PLAN:
        messages.error(
            request,
            "The test has started, so its plan and prediction can no longer be changed.",
        )
        return redirect("projects:cycle", project.pk, item.pk)
    form = forms.PlanForm(
        request.POST or None,
        instance=item,
        project=project,
        initial={"measures": list(item.measures.all())},
    )
    if request.method == "POST" and form.is_valid():
        d = {name: form.cleaned_data[name] for name in services.PLAN_FIELDS}
        try:
            services.update_plan(
                by=request.user,
                cycle=item,
                measures=list(form.cleaned_data["measures"]),
                **d,
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(request, "The plan has been saved.")
            return redirect("projects:cycle", project.pk, item.pk)
    return render(
        request,
        "projects/plan.html",
        {
            **page_context(request, project, "cycles"),
            "form": form,
            "idea": item.change_idea,
            "cycle": item,
            "creating": False,
        },
    )


def _stage_post(request, pk, cycle, form_class, key, action):
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = _cycle(project, cycle)
    # The start form checks the day against the cycle's recorded prediction.
    extra = {"cycle": item} if form_class is forms.StartForm else {}
    form = form_class(request.POST, **extra)
    if form.is_valid():
        try:
            message = action(project, item, form.cleaned_data)
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(request, message)
            return redirect("projects:cycle", project.pk, item.pk)
    context = _cycle_context(request, project, item, **{key: form})
    return render(request, "projects/cycle.html", context, status=200)


@login_required
@require_POST
def cycle_start(request: HttpRequest, pk: int, cycle: int) -> HttpResponse:
    def act(project, item, d):
        services.start_cycle(by=request.user, cycle=item, started_on=d["started_on"])
        return "The test has started. Its prediction is now fixed."

    return _stage_post(request, pk, cycle, forms.StartForm, "start_form", act)


@login_required
@require_POST
def cycle_do(request: HttpRequest, pk: int, cycle: int) -> HttpResponse:
    def act(project, item, d):
        services.record_do(by=request.user, cycle=item, **d)
        return "What happened has been recorded."

    return _stage_post(request, pk, cycle, forms.DoForm, "do_form", act)


@login_required
@require_POST
def cycle_study(request: HttpRequest, pk: int, cycle: int) -> HttpResponse:
    def act(project, item, d):
        services.record_study(by=request.user, cycle=item, **d)
        return "The study has been recorded. Now decide: adopt, adapt or abandon."

    return _stage_post(request, pk, cycle, forms.StudyForm, "study_form", act)


@login_required
@require_POST
def cycle_act(request: HttpRequest, pk: int, cycle: int) -> HttpResponse:
    def act(project, item, d):
        services.record_act(by=request.user, cycle=item, **d)
        return {
            "adopt": "Adopted. The change idea is now part of how the team works.",
            "adapt": "Adapted. Plan the next cycle to test the changed idea.",
            "abandon": "Abandoned. The reason is kept so others can learn from it.",
        }[d["decision"]]

    return _stage_post(request, pk, cycle, forms.ActForm, "act_form", act)
