"""The home page, the health check, the component gallery and error pages."""

from __future__ import annotations

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qualitas.web.accounts.permissions import ROLES, Permission
from qualitas.web.authorization import has_permission, organisation_ids
from qualitas.web.authorization.systems import systems_for
from qualitas.web.measures import words
from qualitas.web.organisations.models import Organisation
from qualitas.web.signed_in import SignedInRequest


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the application can reach its database; for load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as e:
        return JsonResponse({"status": "error", "database": str(e)[:200]}, status=503)
    return JsonResponse({"status": "ok"})


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    ids = organisation_ids(request.user, Permission.VIEW_MEASURES)
    orgs = list(Organisation.objects.filter(pk__in=ids).select_related("parent"))
    # Systems first, then their members, so the page reads top-down.
    orgs.sort(
        key=lambda o: (
            0 if o.is_system else 1,
            o.parent.name if o.parent else o.name,
            o.name,
        )
    )
    memberships = [
        (m.organisation, ROLES[m.role].name if m.role in ROLES else m.role)
        for m in request.user.memberships.select_related("organisation")
    ]
    administers = request.user.is_superuser or has_permission(
        request.user, Permission.ADMINISTER
    )
    return render(
        request,
        "home.html",
        {
            "organisations": orgs,
            # Systems whose report a member organisation's people may open, where
            # the system itself has no card of its own.
            "member_of_systems": {o.pk for o in systems_for(request.user)}
            - {o.pk for o in orgs},
            "memberships": memberships,
            "administers": administers,
            "getting_started": _getting_started(request.user) if administers else [],
        },
    )


def _getting_started(user) -> list[dict]:
    """An administrator's first steps, each marked done once it is: what the home
    page shows until the organisation has people, measures and data."""
    from qualitas.web.measures.models import Measure, Observation
    from qualitas.web.organisations.models import Membership

    ids = organisation_ids(user, Permission.ADMINISTER)
    people = Membership.objects.filter(organisation__in=ids).exclude(user=user)
    return [
        {
            "done": Measure.objects.filter(organisation__in=ids).exists(),
            "text": "Adopt measures from the NHS measure library",
            "url": "measures:library",
        },
        {
            "done": people.exists(),
            "text": "Invite people from a CSV file (name, email, organisation, role)",
            "url": "accounts:people_import",
        },
        {
            "done": Observation.objects.filter(organisation__in=ids).exists(),
            "text": "Upload your data (a CSV or Excel file)",
            "url": "data:index",
        },
    ]


@login_required
def roles(request: HttpRequest) -> HttpResponse:
    """What each role may do, drawn from the permission rules themselves."""
    roles = list(ROLES.values())
    rows = [(p.description, [p in r.permissions for r in roles]) for p in Permission]
    return render(request, "roles.html", {"roles": roles, "rows": rows})


@login_required
def components(request: HttpRequest) -> HttpResponse:
    """Every reusable component on one page, to check their look in one place."""
    from qualitas.web.board.report import sparklines

    demo = pd.DataFrame(
        {
            "measure_id": [1] * 12,
            "value": [5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 15],
            "point_type": ["common_cause"] * 11 + ["concern"],
        }
    )
    line, dot, kind = sparklines(demo)
    return render(
        request,
        "components/gallery.html",
        {
            "variations": list(words.VARIATION.items()),
            "assurances": [*words.ASSURANCE.items(), ("", words.NO_ASSURANCE)],
            "spark": {"line": line[0], "dot": dot[0], "kind": kind[0]},
        },
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"reason": reason}, status=403)
