"""The compare page of a measure: where an organisation stands among its peers, the
organisations outside the limits and why, each one's position over time, the
opportunity drawn from the same funnel, and downloads (CSV, PNG, SVG)."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from qualitas.charts import funnel_chart, xmr_chart
from qualitas.charts.render import render as render_chart
from qualitas.errors import QualitasError
from qualitas.io.export import safe_cell
from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import (
    get_measure_for_user,
    organisation_ids,
)
from qualitas.web.measures import comparison as cmp
from qualitas.web.measures import words
from qualitas.web.measures.comparators import comparable_ids, sharing_words
from qualitas.web.measures.models import Measure, Observation
from qualitas.web.organisations.models import Organisation, PeerGroup

P = Permission

PEER_CHOICES = [
    ("system", "My system"),
    ("england", "England"),
    ("similar", "Same type and size"),
    ("group", "A peer group I saved"),
]


class CompareForm(forms.Form):
    at = forms.ChoiceField(label="Your organisation", required=False)
    peers = forms.ChoiceField(
        label="Compare with", choices=PEER_CHOICES, required=False
    )
    group = forms.ChoiceField(label="Peer group", required=False)
    period = forms.ChoiceField(label="Period", required=False)
    window = forms.TypedChoiceField(
        label="Periods added together",
        coerce=int,
        choices=[(1, "1"), (3, "3"), (6, "6"), (12, "12")],
        required=False,
        empty_value=1,  # type: ignore[arg-type]  # Django takes any value; the stubs say str
    )
    limit = forms.TypedChoiceField(
        label="Limits that mark an outlier",
        coerce=int,
        choices=[(99, "99.8%"), (95, "95%")],
        required=False,
        empty_value=99,  # type: ignore[arg-type]  # Django takes any value; the stubs say str
    )
    benchmark = forms.ChoiceField(
        label="Opportunity against",
        choices=list(cmp.BENCHMARKS.items()),
        required=False,
    )
    unit_cost = forms.DecimalField(
        label="Cost of one event (£)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Leave empty for events only.",
    )

    def __init__(self, *args, orgs=(), groups=(), periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["at"]).choices = [
            (o.ods_code, o.name) for o in orgs
        ]
        cast(forms.ChoiceField, self.fields["group"]).choices = [("", "(none)")] + [
            (str(g.pk), g.name) for g in groups
        ]
        cast(forms.ChoiceField, self.fields["period"]).choices = [
            ("", "The latest")
        ] + [(p.isoformat(), f"{p:%B %Y}") for p in reversed(periods)]


def comparison_for(user: Any, measure: Measure, query: Any) -> dict[str, Any]:
    """Everything the page, the downloads and a claim share: the comparison the
    query asks for (``comparison``), or the reason there is none (``problem``).
    The caller has checked that the user may read ``measure``."""
    allowed = comparable_ids(user, measure)
    visible = organisation_ids(user, P.VIEW_MEASURES)
    with_data_qs = (
        Observation.objects.totals()
        .filter(measure=measure, numerator__isnull=False)
        .order_by()
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    # The reader's organisations with figures (the ones they may highlight), and
    # the ones they belong to (a system compares its members).
    member_of = set(user.memberships.values_list("organisation_id", flat=True))
    mine = Organisation.objects.filter(
        Q(pk__in=with_data_qs.filter(organisation_id__in=visible))
        | Q(pk__in=member_of & visible)
    ).order_by("name")
    periods_qs = Observation.objects.totals().filter(
        measure=measure, numerator__isnull=False
    )
    if allowed is not None:
        periods_qs = periods_qs.filter(organisation_id__in=allowed)
    periods = sorted(
        set(periods_qs.order_by().values_list("period", flat=True).distinct())
    )
    groups = list(PeerGroup.objects.filter(owner=user).order_by("name"))
    form = CompareForm(query or None, orgs=mine, groups=groups, periods=periods)
    context: dict[str, Any] = {
        "measure": measure,
        "form": form,
        "sharing": sharing_words(measure),
        "problem": None,
        "comparison": None,
        "mine": mine,
    }
    if not cmp.comparable(measure):
        context["problem"] = (
            f"{measure.name} is not a numerator over a denominator, so organisations "
            "cannot be compared on a funnel plot."
        )
        return context
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        context["problem"] = "Some choices were not understood: " + "; ".join(
            f"{form.fields[k].label if k in form.fields else k}: {' '.join(str(m) for m in v)}"
            for k, v in form.errors.items()
        )
        return context
    by_code = {o.ods_code: o for o in mine}
    at = by_code.get(data.get("at") or "")
    if at is None:
        first = cmp.default_at(user, visible, {o.pk for o in mine})
        at = next((o for o in mine if o.pk == first), None)
    group = next((g for g in groups if str(g.pk) == data.get("group")), None)
    peers = data.get("peers") or ("system" if at is not None else "england")
    if peers == "group" and group is None and groups:
        group = groups[0]
    cost = data.get("unit_cost")
    choice = cmp.Choice(
        at=at,
        peers=peers,
        group=group,
        period=dt.date.fromisoformat(data["period"]) if data.get("period") else None,
        window=data.get("window") or 1,
        limit=data.get("limit") or 99,
        benchmark=data.get("benchmark") or "median",
        unit_cost=float(cost) if cost is not None else None,
    )
    context["choice"] = choice
    try:
        comparison = cmp.cached(user, measure, choice)
    except QualitasError as e:
        context["problem"] = str(e)
        return context
    context["comparison"] = comparison
    return context


def funnel_spec(comparison: cmp.Comparison, *, static: bool = False) -> dict[str, Any]:
    measure = comparison.measure
    own = comparison.own
    highlight = (
        comparison.labels.get(own.pk)
        if own is not None and comparison.row_for(own.pk) is not None
        else None
    )
    own_units = comparison.data_type in ("PR", "MEAN")
    spec = funnel_chart(
        comparison.result,
        direction=measure.direction,
        highlight=highlight,
        y_title=measure.unit if own_units else "Ratio to the peers' average",
        x_title=(measure.denominator or "Records") if own_units else "Expected events",
        width=640,
        height=380,
    )
    if not static:
        spec.pop("title", None)
    else:
        spec["title"] = (
            f"{measure.name}: {comparison.peers_words}, {comparison.window_words}"
        )
    return spec


def position_spec(comparison: cmp.Comparison, label: str) -> dict[str, Any] | None:
    positions = comparison.positions
    if positions is None or label not in set(positions.icons["organisation"]):
        return None
    spec = xmr_chart(
        positions,
        label,
        y_title="Standardised position (z-score against the peers)",
        value_format=",.2f",
        width=640,
        height=240,
        show_icons=False,
    )
    spec.pop("title", None)
    return spec


@login_required
def compare(request: HttpRequest, code: str) -> HttpResponse:
    measure = get_measure_for_user(request.user, code)
    context = comparison_for(request.user, measure, request.GET)
    comparison: cmp.Comparison | None = context["comparison"]
    if comparison is not None:
        context["chart"] = funnel_spec(comparison)
        focus_code = request.GET.get("focus") or (
            comparison.own.ods_code if comparison.own else ""
        )
        focus = next(
            (r for r in comparison.rows if r.organisation.ods_code == focus_code),
            None,
        )
        context["focus"] = focus
        context["own_row"] = (
            comparison.row_for(comparison.own.pk) if comparison.own else None
        )
        context["position_chart"] = (
            position_spec(comparison, focus.label) if focus is not None else None
        )
        positions = _positions(comparison)
        learning = _learning(request.user, comparison)
        context["lines"] = [
            {
                "row": r,
                "variation": positions.get(r.label),
                "projects": learning.get(r.organisation.pk, []),
            }
            for r in comparison.rows
        ]
        context["periods_table"] = _periods(comparison)
        context["claimable"] = organisation_ids(request.user, P.CLAIM_BENEFITS)
        query = request.GET.copy()
        query.pop("focus", None)
        context["query"] = query.urlencode()
        context["claim_query"] = claim_query(comparison)
    return render(request, "measures/compare.html", context)


def claim_query(comparison: cmp.Comparison) -> str:
    """The query naming this exact comparison (a claim recomputes it from this)."""
    c = comparison.choice
    q = QueryDict(mutable=True)
    q["measure"] = comparison.measure.code
    if comparison.own is not None:
        q["at"] = comparison.own.ods_code
    q["peers"] = c.peers
    if c.group is not None:
        q["group"] = str(c.group.pk)
    q["period"] = comparison.end.isoformat()
    q["window"] = str(c.window)
    q["limit"] = str(c.limit)
    q["benchmark"] = c.benchmark
    if c.unit_cost is not None:
        q["unit_cost"] = f"{c.unit_cost:.2f}"
    return q.urlencode()


def _positions(comparison: cmp.Comparison) -> dict[str, str]:
    """Each organisation's latest z-score and the variation icon of its position
    over time (moving towards or away from its peers)."""
    if comparison.positions is None:
        return {}
    icons = comparison.positions.icons
    return {
        str(name): words.VARIATION.get(str(code), str(code))
        for name, code in zip(icons["organisation"], icons["variation"], strict=True)
    }


def _periods(comparison: cmp.Comparison) -> list[dict[str, Any]]:
    across = comparison.across
    if across is None:
        return []
    table = across.summaries[
        ["period", "n_units", "n_outliers", "n_high", "n_low", "adjusted", "phi"]
    ]
    out = []
    for r in table.to_dict("records"):
        out.append({**r, "period": r["period"].date()})
    return list(reversed(out))


def _learning(user: Any, comparison: cmp.Comparison) -> dict[int, list[Any]]:
    """For each organisation doing better than its peers (beyond chance, or moving
    towards better with special cause), the projects on this measure it has shared
    with the reader: so others can ask how."""
    from qualitas.web.authorization import visible_project_filter
    from qualitas.web.projects.models import ProjectMeasure

    improving = set()
    for r in comparison.rows:
        if r.better:
            improving.add(r.organisation.pk)
    if comparison.positions is not None:
        icons = comparison.positions.icons
        names = set(
            icons.loc[
                icons["variation"].astype(str).str.startswith("improvement"),
                "organisation",
            ]
        )
        improving |= {r.organisation.pk for r in comparison.rows if r.label in names}
    if not improving:
        return {}
    links = (
        ProjectMeasure.objects.filter(
            measure=comparison.measure, project__organisation_id__in=improving
        )
        .filter(visible_project_filter(user, prefix="project__"))
        .select_related("project")
        .order_by("project__title")
    )
    out: dict[int, list[Any]] = {}
    for link in links:
        out.setdefault(link.project.organisation_id, []).append(link.project)
    return out


@login_required
def compare_download(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "png", "svg"):
        raise Http404("No such download")
    measure = get_measure_for_user(request.user, code)
    context = comparison_for(request.user, measure, request.GET)
    comparison: cmp.Comparison | None = context["comparison"]
    if comparison is None:
        # Nothing to draw: back to the page, which says why.
        url = reverse("measures:compare", args=[measure.code])
        return redirect(f"{url}?{request.GET.urlencode()}")
    name = f"compare-{measure.code}-{comparison.end:%Y-%m}"
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        _write_csv(response, comparison)
        return response
    spec = funnel_spec(comparison, static=True)
    if fmt == "svg":
        response = HttpResponse(
            render_chart(spec, "svg"), content_type="image/svg+xml; charset=utf-8"
        )
    else:
        response = HttpResponse(render_chart(spec, "png"), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _write_csv(out: Any, comparison: cmp.Comparison) -> None:
    m = comparison.measure
    w = csv.writer(out)
    w.writerow(
        [
            "measure",
            "organisation",
            "ods_code",
            "period_from",
            "period_to",
            "numerator",
            "denominator",
            f"value ({m.unit})",
            "ratio_plotted",
            "z_score",
            "lower_limit",
            "upper_limit",
            "verdict",
            f"expected_at_{comparison.choice.benchmark}",
            "potential_events (light green)",
            "potential_events_lower",
            "potential_events_upper",
            "potential_cost_gbp",
            "potential_cost_lower",
            "potential_cost_upper",
        ]
    )
    for r in comparison.rows:
        w.writerow(
            [
                safe_cell(v)
                for v in (
                    m.name,
                    r.organisation.name,
                    r.organisation.ods_code,
                    comparison.start.isoformat(),
                    comparison.end.isoformat(),
                    r.numerator,
                    r.denominator,
                    round(r.value, 6),
                    round(r.ratio, 6),
                    round(r.z, 4),
                    round(r.lower, 6),
                    round(r.upper, 6),
                    r.verdict,
                    round(r.expected, 4),
                    round(r.potential, 4),
                    round(r.potential_lower, 4),
                    round(r.potential_upper, 4),
                    "" if r.cost is None else round(r.cost, 2),
                    "" if r.cost_lower is None else round(r.cost_lower, 2),
                    "" if r.cost_upper is None else round(r.cost_upper, 2),
                )
            ]
        )
