"""Opportunities from funnel plots: how many events (and pounds) each organisation
would gain by matching a benchmark on a measure, with an interval, ready to be turned
into a light green benefit claim.

They come from the very comparison the compare page draws
(:mod:`qualitas.web.measures.comparison`): the same peers, the same figures (only
those the measure's sharing lets the reader compare with), the same funnel and its
limits, so the money and the picture always agree. The value ledger's page adds up
a window of months; a claim started from either page carries the method, the
comparison and the interval with it.
"""

from __future__ import annotations

from typing import Any

from qualitas.web.measures import comparison as cmp
from qualitas.web.measures.models import Measure
from qualitas.web.organisations.models import Organisation

BENCHMARKS = {
    "median": "the peer median",
    "best_quartile": "the best quarter of peers",
    "target": "the target (or, without one, the peers' average)",
}
# The query parameters that name one comparison (the compare page's choices), and so
# travel with a "start a claim" link and its form.
CHOICE_KEYS = (
    "measure",
    "from",
    "at",
    "peers",
    "group",
    "period",
    "window",
    "limit",
    "benchmark",
    "unit_cost",
)


def eligible(measures) -> list[Measure]:
    """Measures a funnel can compare: numerator over denominator, with a direction."""
    return [
        m
        for m in measures
        if cmp.comparable(m) and m.direction != Measure.Direction.NEUTRAL
    ]


def periods_in(measure: Measure, months: int) -> int:
    """How many of the measure's periods make ``months``."""
    if measure.frequency == Measure.Frequency.QUARTERLY:
        return max(1, months // 3)
    if measure.frequency == Measure.Frequency.ANNUAL:
        return max(1, months // 12)
    return months


def compute(
    user: Any,
    measure: Measure,
    organisation: Organisation,
    *,
    months: int = 12,
    peers: str = "system",
    benchmark: str = "median",
    unit_cost: float | None = None,
) -> cmp.Comparison:
    """The comparison of ``organisation`` (or, for a system, its members) with its
    peers over the last ``months``, with each organisation's opportunity."""
    return cmp.build(
        user,
        measure,
        cmp.Choice(
            at=organisation,
            peers=peers,
            window=periods_in(measure, months),
            benchmark=benchmark,
            unit_cost=unit_cost,
        ),
    )


def claim_fields(c: cmp.Comparison, row: cmp.Row) -> dict[str, Any]:
    """What a light green claim made from one organisation's gap says: the method,
    the comparison and the interval, in words and as data."""
    m = c.measure
    unit_label = (m.numerator or "events").strip().lower()
    gained = "avoided" if cmp.better(m) == "lower" else "gained"
    interval = f"{row.potential_lower:,.0f} to {row.potential_upper:,.0f}"
    method = (
        f"{c.method_words()} {row.organisation.name}: {row.numerator:,.0f} against "
        f"{row.expected:,.1f} expected at {c.benchmark_words} "
        f"({c.benchmark_rate:,.{m.decimals}f} {m.unit}); z-score {row.z:.2f}, "
        f"{row.verdict}. Potential {unit_label} {gained}: {row.potential:,.1f} "
        f"(95% interval {interval})"
    )
    if c.choice.unit_cost is not None:
        method += f", at £{c.choice.unit_cost:,.0f} each."
    else:
        method += "."
    method += " An estimate of what could change, not a saving that has happened."
    summary = c.result.summary
    return {
        "title": f"{m.name}: matching {c.benchmark_words} at {row.organisation.name}",
        "estimate_quantity": round(row.potential, 2),
        "quantity_unit": unit_label,
        "estimate_amount": None if row.cost is None else round(row.cost, 2),
        "method": method,
        "evidence_measure": m,
        "opportunity": {
            "measure": m.code,
            "organisation": row.organisation.ods_code,
            "peers": c.choice.peers,
            "compared_with": c.peers_words,
            "organisations_compared": summary.n_units,
            "window": [c.start.isoformat(), c.end.isoformat()],
            "limits": c.limit_words,
            "adjusted_for_overdispersion": bool(summary.adjusted),
            "dispersion_ratio": float(summary.phi),
            "benchmark": c.choice.benchmark,
            "benchmark_rate": c.benchmark_rate,
            "observed": row.numerator,
            "expected": row.expected,
            "z": row.z,
            "outside_limits": row.outlier,
            "potential": row.potential,
            "interval": [row.potential_lower, row.potential_upper],
            "unit_cost": c.choice.unit_cost,
        },
    }
