"""Data in: upload a file, see it checked, apply it; the import history; entry links."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission, organisation_ids, require
from qualitas.web.downloads import csv_response
from qualitas.web.measures import import_jobs, series, services
from qualitas.web.measures.forms import UploadForm
from qualitas.web.measures.imports import KNOWN, from_bytes
from qualitas.web.measures.models import ImportBatch, Measure
from qualitas.web.organisations.models import Organisation

P = Permission


KIND_ORDER = {"system": 0, "trust": 1, "practice": 2}


def _in_order(orgs) -> list[Organisation]:
    """Systems first, then trusts, then practices, each by name."""
    return sorted(orgs, key=lambda o: (KIND_ORDER.get(o.kind, 9), o.name))


def _importable(user) -> list[Organisation]:
    return _in_order(
        Organisation.objects.filter(pk__in=organisation_ids(user, P.IMPORT_DATA))
    )


def _batch_for_user(user, pk: int) -> ImportBatch:
    """An import the user may see: one for an organisation where they may import."""
    batch = (
        ImportBatch.objects.select_related("organisation", "by").filter(pk=pk).first()
    )
    if batch is None or not has_permission(user, P.IMPORT_DATA, batch.organisation):
        raise Http404("No such import")
    return batch


@login_required
def index(request: HttpRequest) -> HttpResponse:
    can_import = has_permission(request.user, P.IMPORT_DATA)
    entry_orgs = organisation_ids(request.user, P.ENTER_DATA)
    if not can_import and not entry_orgs:
        raise PermissionDenied("You do not have permission to enter or load data.")
    orgs = _in_order(Organisation.objects.filter(pk__in=entry_orgs))
    measures = Measure.objects.visible_to(request.user).order_by("name")
    return render(
        request,
        "data/index.html",
        {
            "form": UploadForm(organisations=_importable(request.user))
            if can_import
            else None,
            "entry_orgs": orgs,
            "measures": measures,
            "recent": ImportBatch.objects.filter(
                organisation_id__in=organisation_ids(request.user, P.IMPORT_DATA)
            ).select_related("organisation", "by")[:5],
            "max_mb": settings.QUALITAS_MAX_UPLOAD_BYTES // (1024 * 1024),
            "max_rows": f"{settings.QUALITAS_MAX_UPLOAD_ROWS:,}",
        },
    )


@login_required
def entry_choice(request: HttpRequest) -> HttpResponse:
    """The data-in page's 'enter a value' form: go to the measure's entry form."""
    code, ods = request.GET.get("measure", ""), request.GET.get("organisation", "")
    if not code or not ods:
        return redirect("data:index")
    # The entry form checks access itself (404 for what the user may not see).
    return redirect("measures:entry", code, ods)


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    require(request.user, P.IMPORT_DATA)
    orgs = _importable(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, organisations=orgs)
    if request.method == "POST" and form.is_valid():
        org = next(o for o in orgs if o.ods_code == form.cleaned_data["organisation"])
        f = form.cleaned_data["file"]
        if import_jobs.in_background(f.size):
            job = import_jobs.start_check(
                by=request.user,
                organisation=org,
                filename=f.name,
                size=f.size,
                chunks=f.chunks(),
            )
            return redirect("jobs:detail", job.pk)
        batch = services.check_upload(
            by=request.user,
            organisation=org,
            filename=f.name,
            size=f.size,
            chunks=f.chunks(),
        )
        return redirect("data:batch", batch.pk)
    return render(
        request,
        "data/upload.html",
        {
            "form": form,
            "max_mb": settings.QUALITAS_MAX_UPLOAD_BYTES // (1024 * 1024),
            "max_rows": f"{settings.QUALITAS_MAX_UPLOAD_ROWS:,}",
            "measures": Measure.objects.visible_to(request.user).order_by("name"),
        },
    )


@login_required
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    b = _batch_for_user(request.user, pk)
    preview = []
    if b.status == ImportBatch.Status.PREVIEWED and b.pending:
        frame = from_bytes(b.pending).head(20)
        names = dict(
            Measure.objects.filter(
                pk__in=frame["measure_id"].unique().tolist()
            ).values_list("id", "name")
        )
        orgs = dict(
            Organisation.objects.filter(
                pk__in=frame["organisation_id"].unique().tolist()
            ).values_list("id", "ods_code")
        )
        for r in frame.itertuples(index=False):
            preview.append(
                {
                    "measure": names.get(r.measure_id, r.measure_id),
                    "organisation": orgs.get(r.organisation_id, ""),
                    "period": r.period.strftime("%b %Y"),
                    "stratum": f"{r.breakdown}: {r.stratum}" if r.breakdown else "",
                    "value": r.value,
                    "numerator": r.numerator,
                    "denominator": r.denominator,
                }
            )
    return render(request, "data/batch.html", {"batch": b, "preview": preview})


@login_required
@require_POST
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    b = _batch_for_user(request.user, pk)
    if b.status == ImportBatch.Status.PREVIEWED and import_jobs.apply_in_background(b):
        require(request.user, P.IMPORT_DATA, b.organisation)
        job = import_jobs.start_apply(by=request.user, batch=b)
        return redirect("jobs:detail", job.pk)
    try:
        b = services.apply_import(by=request.user, batch=b)
    except ValidationError as e:
        messages.error(request, e.messages[0])
        return redirect("data:batch", b.pk)
    if b.updated:
        messages.success(
            request,
            f"Done: {b.added} new values added and {b.updated} earlier values updated with the ones in this file.",
        )
    else:
        messages.success(request, f"Done: {b.added} new values added.")
    _advise_on_first_data(request, b)
    return redirect("data:batch", b.pk)


def _advise_on_first_data(request: HttpRequest, batch: ImportBatch) -> None:
    """When a measure's first data arrive, the chart qualitas advises for them, if
    it is not the one the measure has (the owner decides)."""
    loaded = Measure.objects.filter(observations__batch=batch).distinct()
    for measure in loaded[:10]:
        if measure.observations.exclude(batch=batch).exists():
            continue  # not its first data
        advice = series.chart_advice(measure)
        if advice.chart != measure.chart_type:
            messages.info(
                request,
                f"{measure.name}: qualitas advises a {advice.chart_name} for these "
                f"data. {advice.reason} It has a "
                f"{measure.get_chart_type_display()}; change it by editing the "
                "definition if you agree.",
            )


@login_required
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    b = _batch_for_user(request.user, pk)
    try:
        services.discard_import(by=request.user, batch=b)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, "The file has been discarded. Nothing was changed.")
    return redirect("data:index")


@login_required
def history(request: HttpRequest) -> HttpResponse:
    require(request.user, P.IMPORT_DATA)
    batches = ImportBatch.objects.filter(
        organisation_id__in=organisation_ids(request.user, P.IMPORT_DATA)
    ).select_related("organisation", "by")
    page = Paginator(batches, 50).get_page(request.GET.get("page"))
    return render(request, "data/history.html", {"page": page})


@login_required
def template_csv(request: HttpRequest) -> HttpResponse:
    """An example file with the right columns and one row for each measure the user
    may see, whose number cells say what to put in them: a value, or a numerator and
    denominator. Those words are not numbers, so the example cannot be loaded as it
    is by mistake."""
    require(request.user, P.IMPORT_DATA)
    rows = []
    orgs = _importable(request.user)
    org = orgs[0].ods_code if orgs else "RAE"
    period = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    for m in Measure.objects.visible_to(request.user).order_by("code"):
        rules = m.rules
        cells = dict.fromkeys(KNOWN, "")
        cells.update(measure=m.code, organisation=org, period=f"{period:%Y-%m}")
        if rules.needs_parts:
            cells["numerator"] = _hint(m.numerator or "numerator")
            cells["denominator"] = _hint(m.denominator or "denominator")
        else:
            cells["value"] = _hint(rules.describe())
        rows.append(list(cells.values()))
    return csv_response("qualitas-template.csv", KNOWN, rows)


def _hint(text: str) -> str:
    # Square brackets: the words are plainly a note to replace, and a cell starting
    # with one cannot be taken for a spreadsheet formula.
    return f"[{text[:60]}]"
