"""QI-governance maturity and improvement capability: the questionnaires with
qualitas's proposals, scores over time as radar charts, the capability map by unit,
and the training records that feed it."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from qualitas.web.accounts.permissions import Permission
from qualitas.web.assessments import proposal_job, proposals, scoring, services
from qualitas.web.assessments.forms import HeadcountForm, TrainingForm
from qualitas.web.assessments.frameworks import CAPABILITY, FRAMEWORKS, MATURITY
from qualitas.web.assessments.models import Assessment, Headcount, TrainingRecord
from qualitas.web.assessments.radar import radar_spec
from qualitas.web.authorization import (
    get_assessment_for_user,
    get_organisation_for_user,
    has_permission,
    organisation_ids,
    require,
)
from qualitas.web.organisations.models import Organisation, Unit

P = Permission


def _levels(spec) -> list[tuple[int, str]]:
    return [(lv.score, lv.label) for lv in spec.levels]


def history_radar(assessments: list[Assessment], spec, *, size: int = 460):
    """A radar of the most recent completed assessments (newest first, up to four)."""
    done = [a for a in assessments if a.is_completed][:4]
    if not done:
        return None
    series = [(f"{a.assessed_on:%B %Y}", scoring.dimension_scores(a)) for a in done]
    # Two assessments in the same month keep their own labels.
    seen: dict[str, int] = {}
    labelled = []
    for label, scores in series:
        seen[label] = seen.get(label, 0) + 1
        labelled.append(
            (label if seen[label] == 1 else f"{label} ({seen[label]})", scores)
        )
    return radar_spec(
        [(d.key, d.name) for d in spec.dimensions],
        labelled,
        levels=_levels(spec),
        size=size,
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    ids = organisation_ids(request.user, P.VIEW_MEASURES)
    orgs = sorted(
        Organisation.objects.filter(pk__in=ids), key=lambda o: (not o.is_system, o.name)
    )
    latest: dict[int, Assessment] = {}
    for a in Assessment.objects.filter(
        organisation_id__in=ids, framework="maturity", status="completed"
    ).order_by("assessed_on", "id"):
        latest[a.organisation_id] = a
    rows = [
        {
            "organisation": o,
            "maturity": latest.get(o.pk),
            "score": scoring.overall(latest[o.pk]) if o.pk in latest else None,
        }
        for o in orgs
    ]
    return render(request, "assessments/index.html", {"rows": rows})


@login_required
def organisation_page(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods)
    maturity = list(
        Assessment.objects.filter(
            organisation=org, framework="maturity"
        ).prefetch_related("answers")
    )
    capability = list(
        Assessment.objects.filter(
            organisation=org, framework="capability", unit__isnull=True
        ).prefetch_related("answers")
    )
    return render(
        request,
        "assessments/organisation.html",
        {
            "organisation": org,
            "maturity": [(a, scoring.overall(a)) for a in maturity],
            "capability": [(a, scoring.overall(a)) for a in capability],
            "maturity_radar": history_radar(maturity, MATURITY),
            "capability_radar": history_radar(capability, CAPABILITY),
            "can_assess": has_permission(request.user, P.ASSESS_GOVERNANCE, org),
            "units": Unit.objects.filter(organisation=org),
            "maturity_spec": MATURITY,
            "capability_spec": CAPABILITY,
        },
    )


@login_required
@require_POST
def start(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods, P.ASSESS_GOVERNANCE)
    framework = request.POST.get("framework", "")
    unit = None
    if request.POST.get("unit"):
        unit = Unit.objects.filter(pk=request.POST["unit"], organisation=org).first()
        if unit is None:
            raise Http404("No such unit")
    try:
        job = proposal_job.start(
            by=request.user, organisation=org, framework=framework, unit=unit
        )
    except ValidationError as e:
        messages.error(request, "; ".join(e.messages))
        return redirect("assessments:organisation", org.ods_code)
    # qualitas's proposals take a while to gather: the job's page shows progress
    # and then leads to the questionnaire.
    return redirect("jobs:detail", job.pk)


@login_required
def assessment_page(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk)
    org = assessment.organisation
    spec = assessment.spec
    can_answer = (
        has_permission(request.user, P.ASSESS_GOVERNANCE, org)
        and not assessment.is_completed
    )
    problems: list[str] = []
    if request.method == "POST":
        require(request.user, P.ASSESS_GOVERNANCE, org)
        answers = {
            q.key: (
                request.POST.get(f"level-{q.key}", ""),
                request.POST.get(f"evidence-{q.key}", ""),
            )
            for q in spec.questions
        }
        try:
            services.save_answers(
                by=request.user, assessment=assessment, answers=answers
            )
            if "complete" in request.POST:
                services.complete(by=request.user, assessment=assessment)
        except ValidationError as e:
            problems = e.messages
        else:
            if "complete" in request.POST:
                messages.success(request, "The assessment is complete.")
                return redirect("assessments:organisation", org.ods_code)
            messages.success(request, "Your answers have been saved.")
            return redirect("assessments:assessment", assessment.pk)
    answers = {a.question: a for a in assessment.answers.all()}
    if request.method == "POST":  # show what was typed, not what is stored
        for q in spec.questions:
            a = answers[q.key]
            a.level = request.POST.get(f"level-{q.key}", a.level)
            a.evidence = request.POST.get(f"evidence-{q.key}", a.evidence)
    sections = [
        {
            "dimension": d,
            "questions": [
                {
                    "question": q,
                    "answer": answers[q.key],
                    "choices": [
                        (lv, q.anchors[lv.key]) for lv in reversed(spec.levels)
                    ],
                }
                for q in d.questions
            ],
        }
        for d in spec.dimensions
    ]
    answered = sum(1 for a in answers.values() if a.level)
    history = list(
        Assessment.objects.filter(
            organisation=org, framework=assessment.framework, unit=assessment.unit
        ).prefetch_related("answers")
    )
    return render(
        request,
        "assessments/assessment.html",
        {
            "assessment": assessment,
            "organisation": org,
            "spec": spec,
            "sections": sections,
            "answered": answered,
            "total": len(answers),
            "can_answer": can_answer,
            "problems": problems,
            "scores": scoring.dimension_scores(assessment),
            "overall": scoring.overall(assessment),
            "radar": history_radar(history, spec) if assessment.is_completed else None,
        },
    )


def _label(score: float | None) -> str:
    """The capability level nearest a (mean) score."""
    if score is None:
        return ""
    return min(CAPABILITY.levels, key=lambda lv: abs(lv.score - score)).label


@login_required
def capability_map(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods)
    units = list(Unit.objects.filter(organisation=org))
    today = timezone.localdate()
    done = {}
    for a in (
        Assessment.objects.filter(
            organisation=org, framework="capability", status="completed"
        )
        .prefetch_related("answers")
        .order_by("assessed_on", "id")
    ):
        done[a.unit_id] = a
    rows = []
    for unit in [None, *units]:
        latest = done.get(unit.pk if unit else None)
        rated = scoring.dimension_scores(latest) if latest else {}
        e = proposals.Evidence(org, unit, today)
        proposed = {}
        for key, rule in proposals.CAPABILITY_RULES.items():
            p = rule(e)
            if p is not None:
                proposed[key.split(".")[0]] = p
        rows.append(
            {
                "unit": unit,
                "assessment": latest,
                "cells": [
                    {
                        "dimension": d,
                        "rated": rated.get(d.key),
                        "rated_label": _label(rated.get(d.key)),
                        "proposed": proposed.get(d.key),
                        "proposed_label": CAPABILITY.level(proposed[d.key].level).label
                        if d.key in proposed
                        else "",
                    }
                    for d in CAPABILITY.dimensions
                ],
                "skilled": sum(e.training.get(k, 0) for k in proposals.SKILLED),
                "training": e.training,
                "headcount": e.headcount,
                "activity": e.activity,
            }
        )
    return render(
        request,
        "assessments/capability.html",
        {
            "organisation": org,
            "as_of": today,
            "rows": rows,
            "dimensions": CAPABILITY.dimensions,
            "levels": CAPABILITY.levels,
            "can_assess": has_permission(request.user, P.ASSESS_GOVERNANCE, org),
            "can_record": has_permission(request.user, P.RECORD_TRAINING, org),
            "training_levels": TrainingRecord.Level.choices,
        },
    )


@login_required
def training(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods)
    units = Unit.objects.filter(organisation=org)
    can_record = has_permission(request.user, P.RECORD_TRAINING, org)
    form = TrainingForm(request.POST or None, units=units)
    if request.method == "POST":
        require(request.user, P.RECORD_TRAINING, org)
        if form.is_valid():
            try:
                row = services.record_training(
                    by=request.user, organisation=org, **form.cleaned_data
                )
            except ValidationError as e:
                form.add_error(None, "; ".join(e.messages))
            else:
                messages.success(request, f"Recorded: {row}.")
                return redirect("assessments:training", org.ods_code)
    records = TrainingRecord.objects.filter(organisation=org).select_related("unit")
    since = timezone.localdate() - dt.timedelta(days=365 * proposals.TRAINING_YEARS)
    totals = {
        level: int(total)
        for level, total in records.filter(completed_on__gt=since)
        .values("level")
        .annotate(total=Sum("people"))
        .values_list("level", "total")
    }
    return render(
        request,
        "assessments/training.html",
        {
            "organisation": org,
            "records": records[:200],
            "totals": [
                (label, totals.get(key, 0))
                for key, label in TrainingRecord.Level.choices
            ],
            "years": proposals.TRAINING_YEARS,
            "form": form,
            "headcount_form": HeadcountForm(
                units=units, initial={"as_of": timezone.localdate()}
            ),
            "headcounts": Headcount.objects.filter(organisation=org).select_related(
                "unit"
            )[:50],
            "can_record": can_record,
        },
    )


@login_required
@require_POST
def headcount(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods, P.RECORD_TRAINING)
    form = HeadcountForm(request.POST, units=Unit.objects.filter(organisation=org))
    if form.is_valid():
        services.set_headcount(by=request.user, organisation=org, **form.cleaned_data)
        messages.success(request, "The number of staff has been recorded.")
    else:
        messages.error(
            request,
            "Not recorded: "
            + "; ".join(str(e) for errs in form.errors.values() for e in errs),
        )
    return redirect("assessments:training", org.ods_code)


FRAMEWORK_KEYS = tuple(FRAMEWORKS)
