"""What it would mean, in events and money, for each unit of a funnel to match a benchmark.

For each unit: the events it would have had at the target, at the peer median and at
the best quartile of its peers; the gap between those and what happened; and a 95%
interval for that gap. The gaps are *potential* ("light green" in the NHS Improving
Value language): an estimate of what could change, not a saving that has happened
("dark green"). Column names carry the word ``potential`` so that no report can show
them as realised.

The interval reflects chance variation in the unit's own count (an exact Poisson
interval for ratios, Clopper-Pearson for proportions, normal for means); the benchmark
is treated as fixed, being estimated from all units (docs/methods/funnel.md).

>>> import pandas as pd
>>> from qualitas.spc.funnel import funnel
>>> data = pd.DataFrame({
...     "trust": ["A", "B", "C", "D", "E"],
...     "deaths": [30, 45, 28, 70, 41],
...     "expected": [32.0, 44.0, 30.0, 50.0, 40.0],
... })
>>> result = funnel(data, numerator="deaths", denominator="expected", group="trust")
>>> gaps = opportunity(result, better="lower", unit_cost=5000).units
>>> gaps.loc[gaps["trust"] == "D", ["expected_at_target", "potential_events_vs_target"]].values.tolist()
[[50.0, 20.0]]
>>> float(gaps.loc[gaps["trust"] == "D", "potential_cost_vs_target"].iloc[0])
100000.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from qualitas.errors import QualitasError
from qualitas.spc import funnel_stats as st
from qualitas.spc.funnel import FunnelResult

LABEL = "potential (light green)"
BENCHMARKS = ("target", "median", "best_quartile")


@dataclass(frozen=True)
class OpportunityResult:
    """``units``: one row per unit with expected events at each benchmark and the
    potential gap with its interval; ``benchmarks``: one row per benchmark with the
    ratio it stands for (times the funnel's multiplier)."""

    units: pd.DataFrame
    benchmarks: pd.DataFrame


def opportunity(
    result: FunnelResult,
    *,
    better: str,
    unit_cost: float | None = None,
    level: float = 0.95,
    target: float | None = None,
) -> OpportunityResult:
    """Potential events (and money) for each unit of ``result`` to reach each benchmark.

    ``better``: ``"lower"`` when fewer events are better (deaths, readmissions) or
    ``"higher"`` (patients treated within 62 days, health gain). The best quartile is
    the 25th percentile of the units' ratios when lower is better, else the 75th; the
    peer median is the median of the units' ratios (each unit counts once).

    Columns: the group column, ``numerator``, ``denominator``, ``ratio``;
    ``expected_at_target``, ``expected_at_median``, ``expected_at_best_quartile``
    (events at that benchmark's rate: benchmark x denominator); for each benchmark B,
    ``gap_vs_B`` (signed: positive means events that could be avoided, or gained when
    higher is better; negative means the unit already does better) and
    ``potential_events_vs_B`` (the gap where positive, else 0) with
    ``potential_events_vs_B_lower`` and ``_upper`` (the interval at ``level``); with a
    ``unit_cost``, the same three as ``potential_cost_vs_B``; and ``label``.

    ``target`` (on the funnel's scale, times its multiplier) replaces the funnel's own
    target as the ``target`` benchmark, e.g. a national standard of 95% when the
    funnel is centred on the peers' average.
    """
    if better not in ("lower", "higher"):
        raise QualitasError(f"better must be 'lower' or 'higher', not {better!r}")
    if not 0 < level < 1:
        raise QualitasError(
            f"level must be a fraction between 0 and 1, such as 0.95, not {level!r}"
        )
    if target is not None and (not np.isfinite(target) or target < 0):
        raise QualitasError(f"target must be a number, 0 or more, not {target!r}")
    if unit_cost is not None and (not np.isfinite(unit_cost) or unit_cost < 0):
        raise QualitasError(
            f"unit_cost must be a number of pounds, 0 or more, not {unit_cost!r}"
        )

    units = result.units
    m = result.summary.multiplier
    group = result.request.group
    num = units["numerator"].to_numpy(dtype=np.float64)
    den = units["denominator"].to_numpy(dtype=np.float64)
    ratio = units["ratio"].to_numpy(dtype=np.float64) / m
    best_p = 0.25 if better == "lower" else 0.75
    rates = {
        "target": (result.summary.target if target is None else target) / m,
        "median": st.quantile7(ratio, 0.5),
        "best_quartile": st.quantile7(ratio, best_p),
    }
    low, high = _count_interval(result, num, den, level)
    sign = 1.0 if better == "lower" else -1.0

    out: dict[str, object] = {
        group: units[group].to_numpy(),
        "numerator": num,
        "denominator": den,
        "ratio": ratio * m,
    }
    for name in BENCHMARKS:
        out[f"expected_at_{name}"] = rates[name] * den
    for name in BENCHMARKS:
        expected = rates[name] * den
        gap = sign * (num - expected)
        # The gap for the unit's underlying count: a monotone function of it, so the
        # interval for the count gives the interval for the gap (ends swap when higher
        # is better), and clipping at 0 keeps it an interval for the potential.
        ends = np.sort(
            np.stack([sign * (low - expected), sign * (high - expected)]), axis=0
        )
        out[f"gap_vs_{name}"] = gap
        out[f"potential_events_vs_{name}"] = np.maximum(gap, 0)
        out[f"potential_events_vs_{name}_lower"] = np.maximum(ends[0], 0)
        out[f"potential_events_vs_{name}_upper"] = np.maximum(ends[1], 0)
    if unit_cost is not None:
        for name in BENCHMARKS:
            for suffix in ("", "_lower", "_upper"):
                events = np.asarray(out[f"potential_events_vs_{name}{suffix}"])
                out[f"potential_cost_vs_{name}{suffix}"] = events * float(unit_cost)
    out["label"] = LABEL
    benchmarks = pd.DataFrame(
        {
            "benchmark": list(BENCHMARKS),
            "ratio": [rates[b] * m for b in BENCHMARKS],
            "description": [
                "the funnel's target" if target is None else "the target given",
                "the median of the units' ratios",
                f"the {'lowest' if better == 'lower' else 'highest'} quarter of units begins here "
                f"({int(best_p * 100)}th percentile of the units' ratios)",
            ],
        }
    )
    return OpportunityResult(units=pd.DataFrame(out), benchmarks=benchmarks)


def _count_interval(
    result: FunnelResult, num: np.ndarray, den: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for the unit's underlying expected count (or total, for means)."""
    a = (1 - level) / 2
    data_type = result.summary.data_type
    if data_type == st.PR:
        with np.errstate(invalid="ignore"):
            p_low = np.where(num > 0, special.betaincinv(num, den - num + 1, a), 0.0)
            p_high = np.where(
                num < den, special.betaincinv(num + 1, den - num, 1 - a), 1.0
            )
        return np.asarray(p_low * den), np.asarray(p_high * den)
    if data_type == st.MEAN:
        sd = float(result.request.sd or 0.0)
        half = float(special.ndtri(1 - a)) * sd * np.sqrt(den)
        return num - half, num + half
    # Counts (SR observed deaths, RC numerators): exact Poisson interval.
    with np.errstate(invalid="ignore"):
        low = np.where(num > 0, special.gammaincinv(num, a), 0.0)
    high = special.gammaincinv(num + 1, 1 - a)
    return np.asarray(low), np.asarray(high)
