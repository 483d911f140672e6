"""Progress: self-assessed IHI scores with their history, beside the suggested score."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from qualitas.web.authorization import get_project_for_user, has_permission
from qualitas.web.forms import form_errors
from qualitas.web.projects import (
    evidence,
    forms,
    services,
)
from qualitas.web.projects.models import (
    PROGRESS_LEVELS,
)
from qualitas.web.projects.views.common import (
    P,
    page_context,
)

# --- progress -----------------------------------------------------------------------


@login_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    assessment = evidence.assess([project])[project.pk]
    history = list(project.progress_scores.select_related("by"))
    form = forms.ProgressForm(
        request.POST or None,
        initial={"score": str(assessment.suggested), "assessed_on": dt.date.today()},
    )
    if request.method == "POST":
        if not has_permission(request.user, P.EDIT_PROJECTS, project):
            raise PermissionDenied("Only the project's team can score its progress.")
        if form.is_valid():
            try:
                services.record_progress(
                    by=request.user, project=project, **form.cleaned_data
                )
            except ValidationError as e:
                form_errors(form, e)
            else:
                messages.success(request, "The progress score has been recorded.")
                return redirect("projects:progress", project.pk)
    return render(
        request,
        "projects/progress.html",
        {
            **page_context(request, project, "progress"),
            "assessment": assessment,
            "history": history,
            "latest": history[0] if history else None,
            "form": form,
            "levels": [(k, v[0], v[1]) for k, v in PROGRESS_LEVELS.items()],
            "chart": _progress_spec(history, assessment),
        },
    )


def _progress_spec(history, assessment) -> dict | None:
    if not history:
        return None
    values = [
        {
            "date": f"{s.assessed_on.isoformat()}T00:00:00",
            "score": float(s.score),
            "label": f"{s.score} – {s.label}",
        }
        for s in reversed(history)
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Self-assessed progress scores over time",
        "width": "container",
        "height": 180,
        "data": {"values": values},
        "layer": [
            {
                "mark": {
                    "type": "line",
                    "interpolate": "step-after",
                    "color": "#005eb8",
                },
                "encoding": {
                    "x": {
                        "field": "date",
                        "type": "temporal",
                        "title": None,
                        "axis": {"format": "%b %Y"},
                    },
                    "y": {
                        "field": "score",
                        "type": "quantitative",
                        "title": "Progress score",
                        "scale": {"domain": [0, 5]},
                    },
                },
            },
            {
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 60,
                    "color": "#005eb8",
                },
                "encoding": {
                    "x": {"field": "date", "type": "temporal"},
                    "y": {"field": "score", "type": "quantitative"},
                    "tooltip": [{"field": "label", "title": "Score"}],
                },
            },
        ],
    }
