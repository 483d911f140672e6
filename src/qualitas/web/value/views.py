"""The value ledger: benefit claims from light to dark green, totals by organisation
and system, finance's sign-off, and opportunities from funnel plots."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qualitas.errors import QualitasError
from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import (
    descendants,
    get_claim_for_user,
    get_organisation_for_user,
    has_permission,
    hierarchy,
    organisation_ids,
    system_of,
)
from qualitas.web.board import report as live_report
from qualitas.web.forms import form_errors
from qualitas.web.measures import chart as measure_chart
from qualitas.web.measures import compare_views, engine, series
from qualitas.web.measures.models import Annotation, Measure
from qualitas.web.organisations.models import Organisation
from qualitas.web.value import ledger, opportunities, services
from qualitas.web.value.forms import ClaimForm, OpportunityForm, SignOffForm
from qualitas.web.value.models import BenefitClaim

P = Permission


def _system_orgs(org: Organisation) -> list[Organisation]:
    """The organisation and every member below it."""
    _, children = hierarchy()
    ids = [org.pk, *descendants(org.pk, children)]
    return sorted(
        Organisation.objects.filter(pk__in=ids), key=lambda o: (not o.is_system, o.name)
    )


def _same_system(org: Organisation) -> list[Organisation]:
    top = system_of(org.pk)
    return _system_orgs(Organisation.objects.get(pk=top))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    ids = organisation_ids(request.user, P.VIEW_MEASURES)
    orgs = sorted(
        Organisation.objects.filter(pk__in=ids), key=lambda o: (not o.is_system, o.name)
    )
    claims = list(BenefitClaim.objects.visible_to(request.user))
    rows = []
    for org in orgs:
        scope = {o.pk for o in _system_orgs(org)}
        mine = [
            c for c in claims if c.lands_in_id in scope or c.organisation_id in scope
        ]
        rows.append((org, ledger.ledger(mine, []).total))
    return render(request, "value/index.html", {"rows": rows})


@login_required
def ledger_page(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods)
    scope = _system_orgs(org)
    ids = [o.pk for o in scope]
    claims = list(
        BenefitClaim.objects.filter(lands_in_id__in=ids).select_related(
            "organisation", "lands_in", "signed_off_by"
        )
        | BenefitClaim.objects.filter(organisation_id__in=ids).select_related(
            "organisation", "lands_in", "signed_off_by"
        )
    )
    claims = list({c.pk: c for c in claims}.values())
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    project = request.GET.get("project", "")
    shown = [
        c
        for c in claims
        if (not status or c.status == status)
        and (not kind or c.kind == kind)
        and (not project or str(c.project_id) == project)
    ]
    shown.sort(key=lambda c: (c.is_decided, -c.pk))
    # Totals by where the benefit lands, for every organisation in the scope and for
    # organisations outside it that benefit from its work.
    landing = {c.lands_in_id for c in claims}
    orgs = scope + list(
        Organisation.objects.filter(pk__in=landing - set(ids)).order_by("name")
    )
    book = ledger.ledger(
        [c for c in claims if c.organisation_id in ids or c.lands_in_id in ids], orgs
    )
    return render(
        request,
        "value/ledger.html",
        {
            "organisation": org,
            "ledger": book,
            "claims": shown,
            "statuses": BenefitClaim.Status.choices,
            "kinds": BenefitClaim.Kind.choices,
            "status": status,
            "kind": kind,
            "project": project,
            "can_claim": has_permission(request.user, P.CLAIM_BENEFITS, org),
            "can_compare": org.is_system or org.parent_id is not None,
        },
    )


def _claim_form(request: HttpRequest, org: Organisation, **kwargs: Any) -> ClaimForm:
    measures = live_report.measures_for(org, Measure.objects.visible_to(request.user))
    from qualitas.web.projects.models import Project

    return ClaimForm(
        request.POST or None,
        projects=Project.objects.visible_to(request.user).filter(organisation=org),
        organisations=Organisation.objects.filter(
            pk__in=[o.pk for o in _same_system(org)]
        ),
        measures=Measure.objects.filter(pk__in=[m.pk for m in measures]),
        **kwargs,
    )


@login_required
def new_claim(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods, P.CLAIM_BENEFITS)
    initial: dict[str, Any] = {
        "lands_in": org.pk,
        "status": BenefitClaim.Status.ESTIMATED,
    }
    found = None
    if request.GET.get("measure") and request.GET.get("from"):
        found = _opportunity_for(request, org)
        if found is not None:
            comparison, row = found
            fields = opportunities.claim_fields(comparison, row)
            initial.update({k: v for k, v in fields.items() if k != "opportunity"})
            initial["evidence_measure"] = comparison.measure.pk
            initial["lands_in"] = row.organisation.pk
            initial["kind"] = BenefitClaim.Kind.AVOIDED
    form = _claim_form(request, org, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        lands_in = fields.pop("lands_in")
        if request.POST.get("opportunity_of"):
            again = _opportunity_for(request, org, source=request.POST)
            if again is not None:
                fields["opportunity"] = opportunities.claim_fields(*again)[
                    "opportunity"
                ]
        try:
            claim = services.create_claim(
                by=request.user, organisation=org, lands_in=lands_in, **fields
            )
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(
                request, f"The claim '{claim.title}' is in the ledger as light green."
            )
            return redirect("value:claim", claim.pk)
    return render(
        request,
        "value/claim_form.html",
        {
            "form": form,
            "organisation": org,
            "creating": True,
            "found": found,
            "carry": [
                (k, request.GET[k])
                for k in opportunities.CHOICE_KEYS
                if request.GET.get(k)
            ],
        },
    )


def _opportunity_for(request: HttpRequest, org: Organisation, source=None):
    """The opportunity a "start a claim" link names (the compare page's choices and
    the organisation it is ``from``), recomputed from the data the reader may
    compare with: the same comparison the chart drew."""
    q = source if source is not None else request.GET
    measure = (
        Measure.objects.visible_to(request.user)
        .filter(code=q.get("measure", ""))
        .first()
    )
    if measure is None:
        return None
    found = compare_views.comparison_for(request.user, measure, q)
    comparison = found["comparison"]
    if comparison is None:
        return None
    row = next(
        (r for r in comparison.rows if r.organisation.ods_code == q.get("from")), None
    )
    if row is None or row.organisation.pk != org.pk:
        return None
    return comparison, row


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    can_sign = has_permission(request.user, P.SIGN_OFF_SAVINGS, claim.lands_in)
    context = {
        "claim": claim,
        "can_edit": has_permission(request.user, P.CLAIM_BENEFITS, claim.organisation)
        and not claim.is_decided,
        "can_sign": can_sign
        and not claim.is_decided
        and claim.kind != BenefitClaim.Kind.QUALITY,
        "sign_form": SignOffForm(initial={"amount": claim.estimate_amount}),
        # The benefit may land anywhere in the system: draw that organisation's data
        # only for someone who may see it there.
        "data_access": _may_see_evidence(request.user, claim),
    }
    context["spec"] = _evidence_chart(claim) if context["data_access"] else None
    return render(request, "value/claim.html", context)


def _may_see_evidence(user: Any, claim: BenefitClaim) -> bool:
    m = claim.evidence_measure
    return m is None or (
        has_permission(user, P.VIEW_MEASURES, m)
        and has_permission(user, P.VIEW_MEASURES, claim.lands_in)
    )


def _evidence_chart(claim: BenefitClaim) -> dict[str, Any] | None:
    """The evidence measure's SPC chart where the benefit lands, with the change marked."""
    m = claim.evidence_measure
    if m is None:
        return None
    org = claim.lands_in
    frame = series.organisation_series([m], org)
    if frame.empty:
        return None
    steps = series.target_steps([m], org)
    latest = frame.groupby("measure_id")["period"].max()
    charts = engine.run_charts(
        frame,
        by="measure_id",
        measures={m.pk: m},
        target=series.target_at(steps, latest),
        part=series.rebase_periods([m], org),
    )
    if charts is None:
        return None
    result = charts.result_for(m.pk)
    notes = [
        (pd.Timestamp(p), t)
        for p, t in Annotation.objects.filter(measure=m, organisation=org).values_list(
            "period", "text"
        )
    ]
    if claim.changed_from:
        notes.append((pd.Timestamp(claim.changed_from), f"Change made: {claim.title}"))
    # One label per month: notes for the same month are joined, so none hides another.
    merged: dict[pd.Timestamp, list[str]] = {}
    for period, text in notes:
        merged.setdefault(period, []).append(text)
    notes = [(p, " / ".join(texts)) for p, texts in sorted(merged.items())]
    return measure_chart.measure_chart(result, m.pk, m, notes=notes, height=260)


@login_required
def edit_claim(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk, P.CLAIM_BENEFITS)
    if claim.is_decided:
        raise PermissionDenied(
            "Finance has decided this claim; it can no longer change."
        )
    form = _claim_form(request, claim.organisation, instance=claim)
    if request.method == "POST" and form.is_valid():
        claim.refresh_from_db()
        try:
            services.update_claim(by=request.user, claim=claim, **form.cleaned_data)
        except ValidationError as e:
            form_errors(form, e)
        else:
            messages.success(request, "The claim has been saved.")
            return redirect("value:claim", claim.pk)
    return render(
        request,
        "value/claim_form.html",
        {
            "form": form,
            "organisation": claim.organisation,
            "claim": claim,
            "creating": False,
        },
    )


@login_required
@require_POST
def sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_claim_for_user(request.user, pk)
    if not has_permission(request.user, P.SIGN_OFF_SAVINGS, claim.lands_in):
        raise PermissionDenied(
            f"Only finance at {claim.lands_in.name}, where the benefit lands, can sign off a realised saving."
        )
    form = SignOffForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.sign_off(
                by=request.user,
                claim=claim,
                realised=d["outcome"] == "realised",
                amount=d["amount"] if d["outcome"] == "realised" else None,
                note=d["note"],
            )
        except ValidationError as e:
            messages.error(request, "; ".join(e.messages))
        else:
            if claim.is_dark_green:
                messages.success(
                    request,
                    f"Signed off: £{claim.realised_amount:,.2f} realised. The claim is dark green.",
                )
            else:
                messages.success(request, "Recorded as not realised.")
    else:
        messages.error(
            request,
            "Nothing was signed off: "
            + "; ".join(str(e) for errs in form.errors.values() for e in errs),
        )
    return redirect("value:claim", claim.pk)


@login_required
def opportunities_page(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods)
    visible = Measure.objects.visible_to(request.user)
    measures = opportunities.eligible(
        sorted(live_report.measures_for(org, visible), key=lambda m: m.name)
    )
    form = OpportunityForm(request.GET or None, measures=measures)
    result, problem = None, None
    if request.GET and form.is_valid():
        d = form.cleaned_data
        measure = next(m for m in measures if m.code == d["measure"])
        try:
            result = opportunities.compute(
                request.user,
                measure,
                org,
                months=d["months"],
                peers=d["peers"],
                benchmark=d["benchmark"],
                unit_cost=float(d["unit_cost"]) if d["unit_cost"] is not None else None,
            )
        except QualitasError as e:
            problem = str(e)
    claimable = organisation_ids(request.user, P.CLAIM_BENEFITS)
    return render(
        request,
        "value/opportunities.html",
        {
            "organisation": org,
            "form": form,
            "result": result,
            "chart": compare_views.funnel_spec(result) if result else None,
            "claim_query": compare_views.claim_query(result) if result else "",
            "problem": problem,
            "claimable": claimable,
        },
    )
