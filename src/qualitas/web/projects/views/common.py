"""Helpers every project page uses: the tabs and what the reader may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission
from qualitas.web.measures.models import Measure
from qualitas.web.projects.models import (
    Project,
)

P = Permission


def page_context(
    request: HttpRequest, project: Project, tab: str, **extra: Any
) -> dict:
    user = request.user
    can_work = has_permission(user, P.VIEW_PROJECT_WORK, project)
    tabs = [("overview", "Overview", reverse("projects:detail", args=[project.pk]))]
    tabs.append(
        ("diagram", "Driver diagram", reverse("projects:diagram", args=[project.pk]))
    )
    if can_work:
        tabs += [
            ("cycles", "PDSA cycles", reverse("projects:cycles", args=[project.pk])),
            ("measures", "Measures", reverse("projects:measures", args=[project.pk])),
        ]
    tabs += [
        ("team", "Team and partners", reverse("projects:team", args=[project.pk])),
        (
            "involvement",
            "You said, we did",
            reverse("projects:involvement", args=[project.pk]),
        ),
        ("progress", "Progress", reverse("projects:progress", args=[project.pk])),
    ]
    return {
        "project": project,
        "tab": tab,
        "tabs": tabs,
        "can_edit": has_permission(user, P.EDIT_PROJECTS, project),
        "can_manage_team": has_permission(user, P.MANAGE_PROJECT_TEAM, project),
        "can_work": can_work,
        "can_log": has_permission(user, P.LOG_INVOLVEMENT, project),
        "stalled": project.is_stalled(),
        **extra,
    }


def visible_measures(user: Any):
    return Measure.objects.visible_to(user).order_by("name")
