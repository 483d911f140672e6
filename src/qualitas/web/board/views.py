"""The integrated quality report: page, print layout and CSV."""

from __future__ import annotations

import dataclasses
import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import (
    get_organisation_for_user,
    has_permission,
    organisation_ids,
)
from qualitas.web.authorization.systems import systems_for
from qualitas.web.board import report
from qualitas.web.downloads import csv_response
from qualitas.web.htmx import is_htmx
from qualitas.web.measures import versions
from qualitas.web.measures.models import Domain, Measure
from qualitas.web.organisations.models import Organisation
from qualitas.web.projects.templatetags.project_tags import links_by_measure

P = Permission


@login_required
def index(request: HttpRequest) -> HttpResponse:
    ids = organisation_ids(request.user, P.VIEW_MEASURES)
    orgs = list(Organisation.objects.filter(pk__in=ids).select_related("parent"))
    orgs.sort(key=lambda o: (0 if o.is_system else 1, o.name))
    systems = sorted(systems_for(request.user), key=lambda o: o.name)
    return render(
        request, "board/index.html", {"organisations": orgs, "systems": systems}
    )


def _scope(
    request: HttpRequest, ods: str, permission: Permission
) -> tuple[Organisation, list[versions.Stamp], str, dict[str, str]]:
    """What the user may see of the report, decided on every request: the
    organisation, the measures they may read (as stamps), the cache key of a report
    of exactly those measures at their data versions, and the filters."""
    org = get_organisation_for_user(request.user, ods, permission)
    stamps = versions.stamps(
        report.in_report(org, Measure.objects.visible_to(request.user))
    )
    committee = request.GET.get("committee", "")
    domain = request.GET.get("domain", "")
    if domain not in Domain.values:
        domain = ""
    key = versions.key(
        "report",
        stamps,
        versions.organisation_part(org),
        committee,
        domain,
        # Whether data are late depends on the day as well as the data.
        timezone.localdate(),
    )
    return org, stamps, key, {"committee": committee, "domain": domain}


def _build(
    org: Organisation, stamps: list[versions.Stamp], filters: dict[str, str]
) -> report.Report:
    # Exactly the stamped measures (not the queryset again, which a measure added
    # since could have joined): what is kept under a key is what the key names.
    measures = list(
        Measure.objects.filter(pk__in=[pk for pk, _, _ in stamps]).select_related(
            "organisation"
        )
    )
    return report.build(org, measures, **filters)


@dataclasses.dataclass(frozen=True)
class _Page:
    """What the report page keeps in the cache: the same for every reader of these
    measures at these versions."""

    rows: int
    concern_count: int
    failing_count: int
    committees: list[str]
    table: str  # with a marker where each row's projects go


# Where each row's projects go in the kept table (an HTML comment, which escaped user
# text cannot make).
PROJECTS_MARKER = re.compile(r"<!--projects:(\d+)-->")


def _page(
    org: Organisation, stamps: list[versions.Stamp], filters: dict[str, str]
) -> _Page:
    rep = _build(org, stamps, filters)
    return _Page(
        rows=len(rep.rows),
        concern_count=rep.concern_count,
        failing_count=rep.failing_count,
        committees=rep.committees,
        table=render_to_string(
            "board/_report_table.html",
            {"report": rep, "organisation": org, **filters},
        ),
    )


def _with_projects(request: HttpRequest, org: Organisation, table: str) -> str:
    """The kept table with, in each row, the projects this reader may see."""
    links = links_by_measure(request.user, org)

    def projects(found: re.Match[str]) -> str:
        mine = links.get(int(found.group(1)))
        if not mine:
            return ""
        return render_to_string("projects/_report_projects.html", {"links": mine})

    # Safe: the table and each row's projects were rendered (and escaped) by templates.
    return mark_safe(PROJECTS_MARKER.sub(projects, table))


@login_required
def report_page(request: HttpRequest, ods: str) -> HttpResponse:
    org, stamps, key, filters = _scope(request, ods, P.VIEW_MEASURES)
    page = versions.cached(key + ":page", lambda: _page(org, stamps, filters))
    table = _with_projects(request, org, page.table)
    if is_htmx(request):
        return HttpResponse(table)
    context = {
        "page": page,
        "table": table,
        "organisation": org,
        "domains": Domain.choices,
        **filters,
        "can_export": has_permission(request.user, P.EXPORT_REPORT, org),
        "printing": request.GET.get("print") == "1",
        "generated": timezone.localtime(),
        "query": request.GET.urlencode(),
    }
    return render(request, "board/report.html", context)


@login_required
def report_csv(request: HttpRequest, ods: str) -> HttpResponse:
    org, stamps, key, filters = _scope(request, ods, P.EXPORT_REPORT)
    rep = versions.cached(
        key + ":csv",
        lambda: dataclasses.replace(_build(org, stamps, filters), result=None),
    )
    stamp = timezone.localdate().isoformat()
    return csv_response(
        f"quality-report-{org.ods_code}-{stamp}.csv",
        report.CSV_COLUMNS,
        report.csv_rows(rep),
    )
