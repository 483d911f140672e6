"""Hooks that show, on the measure pages and the integrated quality report, which
projects work on each measure (only projects the reader may see)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import template

from qualitas.web.authorization import visible_project_filter
from qualitas.web.projects.models import ProjectMeasure

register = template.Library()


def _links(user: Any, **filters: Any) -> list[ProjectMeasure]:
    return list(
        ProjectMeasure.objects.filter(**filters)
        .filter(visible_project_filter(user, prefix="project__"))
        .select_related("project", "project__organisation", "project__unit")
        .order_by("project__title")
    )


def links_by_measure(user: Any, organisation: Any) -> dict[int, list[ProjectMeasure]]:
    """The projects at ``organisation`` that ``user`` may see, by the measure they
    work on: one query for a whole report."""
    by_measure: dict[int, list[ProjectMeasure]] = defaultdict(list)
    for link in _links(user, organisation=organisation):
        by_measure[link.measure_id].append(link)
    return by_measure


@register.inclusion_tag("projects/_report_projects.html", takes_context=True)
def projects_on(context, measure, organisation) -> dict:
    """The projects at ``organisation`` working on ``measure``, for a report row. One
    query for the whole report: the first row fetches every row's projects."""
    cache = context.render_context.setdefault("projects_on", {})
    if organisation.pk not in cache:
        cache[organisation.pk] = links_by_measure(context["request"].user, organisation)
    return {"links": cache[organisation.pk].get(measure.pk, [])}


@register.inclusion_tag("projects/_measure_projects.html", takes_context=True)
def measure_projects(context, measure) -> dict:
    """Every project the reader can see that follows ``measure`` (the register page)."""
    return {"links": _links(context["request"].user, measure=measure), "cycles": []}
