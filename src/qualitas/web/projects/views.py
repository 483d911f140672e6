"""Project pages: the portfolio, a project with its driver diagram, measures, PDSA
cycles, team, partners, involvement log and progress; the learning search; spreading
ideas; export and import.

Views are thin: scoped getters fetch what the user may see (404 otherwise) and check
what they may do (403), forms check input, services change things.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.web.accounts.access import has_permission, organisation_ids
from qualitas.web.accounts.models import User
from qualitas.web.accounts.permissions import Permission
from qualitas.web.measures.models import Measure
from qualitas.web.organisations.models import Organisation
from qualitas.web.projects import (
    charts,
    diagram,
    evidence,
    exchange,
    forms,
    learning,
    services,
)
from qualitas.web.projects.access import get_project_for_user, same_system
from qualitas.web.projects.models import (
    PROGRESS_LEVELS,
    ChangeIdea,
    DriverNode,
    InvolvementEntry,
    PatientPartner,
    PDSACycle,
    Project,
    ProjectMeasure,
    Spread,
    TeamMember,
)

P = Permission


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errs in error.error_dict.items():
            for e in errs:
                form.add_error(name if name in form.fields else None, e)
    else:
        for e in error.messages:
            form.add_error(None, e)


def _page(request: HttpRequest, project: Project, tab: str, **extra: Any) -> dict:
    user = request.user
    can_work = has_permission(user, P.VIEW_PROJECT_WORK, project)
    tabs = [("overview", "Overview", reverse("projects:detail", args=[project.pk]))]
    tabs.append(
        ("diagram", "Driver diagram", reverse("projects:diagram", args=[project.pk]))
    )
    if can_work:
        tabs += [
            ("cycles", "PDSA cycles", reverse("projects:cycles", args=[project.pk])),
            ("measures", "Measures", reverse("projects:measures", args=[project.pk])),
        ]
    tabs += [
        ("team", "Team and partners", reverse("projects:team", args=[project.pk])),
        (
            "involvement",
            "You said, we did",
            reverse("projects:involvement", args=[project.pk]),
        ),
        ("progress", "Progress", reverse("projects:progress", args=[project.pk])),
    ]
    return {
        "project": project,
        "tab": tab,
        "tabs": tabs,
        "can_edit": has_permission(user, P.EDIT_PROJECTS, project),
        "can_work": can_work,
        "can_log": has_permission(user, P.LOG_INVOLVEMENT, project),
        "stalled": project.is_stalled(),
        **extra,
    }


def _visible_measures(user: Any):
    return Measure.objects.visible_to(user).order_by("name")


# --- the portfolio -------------------------------------------------------------------


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    visible = Project.objects.visible_to(request.user).select_related(
        "organisation", "unit"
    )
    orgs = Organisation.objects.filter(
        pk__in=visible.values("organisation_id")
    ).order_by("name")
    priorities = sorted({p for p in visible.values_list("priority", flat=True) if p})
    form = forms.PortfolioFilterForm(
        request.GET or None, organisations=orgs, priorities=priorities
    )
    projects = visible
    group = "priority"
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            projects = projects.filter(
                Q(title__icontains=d["q"]) | Q(aim_what__icontains=d["q"])
            )
        if d["organisation"]:
            projects = projects.filter(organisation__ods_code=d["organisation"])
        if d["status"]:
            projects = projects.filter(status=d["status"])
        if d["priority"]:
            projects = projects.filter(priority=d["priority"])
        if d["stalled"]:
            projects = projects.stalled()
        group = d["group"] or "priority"
    projects = list(projects.order_by("title"))
    scores = evidence.latest_scores(projects)
    assessments = evidence.assess(projects)
    rows = []
    for p in projects:
        score = scores.get(p.pk)
        a = assessments[p.pk]
        rows.append(
            {
                "project": p,
                "score": score,
                "suggested": a.suggested,
                "suggested_label": a.suggested_label,
                "stalled": a.stalled,
                "no_balancing": a.no_balancing,
                "alerts": a.balancing_alerts,
                "aim": a.aim,
                "mismatch": score is not None
                and abs(Decimal(score.score) - a.suggested) >= Decimal("1.0"),
            }
        )
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        p = r["project"]
        if group == "unit":
            key = (
                f"{p.unit.name}, {p.organisation.name}"
                if p.unit_id
                else f"{p.organisation.name} (whole organisation)"
            )
        elif group == "status":
            key = p.get_status_display()
        elif group == "progress":
            s = r["score"]
            key = f"{s.score} – {s.label}" if s is not None else "No progress score yet"
        else:
            key = p.priority or "No strategic priority given"
        groups[key].append(r)
    if group == "progress":
        ordered = sorted(groups.items(), key=lambda kv: kv[0], reverse=True)
    elif group == "status":
        order = {label: i for i, (_, label) in enumerate(Project.Status.choices)}
        ordered = sorted(groups.items(), key=lambda kv: order.get(kv[0], 99))
    else:
        ordered = sorted(groups.items(), key=lambda kv: kv[0].lower())
    summary = {
        "total": len(rows),
        "open": sum(1 for r in rows if r["project"].is_open),
        "stalled": sum(1 for r in rows if r["stalled"]),
        "no_balancing": sum(
            1 for r in rows if r["no_balancing"] and r["project"].is_open
        ),
        "alerts": sum(1 for r in rows if r["alerts"]),
    }
    return render(
        request,
        "projects/portfolio.html",
        {
            "form": form,
            "groups": ordered,
            "group": group,
            "summary": summary,
            "can_start": bool(organisation_ids(request.user, P.START_PROJECTS)),
        },
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
            measures=_visible_measures(request.user),
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
            _form_errors(form, e)
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
        measures=_visible_measures(request.user),
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
            _form_errors(form, e)
        else:
            messages.success(request, "The project has been saved.")
            return redirect("projects:detail", project.pk)
    return render(
        request,
        "projects/edit.html",
        {
            **_page(request, project, "overview"),
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
            _form_errors(form, e)
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
    context = _page(request, project, "overview")
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
        **_page(request, project, "diagram"),
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
    if _is_htmx(request):
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
    if _is_htmx(request):
        return _diagram_response(request, project, just_done=message, **extra)
    messages.success(request, message)
    return redirect(reverse("projects:diagram", args=[project.pk]) + "#editor")


def _with_errors(request: HttpRequest, project: Project, **extra):
    if _is_htmx(request):
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
            _form_errors(form, e)
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


def _idea(project: Project, idea_pk: int) -> ChangeIdea:
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
            _form_errors(form, e)
        else:
            return _after_change(request, project, f"Added change idea '{idea.title}'.")
    return _with_errors(request, project, idea_form=form)


@login_required
def idea(request: HttpRequest, pk: int, idea: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    item = _idea(project, idea)
    context = _page(request, project, "diagram")
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
    item = _idea(project, idea)
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
            _form_errors(form, e)
        else:
            messages.success(request, "The change idea has been saved.")
            return redirect("projects:idea", project.pk, item.pk)
    return render(
        request,
        "projects/form.html",
        {
            **_page(request, project, "diagram"),
            "form": form,
            "heading": f"Edit change idea: {item.title}",
            "cancel": reverse("projects:idea", args=[project.pk, item.pk]),
        },
    )


@login_required
@require_POST
def idea_remove(request: HttpRequest, pk: int, idea: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = _idea(project, idea)
    try:
        services.remove_change_idea(by=request.user, idea=item)
    except ValidationError as e:
        messages.error(request, e.messages[0])
        return redirect("projects:idea", project.pk, item.pk)
    return _after_change(request, project, f"Removed change idea '{item.title}'.")


@login_required
def idea_spread(request: HttpRequest, pk: int, idea: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = _idea(project, idea)
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
            _form_errors(form, e)
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
            **_page(request, project, "diagram"),
            "form": form,
            "heading": f"Spread '{item.title}'",
            "lede": "Offer this change idea to another ward, department or organisation in the system. People there will see the idea, this project and its learning, and can record whether they adopt it.",
            "cancel": reverse("projects:idea", args=[project.pk, item.pk]),
            "submit": "Offer the idea",
        },
    )


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
            **_page(request, project, "cycles"),
            "rows": rows,
            "ideas": project.change_ideas.all(),
            "accuracy": accuracy,
        },
    )


@login_required
def cycle_new(request: HttpRequest, pk: int, idea: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = _idea(project, idea)
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
            _form_errors(form, e)
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
            **_page(request, project, "cycles"),
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
        **_page(request, project, "cycles"),
        "cycle": cycle,
        "idea": cycle.change_idea,
        "chain": _chain_of(cycle),
        "charts": chart_list,
        "links": links,
        "start_form": forms_.get("start_form") or forms.StartForm(),
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
            _form_errors(form, e)
        else:
            messages.success(request, "The plan has been saved.")
            return redirect("projects:cycle", project.pk, item.pk)
    return render(
        request,
        "projects/plan.html",
        {
            **_page(request, project, "cycles"),
            "form": form,
            "idea": item.change_idea,
            "cycle": item,
            "creating": False,
        },
    )


def _stage_post(request, pk, cycle, form_class, key, action):
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = _cycle(project, cycle)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = action(project, item, form.cleaned_data)
        except ValidationError as e:
            _form_errors(form, e)
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
        items.append(
            {
                "link": link,
                "state": assessment.states.get(link.pk),
                "spec": charts.measure_chart(link, shown),
                "id": f"measure-chart-{i}",
                "spec_id": f"measure-chart-{i}-spec",
            }
        )
    linked = {link.measure_id for link in links}
    return {
        **_page(request, project, "measures"),
        "items": items,
        "assessment": assessment,
        "link_form": extra.get("link_form")
        or forms.LinkMeasureForm(
            project=project,
            measures=_visible_measures(request.user).exclude(pk__in=linked),
        ),
        "can_define": has_permission(
            request.user, P.MANAGE_MEASURES, project.organisation
        ),
        "roles": ProjectMeasure.Role,
    }


@login_required
@require_POST
def measure_link(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    form = forms.LinkMeasureForm(
        request.POST, project=project, measures=_visible_measures(request.user)
    )
    if form.is_valid():
        try:
            link = services.link_measure(
                by=request.user, project=project, **form.cleaned_data
            )
        except ValidationError as e:
            _form_errors(form, e)
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
            _form_errors(form, e)
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
            **_page(request, project, "measures"),
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


# --- team, partners and involvement ---------------------------------------------------------


def _team_context(request: HttpRequest, project: Project, **extra: Any) -> dict:
    return {
        **_page(request, project, "team"),
        "team": project.team.select_related("user"),
        "partners": project.partners.select_related("user"),
        "team_form": extra.get("team_form") or forms.TeamMemberForm(),
        "roles": TeamMember.Role.choices,
    }


@login_required
def team(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    return render(request, "projects/team.html", _team_context(request, project))


@login_required
@require_POST
def team_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    form = forms.TeamMemberForm(request.POST)
    if form.is_valid():
        user = User.objects.filter(
            username=form.cleaned_data["username"].strip(), is_active=True
        ).first()
        if user is None:
            form.add_error("username", "There is no one with that username.")
        else:
            member = services.set_team_member(
                by=request.user,
                project=project,
                user=user,
                role=form.cleaned_data["role"],
            )
            messages.success(
                request,
                f"{user} is {member.get_role_display().lower()} of the project.",
            )
            return redirect("projects:team", project.pk)
    return render(
        request, "projects/team.html", _team_context(request, project, team_form=form)
    )


@login_required
@require_POST
def team_remove(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = get_object_or_404(TeamMember, pk=member, project=project)
    try:
        services.remove_team_member(by=request.user, member=item)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, f"{item.user} has left the team.")
    return redirect("projects:team", project.pk)


@login_required
def partner_form(
    request: HttpRequest, pk: int, partner: int | None = None
) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.EDIT_PROJECTS)
    item = (
        get_object_or_404(PatientPartner, pk=partner, project=project)
        if partner
        else None
    )
    form = forms.PartnerForm(
        request.POST or None,
        instance=item,
        initial={"username": item.user.username if item and item.user_id else ""},
    )
    if request.method == "POST" and form.is_valid():
        d = {name: form.cleaned_data[name] for name in form.Meta.fields}
        username = form.cleaned_data["username"].strip()
        d["user"] = None
        if username:
            d["user"] = User.objects.filter(username=username, is_active=True).first()
            if d["user"] is None:
                form.add_error("username", "There is no one with that username.")
        if not form.errors:
            if item is not None:
                item.refresh_from_db()
            try:
                saved = services.save_partner(
                    by=request.user, project=project, partner=item, **d
                )
            except ValidationError as e:
                _form_errors(form, e)
            else:
                messages.success(request, f"{saved.name}'s role has been saved.")
                return redirect("projects:team", project.pk)
    return render(
        request,
        "projects/form.html",
        {
            **_page(request, project, "team"),
            "form": form,
            "heading": f"{'Change what was agreed with ' + item.name if item else 'Add a patient or carer partner'}",
            "lede": "Agree the role with them first: why they are involved, what they will do, and the support and expenses they will get. They see in qualitas only what is agreed here.",
            "cancel": reverse("projects:team", args=[project.pk]),
        },
    )


@login_required
def involvement(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    form = forms.InvolvementForm(request.POST or None, project=project)
    if request.method == "POST":
        if not has_permission(request.user, P.LOG_INVOLVEMENT, project):
            raise PermissionDenied("You cannot add to this project's involvement log.")
        if form.is_valid():
            try:
                services.log_involvement(
                    by=request.user, project=project, **form.cleaned_data
                )
            except ValidationError as e:
                _form_errors(form, e)
            else:
                messages.success(request, "Added to 'you said, we did'.")
                return redirect("projects:involvement", project.pk)
    entries = project.involvement.select_related("partner", "by")
    return render(
        request,
        "projects/involvement.html",
        {
            **_page(request, project, "involvement"),
            "entries": entries,
            "form": form,
            "waiting": sum(1 for e in entries if not e.we_did),
        },
    )


@login_required
def involvement_edit(request: HttpRequest, pk: int, entry: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.LOG_INVOLVEMENT)
    item = get_object_or_404(InvolvementEntry, pk=entry, project=project)
    form = forms.InvolvementEditForm(
        request.POST or None, initial={"you_said": item.you_said, "we_did": item.we_did}
    )
    if request.method == "POST" and form.is_valid():
        services.update_involvement(by=request.user, entry=item, **form.cleaned_data)
        messages.success(request, "'You said, we did' has been updated.")
        return redirect("projects:involvement", project.pk)
    return render(
        request,
        "projects/form.html",
        {
            **_page(request, project, "involvement"),
            "form": form,
            "heading": "Update 'you said, we did'",
            "cancel": reverse("projects:involvement", args=[project.pk]),
        },
    )


# --- progress -----------------------------------------------------------------------


@login_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    assessment = evidence.assess([project])[project.pk]
    history = list(project.progress_scores.select_related("by"))
    form = forms.ProgressForm(
        request.POST or None,
        initial={"score": str(assessment.suggested), "assessed_on": dt.date.today()},
    )
    if request.method == "POST":
        if not has_permission(request.user, P.EDIT_PROJECTS, project):
            raise PermissionDenied("Only the project's team can score its progress.")
        if form.is_valid():
            try:
                services.record_progress(
                    by=request.user, project=project, **form.cleaned_data
                )
            except ValidationError as e:
                _form_errors(form, e)
            else:
                messages.success(request, "The progress score has been recorded.")
                return redirect("projects:progress", project.pk)
    return render(
        request,
        "projects/progress.html",
        {
            **_page(request, project, "progress"),
            "assessment": assessment,
            "history": history,
            "latest": history[0] if history else None,
            "form": form,
            "levels": [(k, v[0], v[1]) for k, v in PROGRESS_LEVELS.items()],
            "chart": _progress_spec(history, assessment),
        },
    )


def _progress_spec(history, assessment) -> dict | None:
    if not history:
        return None
    values = [
        {
            "date": f"{s.assessed_on.isoformat()}T00:00:00",
            "score": float(s.score),
            "label": f"{s.score} – {s.label}",
        }
        for s in reversed(history)
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Self-assessed progress scores over time",
        "width": "container",
        "height": 180,
        "data": {"values": values},
        "layer": [
            {
                "mark": {
                    "type": "line",
                    "interpolate": "step-after",
                    "color": "#005eb8",
                },
                "encoding": {
                    "x": {
                        "field": "date",
                        "type": "temporal",
                        "title": None,
                        "axis": {"format": "%b %Y"},
                    },
                    "y": {
                        "field": "score",
                        "type": "quantitative",
                        "title": "Progress score",
                        "scale": {"domain": [0, 5]},
                    },
                },
            },
            {
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 60,
                    "color": "#005eb8",
                },
                "encoding": {
                    "x": {"field": "date", "type": "temporal"},
                    "y": {"field": "score", "type": "quantitative"},
                    "tooltip": [{"field": "label", "title": "Score"}],
                },
            },
        ],
    }


# --- learning and spread -----------------------------------------------------------------


@login_required
def learning_search(request: HttpRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None)
    terms, hits = [], []
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
        if _is_htmx(request)
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
def spread_update(request: HttpRequest, pk: int) -> HttpResponse:
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
            _form_errors(form, e)
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
def spread_take_up(request: HttpRequest, pk: int) -> HttpResponse:
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
