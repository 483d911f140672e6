"""The portfolio: every project the reader may see, grouped and flagged."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from qualitas.web.authorization import organisation_ids
from qualitas.web.organisations.models import Organisation
from qualitas.web.projects import (
    evidence,
    forms,
)
from qualitas.web.projects.models import (
    Project,
)
from qualitas.web.projects.views.common import (
    P,
)

# --- the portfolio -------------------------------------------------------------------


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    visible = Project.objects.visible_to(request.user).select_related(
        "organisation", "unit"
    )
    orgs = Organisation.objects.filter(
        pk__in=visible.values("organisation_id")
    ).order_by("name")
    priorities = sorted({p for p in visible.values_list("priority", flat=True) if p})
    form = forms.PortfolioFilterForm(
        request.GET or None, organisations=orgs, priorities=priorities
    )
    projects = visible
    group = "priority"
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            projects = projects.filter(
                Q(title__icontains=d["q"]) | Q(aim_what__icontains=d["q"])
            )
        if d["organisation"]:
            projects = projects.filter(organisation__ods_code=d["organisation"])
        if d["status"]:
            projects = projects.filter(status=d["status"])
        if d["priority"]:
            projects = projects.filter(priority=d["priority"])
        if d["stalled"]:
            projects = projects.stalled()
        group = d["group"] or "priority"
    projects = list(projects.order_by("title"))
    scores = evidence.latest_scores(projects)
    assessments = evidence.assess(projects)
    rows = []
    for p in projects:
        score = scores.get(p.pk)
        a = assessments[p.pk]
        rows.append(
            {
                "project": p,
                "score": score,
                "suggested": a.suggested,
                "suggested_label": a.suggested_label,
                "stalled": a.stalled,
                "no_balancing": a.no_balancing,
                "alerts": a.balancing_alerts,
                "aim": a.aim,
                "mismatch": score is not None
                and abs(Decimal(score.score) - a.suggested) >= Decimal("1.0"),
            }
        )
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        p = r["project"]
        if group == "unit":
            key = (
                f"{p.unit.name}, {p.organisation.name}"
                if p.unit_id
                else f"{p.organisation.name} (whole organisation)"
            )
        elif group == "status":
            key = p.get_status_display()
        elif group == "progress":
            s = r["score"]
            key = f"{s.score} – {s.label}" if s is not None else "No progress score yet"
        else:
            key = p.priority or "No strategic priority given"
        groups[key].append(r)
    if group == "progress":
        ordered = sorted(groups.items(), key=lambda kv: kv[0], reverse=True)
    elif group == "status":
        order = {label: i for i, (_, label) in enumerate(Project.Status.choices)}
        ordered = sorted(groups.items(), key=lambda kv: order.get(kv[0], 99))
    else:
        ordered = sorted(groups.items(), key=lambda kv: kv[0].lower())
    summary = {
        "total": len(rows),
        "open": sum(1 for r in rows if r["project"].is_open),
        "stalled": sum(1 for r in rows if r["stalled"]),
        "no_balancing": sum(
            1 for r in rows if r["no_balancing"] and r["project"].is_open
        ),
        "alerts": sum(1 for r in rows if r["alerts"]),
    }
    return render(
        request,
        "projects/portfolio.html",
        {
            "form": form,
            "groups": ordered,
            "group": group,
            "summary": summary,
            "can_start": bool(organisation_ids(request.user, P.START_PROJECTS)),
        },
    )
