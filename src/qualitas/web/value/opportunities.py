"""Opportunities from funnel plots: how many events (and pounds) each organisation of a
system would gain by matching a benchmark on a measure, with an interval, ready to be
turned into a light green benefit claim.

The data are each member organisation's own figures for the measure over a window of
months, added up (numerators and denominators). Percentages are compared as
proportions; rates as observed over expected events, the expected count being the
organisation's denominator at the system's pooled rate (indirect standardisation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Max, Sum

from qualitas.charts import funnel_chart
from qualitas.errors import QualitasError
from qualitas.spc.funnel import FunnelResult, funnel
from qualitas.spc.opportunity import opportunity
from qualitas.web.authorization import descendants, hierarchy
from qualitas.web.measures.models import Measure, Observation
from qualitas.web.organisations.models import Organisation

BENCHMARKS = {
    "median": "the peer median",
    "best_quartile": "the best quarter of peers",
    "target": "the system average",
}
MIN_UNITS = 3


@dataclass(frozen=True)
class Gap:
    organisation: Organisation
    numerator: float
    denominator: float
    rate: float  # in the measure's own units
    expected: float  # events at the benchmark
    potential: float
    lower: float
    upper: float
    cost: float | None
    cost_lower: float | None
    cost_upper: float | None
    outlier: bool


@dataclass(frozen=True)
class Opportunities:
    measure: Measure
    system: Organisation
    start: dt.date
    end: dt.date
    benchmark: str
    benchmark_rate: float  # in the measure's units
    unit_cost: float | None
    gaps: list[Gap]
    chart: dict[str, Any]
    adjusted: bool  # limits widened for overdispersion

    @property
    def benchmark_words(self) -> str:
        return BENCHMARKS[self.benchmark]

    @property
    def window(self) -> str:
        return f"{self.start:%B %Y} to {self.end:%B %Y}"


def better(measure: Measure) -> str:
    if measure.direction == Measure.Direction.DECREASE:
        return "lower"
    if measure.direction == Measure.Direction.INCREASE:
        return "higher"
    raise QualitasError(
        f"{measure.name} has no better direction, so there is no gap to close."
    )


def eligible(measures) -> list[Measure]:
    """Measures a funnel can compare: numerator over denominator, with a direction."""
    return [
        m
        for m in measures
        if m.aggregation == Measure.Aggregation.RATIO
        and m.direction != Measure.Direction.NEUTRAL
    ]


def is_proportion(measure: Measure) -> bool:
    return measure.multiplier == 100 and "%" in measure.unit


def compute(
    measure: Measure,
    system: Organisation,
    *,
    months: int = 12,
    benchmark: str = "median",
    unit_cost: float | None = None,
) -> Opportunities:
    if benchmark not in BENCHMARKS:
        raise QualitasError(f"benchmark must be one of {', '.join(BENCHMARKS)}")
    direction = better(measure)
    _, children = hierarchy()
    members = descendants(system.pk, children)
    rows = Observation.objects.totals().filter(
        measure=measure,
        organisation_id__in=members,
        numerator__isnull=False,
        denominator__isnull=False,
    )
    last = rows.aggregate(last=Max("period"))["last"]
    if last is None:
        raise QualitasError(
            f"No organisation of {system.name} has numerators and denominators for {measure.name}."
        )
    start = (pd.Timestamp(last) - pd.DateOffset(months=months - 1)).date()
    sums = list(
        rows.filter(period__gte=start)
        .values("organisation_id")
        .annotate(num=Sum("numerator"), den=Sum("denominator"))
        .order_by("organisation_id")
    )
    if len(sums) < MIN_UNITS:
        raise QualitasError(
            f"A funnel plot needs at least {MIN_UNITS} organisations with data; "
            f"{measure.name} has {len(sums)} in {system.name}."
        )
    orgs = Organisation.objects.in_bulk([s["organisation_id"] for s in sums])
    frame = pd.DataFrame(
        {
            "organisation": [orgs[s["organisation_id"]].name for s in sums],
            "org_id": [s["organisation_id"] for s in sums],
            "num": [float(s["num"]) for s in sums],
            "den": [float(s["den"]) for s in sums],
        }
    )
    proportion = is_proportion(measure)
    pooled = frame["num"].sum() / frame["den"].sum()
    if proportion:
        result = funnel(
            frame,
            numerator="num",
            denominator="den",
            group="organisation",
            data_type="PR",
            multiplier=100,
        )
    else:
        frame["expected"] = frame["den"] * pooled
        result = funnel(
            frame,
            numerator="num",
            denominator="expected",
            group="organisation",
            data_type="SR",
            shmi_rounding=False,
        )
    gaps_table = opportunity(result, better=direction, unit_cost=unit_cost).units
    rate_factor = 1.0 if proportion else pooled * measure.multiplier
    gaps_table = gaps_table.merge(
        frame[["organisation", "org_id", "den"]], on="organisation"
    )
    benchmark_rate = _benchmark_rate(
        result, gaps_table, benchmark, direction, proportion, rate_factor
    )
    gaps = []
    outlier = dict(
        zip(result.units["organisation"], result.units["outlier"], strict=True)
    )
    for r in gaps_table.to_dict("records"):
        cost = r.get(f"potential_cost_vs_{benchmark}")
        gaps.append(
            Gap(
                organisation=orgs[int(r["org_id"])],
                numerator=float(r["numerator"]),
                denominator=float(r["den"]),
                rate=float(r["numerator"]) / float(r["den"]) * measure.multiplier,
                expected=float(r[f"expected_at_{benchmark}"]),
                potential=float(r[f"potential_events_vs_{benchmark}"]),
                lower=float(r[f"potential_events_vs_{benchmark}_lower"]),
                upper=float(r[f"potential_events_vs_{benchmark}_upper"]),
                cost=None if cost is None else float(cost),
                cost_lower=None
                if cost is None
                else float(r[f"potential_cost_vs_{benchmark}_lower"]),
                cost_upper=None
                if cost is None
                else float(r[f"potential_cost_vs_{benchmark}_upper"]),
                outlier=bool(outlier[r["organisation"]]),
            )
        )
    gaps.sort(key=lambda g: -g.potential)
    chart = funnel_chart(
        result,
        direction=measure.direction,
        y_title=measure.unit if proportion else f"Ratio to the {system.name} average",
        width=560,
        height=320,
    )
    chart.pop("title", None)
    return Opportunities(
        measure=measure,
        system=system,
        start=start,
        end=last,
        benchmark=benchmark,
        benchmark_rate=benchmark_rate,
        unit_cost=unit_cost,
        gaps=gaps,
        chart=chart,
        adjusted=bool(result.summary.adjusted),
    )


def _benchmark_rate(
    result: FunnelResult,
    table: pd.DataFrame,
    benchmark: str,
    direction: str,
    proportion: bool,
    rate_factor: float,
) -> float:
    ratio = table["ratio"].to_numpy(dtype=float) / (100.0 if proportion else 1.0)
    if benchmark == "target":
        value = float(result.summary.target) / (100.0 if proportion else 1.0)
    elif benchmark == "median":
        value = float(np.quantile(ratio, 0.5, method="linear"))
    else:
        value = float(
            np.quantile(ratio, 0.25 if direction == "lower" else 0.75, method="linear")
        )
    return value * (100.0 if proportion else rate_factor)


def claim_fields(opp: Opportunities, gap: Gap) -> dict[str, Any]:
    """What a light green claim made from one organisation's gap says."""
    m = opp.measure
    unit_label = (m.numerator or "events").strip().lower()
    gained = "avoided" if better(m) == "lower" else "gained"
    interval = f"{gap.lower:,.0f} to {gap.upper:,.0f}"
    method = (
        f"Funnel plot of {m.name} across the organisations of {opp.system.name}, "
        f"{opp.window}. {gap.organisation.name}: {gap.numerator:,.0f} against "
        f"{gap.expected:,.1f} expected at {opp.benchmark_words} "
        f"({opp.benchmark_rate:,.{m.decimals}f} {m.unit}). Potential {unit_label} "
        f"{gained}: {gap.potential:,.1f} (95% interval {interval})"
    )
    if opp.unit_cost is not None:
        method += f", at £{opp.unit_cost:,.0f} each."
    else:
        method += "."
    method += " An estimate of what could change, not a saving that has happened."
    return {
        "title": f"{m.name}: matching {opp.benchmark_words} at {gap.organisation.name}",
        "estimate_quantity": round(gap.potential, 2),
        "quantity_unit": unit_label,
        "estimate_amount": None if gap.cost is None else round(gap.cost, 2),
        "method": method,
        "evidence_measure": m,
        "opportunity": {
            "measure": m.code,
            "system": opp.system.ods_code,
            "organisation": gap.organisation.ods_code,
            "window": [opp.start.isoformat(), opp.end.isoformat()],
            "benchmark": opp.benchmark,
            "benchmark_rate": opp.benchmark_rate,
            "observed": gap.numerator,
            "expected": gap.expected,
            "potential": gap.potential,
            "interval": [gap.lower, gap.upper],
            "unit_cost": opp.unit_cost,
        },
    }
