"""The system report: page, print layout and CSV."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission
from qualitas.web.authorization.systems import (
    get_system_for_user,
    reaches_system,
)
from qualitas.web.board import report, system
from qualitas.web.downloads import csv_response
from qualitas.web.measures.comparison import comparable
from qualitas.web.measures.models import Measure

P = Permission


def _system_report(
    request: HttpRequest, ods: str, permission: Permission = P.VIEW_MEASURES
) -> system.SystemReport:
    org = get_system_for_user(request.user, ods, permission)
    measures = report.measures_for(org, Measure.objects.visible_to(request.user))
    rep = system.build(
        org, measures, readable=system.readable_cells(request.user, org, measures)
    )
    _link_cells(request.user, rep)
    return rep


def _link_cells(user: Any, rep: system.SystemReport) -> None:
    """Each drawn cell opens the organisation's chart of the measure when the viewer
    may see it there, else the measure's compare page when there is one."""
    may_open = {
        o.pk for o in rep.organisations if has_permission(user, P.VIEW_MEASURES, o)
    }
    # One reverse() for every chart link (six hundred of them cost a tenth of the
    # page): measure codes are slugs and ODS codes letters and digits, which the
    # URL carries as they are.
    chart = reverse("measures:chart", args=["code-slot", "ODSSLOT"])
    for row in rep.rows:
        code = quote(row.measure.code, safe="")
        compare = ""
        for cell in row.cells:
            if not cell.shown:
                continue
            org = cell.organisation
            if org.pk in may_open:
                cell.link = chart.replace("code-slot", code).replace(
                    "ODSSLOT", quote(org.ods_code, safe="")
                )
            elif comparable(row.measure):
                # Figures shown because they are published or shared: the compare
                # page sets them among their peers, this organisation highlighted.
                compare = compare or reverse(
                    "measures:compare", args=[row.measure.code]
                )
                cell.link = f"{compare}?focus={quote(org.ods_code, safe='')}"


@login_required
def system_page(request: HttpRequest, ods: str) -> HttpResponse:
    rep = _system_report(request, ods)
    context = {
        "report": rep,
        "organisation": rep.system,
        "can_export": reaches_system(request.user, rep.system, P.EXPORT_REPORT),
        "can_see_system": has_permission(request.user, P.VIEW_MEASURES, rep.system),
        "printing": request.GET.get("print") == "1",
        "generated": timezone.localtime(),
        "priority_labels": report.PRIORITY_LABELS,
    }
    return render(request, "board/system.html", context)


CSV_COLUMNS = [
    "measure",
    "code",
    "domain",
    "unit",
    "organisation",
    "ods_code",
    "latest_period",
    "latest_value",
    "target",
    "variation",
    "assurance",
    "shown",
]


def csv_rows(rep: system.SystemReport) -> list[list[Any]]:
    """One row per measure and organisation, in the grid's order; a cell the viewer
    may not see says so and gives no figures."""
    out = []
    for row, cell in rep.cells():
        m, o = row.measure, cell.organisation
        base = [m.name, m.code, m.get_domain_display(), m.unit, o.name, o.ods_code]
        if cell.shown:
            assert cell.period is not None
            out.append(
                [
                    *base,
                    cell.period.date().isoformat(),
                    report._round(cell.value),
                    report._round(cell.target),
                    cell.variation_text,
                    cell.assurance_text,
                    "yes",
                ]
            )
        else:
            out.append([*base, "", "", "", "", "", cell.state_text])
    return out


@login_required
def system_csv(request: HttpRequest, ods: str) -> HttpResponse:
    rep = _system_report(request, ods, P.EXPORT_REPORT)
    stamp = timezone.localdate().isoformat()
    return csv_response(
        f"system-report-{rep.system.ods_code}-{stamp}.csv", CSV_COLUMNS, csv_rows(rep)
    )
