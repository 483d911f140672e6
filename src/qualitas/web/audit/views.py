"""The audit log, for administrators: every change, who made it, before and after."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.models import AuditEvent
from qualitas.web.authorization import organisation_ids, require
from qualitas.web.organisations.models import Organisation


def _events(request: HttpRequest):
    require(request.user, Permission.VIEW_AUDIT_LOG)
    return AuditEvent.objects.visible_to(request.user)


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    events = _events(request).select_related("organisation")
    action = request.GET.get("action", "")
    who = request.GET.get("who", "").strip()
    org = request.GET.get("organisation", "")
    if action:
        events = events.filter(action__startswith=action)
    if who:
        events = events.filter(by_name__icontains=who)
    if org:
        events = events.about(
            Organisation.objects.filter(ods_code=org).values_list("pk", flat=True)
        )
    actions = sorted(
        {
            a.split(".")[0]
            for a in AuditEvent.objects.visible_to(request.user)
            .values_list("action", flat=True)
            .distinct()
        }
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    orgs = Organisation.objects.filter(
        pk__in=organisation_ids(request.user, Permission.VIEW_AUDIT_LOG)
    ).order_by("name")
    return render(
        request,
        "audit/list.html",
        {
            "page": page,
            "actions": actions,
            "action": action,
            "who": who,
            "organisations": orgs,
            "organisation": org,
        },
    )


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _events(request).select_related("organisation").filter(pk=pk).first()
    if event is None:
        raise Http404("No such event")
    return render(
        request,
        "audit/detail.html",
        {
            "event": event,
            "changes": event.changes()
            if isinstance(event.before, dict) or isinstance(event.after, dict)
            else [],
            "before_json": json.dumps(event.before, indent=2, ensure_ascii=False)[
                :20000
            ]
            if event.before is not None
            else "",
            "after_json": json.dumps(event.after, indent=2, ensure_ascii=False)[:20000]
            if event.after is not None
            else "",
        },
    )
