"""The JSON API for analysts and pipelines (documented in api/openapi.py)."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from qualitas.web.accounts.permissions import Permission
from qualitas.web.api import openapi, writes
from qualitas.web.api.auth import api_view, error, json_body
from qualitas.web.api.body import body_problems
from qualitas.web.authorization import (
    get_measure_for_user,
    get_organisation_for_user,
    organisation_ids,
)
from qualitas.web.measures import engine, series, services, versions
from qualitas.web.measures.models import ImportBatch, Measure, Observation
from qualitas.web.organisations.models import Organisation

P = Permission


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def measure_json(m: Measure) -> dict[str, Any]:
    return {
        "code": m.code,
        "name": m.name,
        "description": m.description,
        "operational_definition": m.operational_definition,
        "numerator": m.numerator,
        "denominator": m.denominator,
        "domain": m.domain,
        "type": m.measure_type,
        "unit": m.unit,
        "multiplier": m.multiplier,
        "chart_type": m.chart_type,
        "improvement_direction": m.direction,
        "frequency": m.frequency,
        "aggregation": m.aggregation,
        "owner_organisation": m.organisation.ods_code,
        "owner": m.owner,
        "committee": m.committee,
        "data_source": m.data_source,
        "is_synthetic": m.is_synthetic,
        "collection_burden": m.collection_burden,
        "breakdowns": list(m.breakdowns or []),
        "targets": [
            {
                "starts": t.starts.isoformat(),
                "value": t.value,
                "organisation": t.organisation.ods_code if t.organisation else None,
                "note": t.note,
            }
            for t in m.targets.select_related("organisation")
        ],
    }


@api_view(("GET",))
def organisations(request: HttpRequest) -> JsonResponse:
    orgs = Organisation.objects.filter(
        pk__in=organisation_ids(request.user, P.VIEW_MEASURES)
    ).select_related("parent")
    return JsonResponse(
        {
            "organisations": [
                {
                    "ods_code": o.ods_code,
                    "name": o.name,
                    "kind": o.kind,
                    "parent": o.parent.ods_code if o.parent else None,
                }
                for o in orgs
            ]
        }
    )


@api_view(("GET", "POST"))
def measures(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        created = writes.create(by=request.user, body=json_body(request))
        return JsonResponse(measure_json(created), status=201)
    qs = (
        Measure.objects.visible_to(request.user)
        .select_related("organisation")
        .prefetch_related("targets__organisation")
    )
    return JsonResponse({"measures": [measure_json(m) for m in qs]})


def _measure(request: HttpRequest, code: str) -> Measure:
    # Checked against the documented pattern before any query: a code with a NUL
    # byte, or thousands of characters long, is simply not a measure.
    if not re.fullmatch(openapi.CODE_PATTERN, code):
        raise Http404("No such measure.")
    return get_measure_for_user(request.user, code)


@api_view(("GET", "PATCH"))
def measure(request: HttpRequest, code: str) -> JsonResponse:
    m = _measure(request, code)
    if request.method == "PATCH":
        m = writes.update(by=request.user, measure=m, body=json_body(request))
    return JsonResponse(measure_json(m))


@api_view(("POST",))
def targets(request: HttpRequest, code: str) -> JsonResponse:
    m = writes.set_target(
        by=request.user, measure=_measure(request, code), body=json_body(request)
    )
    return JsonResponse(measure_json(m), status=201)


def _org_param(request: HttpRequest) -> Organisation:
    ods = request.GET.get("organisation")
    if ods is None:
        raise ValidationError("Give ?organisation=<ODS code>.")
    if not re.fullmatch(openapi.ODS_PATTERN, ods):
        raise Http404("No such organisation.")
    return get_organisation_for_user(request.user, ods)


@api_view(("GET",))
def observations(request: HttpRequest, code: str) -> JsonResponse:
    m = _measure(request, code)
    org = _org_param(request)
    qs = (
        Observation.objects.filter(measure=m, organisation=org)
        .select_related("unit")
        .order_by("breakdown", "stratum", "unit_id", "period")
    )
    return JsonResponse(
        {
            "measure": m.code,
            "organisation": org.ods_code,
            "observations": [
                {
                    "period": o.period.isoformat(),
                    # Never NaN or Infinity, which are not JSON.
                    "value": _num(o.value),
                    "numerator": _num(o.numerator),
                    "denominator": _num(o.denominator),
                    "unit": o.unit.name if o.unit else None,
                    "breakdown": o.breakdown or None,
                    "stratum": o.stratum or None,
                }
                for o in qs
            ],
        }
    )


@api_view(("GET",))
def spc(request: HttpRequest, code: str) -> JsonResponse:
    """The measure's chart (XmR, run, p, u, c, g...) of the organisation's totals,
    as the engine computes it. Kept in the results cache under the measure's data
    version (measures/versions.py): the answer depends only on the measure and
    organisation, both checked first."""
    m = _measure(request, code)
    org = _org_param(request)
    key = versions.key(
        "api-spc",
        versions.stamps(Measure.objects.filter(pk=m.pk)),
        versions.organisation_part(org),
    )
    body = versions.cached(key, lambda: _spc_body(m, org))
    if not body:
        return error(404, f"No data for {m.code} at {org.ods_code}.")
    return JsonResponse(body)


def _spc_body(m: Measure, org: Organisation) -> dict[str, Any]:
    """The body of :func:`spc` (empty when there are no data)."""
    frame = series.organisation_series([m], org)
    if frame.empty:
        return {}
    steps = series.target_steps([m], org)
    targets = series.target_at(steps, frame.groupby("measure_id")["period"].max())
    result = engine.run_charts(
        frame,
        by="measure_id",
        measures={m.pk: m},
        target=targets,
        part=series.rebase_periods([m], org),
    )
    if result is None:  # too few values for this chart type yet
        return {}
    icons = result.icons.iloc[0]
    points = [
        {
            "period": pd.Timestamp(p.period).date().isoformat(),
            "value": _num(p.value),
            # The names of the API's first version: the centre line and limits.
            "mean": _num(p.cl),
            "lpl": _num(p.lcl),
            "upl": _num(p.ucl),
            "segment": int(p.phase),
            "special_cause": str(p.special_cause),
            "point_type": str(p.point_type),
            "target": _num(p.target),
        }
        for p in result.points.itertuples(index=False)
    ]
    return {
        "measure": m.code,
        "organisation": org.ods_code,
        "improvement_direction": m.direction,
        "chart_type": m.chart_type,
        # A run chart has no variation icon; its signal is said in words.
        "variation": str(icons["variation"]) or None,
        "signal": str(icons["signal"]),
        "assurance": None if pd.isna(icons["assurance"]) else str(icons["assurance"]),
        "target": _num(icons["target"]),
        "points": points,
    }


@api_view(("POST",))
def load(request: HttpRequest) -> JsonResponse:
    body = json_body(request)
    problems = body_problems(body)
    if problems:
        return error(
            400,
            "The body does not match the Load schema of /api/v1/openapi.json: "
            + "; ".join(
                p["message"] if p["row"] is None else f"row {p['row']}: {p['message']}"
                for p in problems[:5]
            )
            + ("" if len(problems) <= 5 else f"; and {len(problems) - 5} more"),
            errors=problems,
        )
    org = get_organisation_for_user(request.user, body["organisation"], P.IMPORT_DATA)
    batch = services.load_records(
        by=request.user, organisation=org, records=body["observations"]
    )
    return JsonResponse(
        batch_json(batch),
        status=201 if batch.status == ImportBatch.Status.APPLIED else 400,
    )


def batch_json(b: ImportBatch) -> dict[str, Any]:
    return {
        "import": b.pk,
        "status": b.status,
        "rows": b.rows,
        "added": b.added,
        "updated": b.updated,
        "error_count": b.error_count,
        "errors": b.errors,
        "created_at": b.created_at.isoformat() if b.created_at else None,
        "organisation": b.organisation.ods_code,
        "file_hash": b.file_hash,
    }


@api_view(("GET",))
def import_detail(request: HttpRequest, pk: str) -> JsonResponse:
    if not re.fullmatch(r"[1-9][0-9]{0,18}", pk) or int(pk) > openapi.MAX_ID:
        raise Http404("No such import.")
    b = ImportBatch.objects.select_related("organisation").filter(pk=int(pk)).first()
    if b is None or b.organisation_id not in organisation_ids(
        request.user, P.IMPORT_DATA
    ):
        raise Http404("No such import.")
    return JsonResponse(batch_json(b))


@require_safe
def schema(request: HttpRequest) -> JsonResponse:
    """The OpenAPI document (public: it describes the API, it holds no data)."""
    return JsonResponse(
        openapi.document(request.build_absolute_uri("/api/v1")),
        json_dumps_params={"indent": 2},
    )


@login_required
def docs(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "api/docs.html",
        {"doc": openapi.document(request.build_absolute_uri("/api/v1"))},
    )
