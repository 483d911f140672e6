"""The integrated quality report: page, print layout and CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import (
    get_organisation_for_user,
    has_permission,
    organisation_ids,
)
from qualitas.web.board import report
from qualitas.web.downloads import csv_response
from qualitas.web.htmx import is_htmx
from qualitas.web.measures.models import Domain, Measure
from qualitas.web.organisations.models import Organisation

P = Permission


@login_required
def index(request: HttpRequest) -> HttpResponse:
    ids = organisation_ids(request.user, P.VIEW_MEASURES)
    orgs = list(Organisation.objects.filter(pk__in=ids).select_related("parent"))
    orgs.sort(key=lambda o: (0 if o.is_system else 1, o.name))
    return render(request, "board/index.html", {"organisations": orgs})


def _report(
    request: HttpRequest, ods: str, permission: Permission = P.VIEW_MEASURES
) -> report.Report:
    org = get_organisation_for_user(request.user, ods, permission)
    measures = report.measures_for(org, Measure.objects.visible_to(request.user))
    committee = request.GET.get("committee", "")
    domain = request.GET.get("domain", "")
    if domain not in Domain.values:
        domain = ""
    return report.build(org, measures, committee=committee, domain=domain)


@login_required
def report_page(request: HttpRequest, ods: str) -> HttpResponse:
    rep = _report(request, ods)
    context = {
        "report": rep,
        "organisation": rep.organisation,
        "domains": Domain.choices,
        "committee": request.GET.get("committee", ""),
        "domain": request.GET.get("domain", ""),
        "can_export": has_permission(request.user, P.EXPORT_REPORT, rep.organisation),
        "printing": request.GET.get("print") == "1",
        "generated": timezone.localtime(),
        "query": request.GET.urlencode(),
    }
    if is_htmx(request):
        return render(request, "board/_report_table.html", context)
    return render(request, "board/report.html", context)


@login_required
def report_csv(request: HttpRequest, ods: str) -> HttpResponse:
    rep = _report(request, ods, P.EXPORT_REPORT)
    stamp = timezone.localdate().isoformat()
    return csv_response(
        f"quality-report-{rep.organisation.ods_code}-{stamp}.csv",
        report.CSV_COLUMNS,
        report.csv_rows(rep),
    )
