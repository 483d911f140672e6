"""The measure library on the site: browse it, and adopt measures in a few clicks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import get_organisation_for_user, organisation_ids
from qualitas.web.measures import library
from qualitas.web.measures.models import Domain, Measure
from qualitas.web.organisations.models import Organisation


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Every library measure by domain; for someone who may define measures, a
    checkbox each and the organisation to adopt them for (``?at=ODS``)."""
    owners = list(
        Organisation.objects.filter(
            pk__in=organisation_ids(request.user, Permission.MANAGE_MEASURES)
        )
    )
    at = next((o for o in owners if o.ods_code == request.GET.get("at")), None)
    if at is None and owners:
        # A trust before its system: people adopt for the organisation they work in.
        at = sorted(owners, key=lambda o: (o.is_system, o.name))[0]
    have = library.adopted(at) if at else {}
    domains = dict(Domain.choices)
    groups: dict[str, list] = {label: [] for label in domains.values()}
    for entry in library.measures():
        groups[domains[entry.fields["domain"]]].append(
            {
                "entry": entry,
                "adopted": have.get(entry.code),
                "direction": Measure.Direction(entry.fields["direction"]).label,
                "frequency": Measure.Frequency(
                    entry.fields.get("frequency", "monthly")
                ).label,
                "chart": Measure.ChartType(entry.fields.get("chart_type", "xmr")).label,
            }
        )
    return render(
        request,
        "measures/library.html",
        {
            "section": "measures",
            "groups": [(d, rows) for d, rows in groups.items() if rows],
            "owners": owners,
            "at": at,
            "count": len(library.measures()),
        },
    )


@login_required
@require_POST
def adopt(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods, Permission.MANAGE_MEASURES)
    codes = request.POST.getlist("code")
    if not codes:
        messages.error(request, "Choose at least one measure to adopt.")
        return redirect(f"{_library_url()}?at={org.ods_code}")
    try:
        added = library.adopt(by=request.user, organisation=org, codes=codes)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect(f"{_library_url()}?at={org.ods_code}")
    if added:
        messages.success(
            request,
            f"{len(added)} measure{'s' if len(added) != 1 else ''} added to the "
            f"register for {org.name}, with their targets: "
            + ", ".join(m.name for m in added)
            + ". Change any of them from its page.",
        )
    else:
        messages.info(request, f"{org.name} had already adopted those measures.")
    return redirect("measures:register")


def _library_url() -> str:
    from django.urls import reverse

    return reverse("measures:library")
