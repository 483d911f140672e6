"""An organisation's page: where it sits, its units and its people."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import (
    get_organisation_for_user,
    has_permission,
    organisation_ids,
)


@login_required
def detail(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods)
    visible = organisation_ids(request.user, Permission.VIEW_MEASURES)
    return render(
        request,
        "organisations/detail.html",
        {
            "organisation": org,
            "members": org.children.filter(pk__in=visible),
            "units": org.units.all(),
            "people": org.memberships.select_related("user").order_by(
                "user__last_name", "user__username"
            )
            if has_permission(request.user, Permission.ADMINISTER, org)
            else None,
            "parent_visible": org.parent_id in visible if org.parent_id else False,
        },
    )
