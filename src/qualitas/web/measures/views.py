"""The measures register and the measure page (SPC chart, notes, rebasing, equity view).

Views are thin: scoped getters fetch what the user may see (404 otherwise), forms
check input, services change things.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from qualitas.web.accounts.models import User
from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import (
    descendants,
    get_measure_for_user,
    get_organisation_for_user,
    has_permission,
    hierarchy,
    organisation_ids,
    require,
)
from qualitas.web.board.report import sparklines
from qualitas.web.forms import form_errors
from qualitas.web.htmx import is_htmx
from qualitas.web.measures import (
    chart,
    corrections,
    engine,
    freshness,
    series,
    services,
    versions,
    words,
)
from qualitas.web.measures.forms import (
    AnnotationForm,
    CorrectionForm,
    EntryForm,
    MeasureForm,
    RebaseForm,
    RegisterFilterForm,
    RemoveRebaseForm,
    TargetForm,
)
from qualitas.web.measures.models import (
    Annotation,
    Correction,
    Domain,
    Measure,
    Observation,
    Rebase,
    Target,
)
from qualitas.web.organisations.models import Organisation, Unit
from qualitas.web.projects.charts import annotate_measure_chart

P = Permission
DOMAIN_ORDER = {d: i for i, d in enumerate(Domain.values)}


# --- the register -------------------------------------------------------------------


@login_required
def register(request: HttpRequest) -> HttpResponse:
    visible = Measure.objects.visible_to(request.user).select_related("organisation")
    committees = sorted({c for c in visible.values_list("committee", flat=True) if c})
    form = RegisterFilterForm(request.GET or None, committees=committees)
    measures = visible
    if form.is_valid():
        d = form.cleaned_data
        measures = measures.search(d["q"])
        if d["domain"]:
            measures = measures.filter(domain=d["domain"])
        if d["measure_type"]:
            measures = measures.filter(measure_type=d["measure_type"])
        if d["committee"]:
            measures = measures.filter(committee=d["committee"])
    context = {
        "form": form,
        "measures": sorted(
            measures, key=lambda m: (DOMAIN_ORDER.get(m.domain, 9), m.name)
        ),
        "total": visible.count(),
        "can_manage": bool(organisation_ids(request.user, P.MANAGE_MEASURES)),
    }
    template = (
        "measures/_register_results.html"
        if is_htmx(request)
        else "measures/register.html"
    )
    return render(request, template, context)


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    measure = get_measure_for_user(request.user, code)
    viewable = organisation_ids(request.user, P.VIEW_MEASURES)
    with_data = set(
        Observation.objects.filter(measure=measure, organisation_id__in=viewable)
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    _, children = hierarchy()
    systems = {o for o in viewable if set(descendants(o, children)) & with_data}
    orgs = Organisation.objects.filter(pk__in=with_data | systems).order_by(
        "kind", "name"
    )
    breakdowns = list(measure.breakdowns or [])
    return render(
        request,
        "measures/detail.html",
        {
            "measure": measure,
            "organisations": orgs,
            "breakdowns": breakdowns,
            "targets": measure.targets.select_related("organisation"),
            "can_manage": has_permission(request.user, P.MANAGE_MEASURES, measure),
            "target_form": TargetForm(),
            "advice": series.chart_advice(measure),
        },
    )


def _people_in(organisation_ids: list[int]):
    """Active accounts with a role in these organisations or those below them: who
    can own a measure defined there (and so be emailed about it)."""
    _, children = hierarchy()
    reach = set(organisation_ids)
    for o in organisation_ids:
        reach.update(descendants(o, children))
    return (
        User.objects.filter(is_active=True, memberships__organisation_id__in=reach)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


@login_required
def create(request: HttpRequest) -> HttpResponse:
    owners = Organisation.objects.filter(
        pk__in=organisation_ids(request.user, P.MANAGE_MEASURES)
    )
    if not owners.exists():
        raise PermissionDenied("You do not have permission to define measures.")
    form = MeasureForm(request.POST or None, people=_people_in([o.pk for o in owners]))
    owner_code = request.POST.get("owner_organisation", "")
    if request.method == "POST" and form.is_valid():
        org = owners.filter(ods_code=owner_code).first()
        if org is None:
            form.add_error(None, "Choose the organisation that owns the measure.")
        else:
            try:
                with transaction.atomic():  # the measure and its target, or neither
                    measure = services.create_measure(
                        by=request.user, organisation=org, **form.measure_fields()
                    )
                    if target := form.target():
                        services.set_target(by=request.user, measure=measure, **target)
            except ValidationError as e:
                form_errors(form, e)
            else:
                messages.success(
                    request, f"'{measure.name}' has been added to the register."
                )
                advice = series.chart_advice(measure)
                if advice.chart != measure.chart_type:
                    messages.info(
                        request,
                        f"qualitas advises a {advice.chart_name} for this measure: "
                        f"{advice.reason} You chose "
                        f"{measure.get_chart_type_display()}; change it by editing "
                        "the definition if you agree.",
                    )
                return redirect("measures:detail", measure.code)
    return render(
        request,
        "measures/edit.html",
        {"form": form, "owners": owners, "owner_code": owner_code, "creating": True},
    )


@login_required
def edit(request: HttpRequest, code: str) -> HttpResponse:
    measure = get_measure_for_user(request.user, code, P.MANAGE_MEASURES)
    form = MeasureForm(
        request.POST or None,
        instance=measure,
        people=_people_in([measure.organisation_id]),
        advice=series.chart_advice(measure),
    )
    if request.method == "POST" and form.is_valid():
        measure.refresh_from_db()
        try:
            with transaction.atomic():
                services.update_measure(
                    by=request.user, measure=measure, **form.measure_fields()
                )
                if target := form.target():
                    services.set_target(by=request.user, measure=measure, **target)
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(request, "The definition has been saved.")
            return redirect("measures:detail", measure.code)
    return render(
        request,
        "measures/edit.html",
        {"form": form, "measure": measure, "creating": False},
    )


@login_required
@require_POST
def add_target(request: HttpRequest, code: str) -> HttpResponse:
    measure = get_measure_for_user(request.user, code, P.MANAGE_MEASURES)
    form = TargetForm(request.POST)
    if form.is_valid():
        services.set_target(by=request.user, measure=measure, **form.cleaned_data)
        messages.success(request, "The target has been saved.")
    else:
        messages.error(
            request,
            "The target was not saved: "
            + "; ".join(e for errs in form.errors.values() for e in errs),
        )
    return redirect("measures:detail", measure.code)


@login_required
@require_POST
def remove_target(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    measure = get_measure_for_user(request.user, code, P.MANAGE_MEASURES)
    target = get_object_or_404(Target, pk=pk, measure=measure)
    services.remove_target(by=request.user, target=target)
    messages.success(request, "The target has been removed.")
    return redirect("measures:detail", measure.code)


# --- the measure page ---------------------------------------------------------------


def _chart_context(
    request: HttpRequest, measure: Measure, org: Organisation, unit: Unit | None
) -> dict[str, Any]:
    """Everything the chart needs. The part that is the same for every reader is
    kept in the cache under the measure's data version (read afresh: a write earlier
    in this request moves it on); the projects drawn on it are this reader's own."""
    key = versions.key(
        "chart",
        versions.stamps(Measure.objects.filter(pk=measure.pk)),
        versions.organisation_part(org),
        unit.pk if unit else None,
        timezone.localdate(),  # whether the data are late depends on the day
    )
    context = versions.cached(key, lambda: _series_context(measure, org, unit))
    context.update(measure=measure, organisation=org, unit=unit)
    if context["has_data"]:
        # Every PDSA cycle of the projects following this chart, drawn by itself.
        context["spec"], context["project_links"], context["project_cycles"] = (
            annotate_measure_chart(context["spec"], request.user, measure, org, unit)
        )
    return context


def _series_context(
    measure: Measure, org: Organisation, unit: Unit | None
) -> dict[str, Any]:
    """The chart of one series as every reader sees it: figures, limits, icons,
    notes, corrections and the chart's spec (without any projects)."""
    frame = series.organisation_series(
        [measure], org, unit_id=unit.pk if unit else None
    )
    steps = series.target_steps([measure], org)
    notes = list(
        Annotation.objects.filter(measure=measure, organisation=org).select_related(
            "by"
        )
    )
    rebases = list(
        Rebase.objects.filter(measure=measure, organisation=org).select_related("by")
    )
    changed = list(
        corrections.of_series(measure.pk, org.pk, unit.pk if unit else None).order_by(
            "created_at", "id"
        )
    )
    context: dict[str, Any] = {
        "measure": measure,
        "organisation": org,
        "unit": unit,
        "annotations": notes,
        "rebases": rebases,
        "corrections": [corrections.describe(c, measure.decimals) for c in changed],
        "has_data": not frame.empty,
    }
    if frame.empty:
        return context
    latest = frame.groupby("measure_id")["period"].max()
    targets = series.target_at(steps, latest)
    charts = engine.run_charts(
        frame,
        by="measure_id",
        measures={measure.pk: measure},
        target=targets,
        part={measure.pk: [pd.Timestamp(r.period) for r in rebases]}
        if not unit
        else None,
    )
    if charts is None:  # too few values for this chart type yet
        context["has_data"] = False
        return context
    icons = charts.icons.iloc[0]
    points = charts.points
    spec = chart.measure_chart(
        charts.result_for(measure.pk),
        measure.pk,
        measure,
        steps=steps[steps["measure_id"] == measure.pk] if not steps.empty else None,
        notes=[(pd.Timestamp(n.period), n.text) for n in notes]
        + corrections.chart_notes(changed, measure.decimals),
    )
    assurance = None if pd.isna(icons["assurance"]) else str(icons["assurance"])
    variation = str(icons["variation"])
    table = [
        {
            "period": words.period(p.period, measure.frequency),
            "value": words.number(p.value, measure.decimals),
            "mean": words.number(p.cl, measure.decimals),
            "lpl": words.number(p.lcl, measure.decimals),
            "upl": words.number(p.ucl, measure.decimals),
            "rule": words.SPECIAL_CAUSE[str(p.special_cause)],
            "point_type": str(p.point_type),
        }
        for p in points.itertuples(index=False)
    ]
    last = pd.Timestamp(frame["period"].max()).date()
    context.update(
        {
            "spec": spec,
            "chart_type": measure.chart_type,
            "centre_name": "Median" if measure.chart_type == "run" else "Mean",
            "value_unit": "days since the event before"
            if measure.chart_type in engine.EVENT_CHARTS
            else measure.unit,
            "signal": str(icons["signal"]),
            "latest_value": words.number(float(icons["value"]), measure.decimals),
            "latest_period": words.period(icons["period"], measure.frequency),
            "late": freshness.lateness(
                measure.frequency, last, today=timezone.localdate()
            ),
            "mean": words.number(float(icons["cl"]), measure.decimals),
            "lpl": words.number(float(icons["lcl"]), measure.decimals),
            "upl": words.number(float(icons["ucl"]), measure.decimals),
            "target": words.number(targets.get(measure.pk), measure.decimals)
            if measure.pk in targets
            else None,
            "variation": variation,
            "variation_meaning": words.VARIATION_MEANING.get(variation, ""),
            "assurance": assurance,
            "assurance_meaning": words.ASSURANCE_MEANING[assurance or ""],
            "short_baseline": bool(points["trial_limits"].iloc[-1]),
            "n_points": len(points),
            "table": table,
            "trajectory": steps[steps["measure_id"] == measure.pk].to_dict("records")
            if not steps.empty
            else [],
        }
    )
    return context


def _scoped(
    request: HttpRequest, code: str, ods: str, permission: Permission = P.VIEW_MEASURES
) -> tuple[Measure, Organisation]:
    """The measure and organisation of a chart: both must be visible (404), and the
    user must hold ``permission`` at the organisation (403)."""
    measure = get_measure_for_user(request.user, code)
    org = get_organisation_for_user(request.user, ods)
    require(request.user, permission, org)
    return measure, org


def _unit(request: HttpRequest, org: Organisation) -> Unit | None:
    raw = request.GET.get("unit") or request.POST.get("unit_scope")
    if not raw:
        return None
    try:
        return Unit.objects.get(pk=int(raw), organisation=org)
    except (ValueError, Unit.DoesNotExist):
        raise Http404("No such unit") from None


@login_required
def chart_page(request: HttpRequest, code: str, ods: str) -> HttpResponse:
    measure, org = _scoped(request, code, ods)
    unit = _unit(request, org)
    context = _chart_context(request, measure, org, unit)
    context.update(_page_extras(request, measure, org))
    return render(request, "measures/chart.html", context)


def _page_extras(
    request: HttpRequest, measure: Measure, org: Organisation
) -> dict[str, Any]:
    user = request.user
    units = Unit.objects.filter(
        organisation=org, observations__measure=measure
    ).distinct()
    return {
        "units": units,
        "can_annotate": has_permission(user, P.ANNOTATE_CHART, org),
        "can_rebase": has_permission(user, P.REBASE_CHART, org),
        "can_enter": has_permission(user, P.ENTER_DATA, org),
        "annotation_form": AnnotationForm(),
        "rebase_form": RebaseForm(),
        "breakdowns": list(measure.breakdowns or []),
    }


@login_required
@require_POST
def annotate(request: HttpRequest, code: str, ods: str) -> HttpResponse:
    measure, org = _scoped(request, code, ods, P.ANNOTATE_CHART)
    form = AnnotationForm(request.POST)
    if form.is_valid():
        try:
            services.add_annotation(
                by=request.user, measure=measure, organisation=org, **form.cleaned_data
            )
        except ValidationError as e:
            form_errors(form, e)
    if form.errors:
        if is_htmx(request):
            context = _chart_context(request, measure, org, None)
            context.update(_page_extras(request, measure, org))
            context["annotation_form"] = form
            return render(request, "measures/_chart_area.html", context, status=422)
        messages.error(
            request,
            "The note was not saved: "
            + "; ".join(e for errs in form.errors.values() for e in errs),
        )
        return redirect("measures:chart", measure.code, org.ods_code)
    if is_htmx(request):
        context = _chart_context(request, measure, org, None)
        context.update(_page_extras(request, measure, org))
        context["just_added"] = True
        return render(request, "measures/_chart_area.html", context)
    messages.success(request, "Your note has been added to the chart.")
    return redirect(
        reverse("measures:chart", args=[measure.code, org.ods_code]) + "#notes"
    )


@login_required
@require_POST
def delete_annotation(
    request: HttpRequest, code: str, ods: str, pk: int
) -> HttpResponse:
    measure, org = _scoped(request, code, ods, P.ANNOTATE_CHART)
    note = get_object_or_404(Annotation, pk=pk, measure=measure, organisation=org)
    try:
        services.delete_annotation(by=request.user, annotation=note)
    except ValidationError as e:
        raise PermissionDenied(e.messages[0]) from None
    messages.success(request, "The note has been removed.")
    return redirect(
        reverse("measures:chart", args=[measure.code, org.ods_code]) + "#notes"
    )


@login_required
def rebase(request: HttpRequest, code: str, ods: str) -> HttpResponse:
    measure, org = _scoped(request, code, ods, P.REBASE_CHART)
    form = RebaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rebase(
                by=request.user, measure=measure, organisation=org, **form.cleaned_data
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request,
                f"The chart now starts a new baseline in {form.cleaned_data['period']:%B %Y}.",
            )
            return redirect("measures:chart", measure.code, org.ods_code)
    return render(
        request,
        "measures/rebase.html",
        {
            "form": form,
            "measure": measure,
            "organisation": org,
            "rebases": Rebase.objects.filter(measure=measure, organisation=org),
        },
    )


@login_required
@require_POST
def remove_rebase(request: HttpRequest, code: str, ods: str, pk: int) -> HttpResponse:
    measure, org = _scoped(request, code, ods, P.REBASE_CHART)
    change = get_object_or_404(Rebase, pk=pk, measure=measure, organisation=org)
    form = RemoveRebaseForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Say why the baseline should be removed (at least 10 characters)."
        )
        return redirect("measures:rebase", measure.code, org.ods_code)
    services.remove_rebase(
        by=request.user, change=change, reason=form.cleaned_data["reason"]
    )
    messages.success(
        request, f"The baseline from {change.period:%B %Y} has been removed."
    )
    return redirect("measures:chart", measure.code, org.ods_code)


@login_required
def entry(request: HttpRequest, code: str, ods: str) -> HttpResponse:
    """A team's form for this month's value."""
    measure, org = _scoped(request, code, ods, P.ENTER_DATA)
    units = Unit.objects.filter(organisation=org)
    form = EntryForm(request.POST or None, measure=measure, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            obs, replaced = services.enter_value(
                by=request.user,
                measure=measure,
                organisation=org,
                period=d["period"],
                unit=d.get("unit"),
                value=d.get("value"),
                numerator=d.get("numerator"),
                denominator=d.get("denominator"),
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            verb = (
                "updated (it replaces the value entered before)"
                if replaced
                else "saved"
            )
            messages.success(
                request,
                f"{measure.name} for {obs.period:%B %Y}: {words.number(obs.value, measure.decimals)} {measure.unit} {verb}.",
            )
            url = reverse("measures:chart", args=[measure.code, org.ods_code])
            return redirect(url + (f"?unit={obs.unit_id}" if obs.unit_id else ""))
    recent = (
        Observation.objects.filter(measure=measure, organisation=org, breakdown="")
        .select_related("unit")
        .order_by("-period")[:6]
    )
    return render(
        request,
        "measures/entry.html",
        {"form": form, "measure": measure, "organisation": org, "recent": recent},
    )


HISTORY_SHOWN = 500  # the newest corrections on the data page


@login_required
def data(request: HttpRequest, code: str, ods: str) -> HttpResponse:
    """Every stored value of the measure at the organisation, with its corrections
    and withdrawals; links to put a value right for those who may enter data."""
    measure, org = _scoped(request, code, ods)
    values = (
        Observation.objects.filter(measure=measure, organisation=org)
        .select_related("unit")
        .order_by("-period", "unit__name", "breakdown", "stratum")
    )
    page = Paginator(values, 100).get_page(request.GET.get("page"))
    history = Correction.objects.filter(measure=measure, organisation=org)
    changes = list(history.select_related("unit", "by")[:HISTORY_SHOWN])
    corrected = set(
        history.filter(kind=Correction.Kind.CORRECTED).values_list(
            "unit_id", "period", "breakdown", "stratum"
        )
    )
    rows = [
        {
            "obs": o,
            "corrected": (o.unit_id, o.period, o.breakdown, o.stratum) in corrected,
        }
        for o in page
    ]
    return render(
        request,
        "measures/data.html",
        {
            "measure": measure,
            "organisation": org,
            "page": page,
            "rows": rows,
            "corrections": changes,
            "more_corrections": history.count() > len(changes),
            "can_correct": has_permission(request.user, P.ENTER_DATA, org),
        },
    )


@login_required
def correct(request: HttpRequest, code: str, ods: str, pk: int) -> HttpResponse:
    """Correct or withdraw one stored value, with the reason."""
    measure, org = _scoped(request, code, ods, P.ENTER_DATA)
    obs = get_object_or_404(
        Observation.objects.select_related("measure", "organisation", "unit"),
        pk=pk,
        measure=measure,
        organisation=org,
    )
    form = CorrectionForm(request.POST or None, observation=obs)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if d["action"] == CorrectionForm.WITHDRAW:
                services.withdraw_value(
                    by=request.user, observation=obs, reason=d["reason"], seen=d["seen"]
                )
                done = f"The value for {obs.period:%B %Y} has been withdrawn."
            else:
                change = services.correct_value(
                    by=request.user,
                    observation=obs,
                    reason=d["reason"],
                    value=d.get("value"),
                    numerator=d.get("numerator"),
                    denominator=d.get("denominator"),
                    seen=d["seen"],
                )
                done = (
                    f"The value for {obs.period:%B %Y} has been corrected to "
                    f"{words.number(change.new_value, measure.decimals)} {measure.unit}."
                )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request, done + " The chart and reports now mark it as changed."
            )
            return redirect("measures:data", measure.code, org.ods_code)
    history = Correction.objects.filter(
        measure=measure,
        organisation=org,
        unit=obs.unit,
        period=obs.period,
        breakdown=obs.breakdown,
        stratum=obs.stratum,
    ).select_related("by")
    return render(
        request,
        "measures/correct.html",
        {
            "form": form,
            "measure": measure,
            "organisation": org,
            "obs": obs,
            "history": history,
        },
    )


@login_required
def breakdown(request: HttpRequest, code: str, ods: str, name: str) -> HttpResponse:
    """The equity view: the measure split by one breakdown, an SPC chart per group."""
    measure, org = _scoped(request, code, ods)
    canonical = {b.lower(): b for b in measure.breakdowns or []}.get(name.lower())
    if canonical is None:
        raise Http404("No such breakdown")
    frame = series.breakdown_series(measure, org, canonical)
    groups = []
    charts = (
        engine.run_charts(
            frame,
            by="stratum",
            measures=dict.fromkeys(frame["stratum"].unique().tolist(), measure),
        )
        if not frame.empty
        else None
    )
    if charts is not None:
        lines, dots, kinds = sparklines(
            charts.points.rename(columns={"stratum": "measure_id"})
        )
        icons = charts.icons
        specs = chart.group_charts(charts.results[measure.chart_type], measure)
        for i, row in enumerate(icons.itertuples(index=False)):
            spec = specs[row.stratum]
            groups.append(
                {
                    "stratum": row.stratum,
                    "value": words.number(row.value, measure.decimals),
                    "period": words.period(row.period, measure.frequency),
                    "mean": words.number(row.cl, measure.decimals),
                    "lpl": words.number(row.lcl, measure.decimals),
                    "upl": words.number(row.ucl, measure.decimals),
                    "variation": str(row.variation),
                    "signal": str(row.signal),
                    "spark": (lines[i], dots[i], kinds[i]),
                    "spec": spec,
                    "id": f"spec-g{i}",
                    "mean_raw": float(row.cl),
                }
            )
        means = np.array([g["mean_raw"] for g in groups])
        if len(means) > 1:
            best = means.max() if measure.direction == "increase" else means.min()
            for g in groups:
                g["gap"] = words.number(abs(g["mean_raw"] - best), measure.decimals)
    return render(
        request,
        "measures/breakdown.html",
        {
            "measure": measure,
            "organisation": org,
            "breakdown": canonical,
            "groups": groups,
            "breakdowns": list(measure.breakdowns or []),
        },
    )
