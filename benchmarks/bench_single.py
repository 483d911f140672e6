"""One call on a single 36-point series, per chart type: the fixed cost of a call.

Web pages draw charts one measure at a time, so what matters there is not µs per point
but the time of one small call (validation, sorting, building the result tables).
Target (issue 13): at most 0.3 ms per call. Medians of many calls after a warm-up,
wall clock and CPU time (the fairer figure on a shared machine).
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import pandas as pd

from qualitas.errors import QualitasWarning
from qualitas.spc import chart

POINTS = 36
CALLS = int(os.environ.get("QUALITAS_BENCH_CALLS", "300"))
TARGET_MS = 0.3


def _frame(rng: np.random.Generator) -> pd.DataFrame:
    patients = rng.integers(50, 500, POINTS).astype(np.float64)
    return pd.DataFrame(
        {
            "month": pd.date_range("2022-04-01", periods=POINTS, freq="MS"),
            "value": rng.normal(50.0, 8.0, POINTS),
            "events": rng.binomial(patients.astype(np.int64), 0.2).astype(float),
            "patients": patients,
            "count": rng.poisson(6.0, POINTS).astype(np.float64),
            "between": rng.geometric(0.02, POINTS).astype(np.float64),
            "days": rng.exponential(30.0, POINTS) + 0.1,
        }
    )


CASES = [
    ("xmr", {"value": "value"}),
    ("run", {"value": "value"}),
    ("i", {"value": "value"}),
    ("mr", {"value": "value"}),
    ("p", {"value": "events", "denominator": "patients"}),
    ("pp", {"value": "events", "denominator": "patients"}),
    ("u", {"value": "events", "denominator": "patients"}),
    ("up", {"value": "events", "denominator": "patients"}),
    ("c", {"value": "count"}),
    ("g", {"value": "between"}),
    ("t", {"value": "days"}),
    ("i, mdc rules", {"value": "value", "rules": "mdc"}),
]


def _median_ms(data: pd.DataFrame, kind: str, options: dict) -> tuple[float, float]:
    def once() -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        chart(data, chart=kind, period="month", **options)
        return time.perf_counter() - started, time.process_time() - cpu

    for _ in range(20):
        once()
    wall, cpu = zip(*(once() for _ in range(CALLS)), strict=True)
    return float(np.median(wall)) * 1e3, float(np.median(cpu)) * 1e3


def main() -> None:
    data = _frame(np.random.default_rng(20240401))
    print(
        f"one call on one series of {POINTS} points, median of {CALLS} calls "
        f"(target <= {TARGET_MS} ms)"
    )
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'chart':<16}{'ms':>8}{'cpu ms':>9}")
    figures = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QualitasWarning)
        for name, options in CASES:
            kind = name.split(",")[0]
            wall, cpu = _median_ms(data, kind, options)
            figures[name] = cpu
            print(f"{name:<16}{wall:>8.3f}{cpu:>9.3f}", flush=True)
    worst = max(figures, key=figures.__getitem__)
    verdict = "meets" if figures[worst] <= TARGET_MS else "MISSES"
    print(
        f"slowest: {worst} at {figures[worst]:.3f} ms CPU: {verdict} the {TARGET_MS} ms "
        f"target (load average now {os.getloadavg()[0]:.1f})"
    )
