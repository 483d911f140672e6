"""Every qicharts2 chart type on 10^5 series x 48 points in one call: µs per point.

Target (issue 3): at most 2 µs per point on the 2-core development machine. Input is
sorted by series and month, as national extracts arrive; one extra run on shuffled
rows shows what sorting costs. Xbar and S charts get 48 subgroups of 4 measurements
per series (4 rows per point). Set QUALITAS_BENCH_SERIES for a smaller run.
"""

from __future__ import annotations

import gc
import os
import time

import numpy as np
import pandas as pd

from qualitas.spc import chart

SERIES = int(os.environ.get("QUALITAS_BENCH_SERIES", "100000"))
POINTS = 48
SUBGROUP = 4
TARGET_US = 2.0


def _frame(rng: np.random.Generator, rows_per_point: int = 1) -> pd.DataFrame:
    months = pd.date_range("2021-04-01", periods=POINTS, freq="MS").to_numpy()
    per_series = POINTS * rows_per_point
    n = SERIES * per_series
    unit = np.repeat(np.arange(SERIES, dtype=np.int64), per_series)
    month = np.tile(np.repeat(months, rows_per_point), SERIES)
    patients = rng.integers(50, 500, n).astype(np.float64)
    return pd.DataFrame(
        {
            "unit": unit,
            "month": month,
            "value": rng.normal(50.0, 8.0, n),
            "events": rng.binomial(patients.astype(np.int64), 0.2).astype(np.float64),
            "patients": patients,
            "count": rng.poisson(6.0, n).astype(np.float64),
            "between": rng.geometric(0.02, n).astype(np.float64),
            "days": rng.exponential(30.0, n) + 0.1,
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
]


def _time(data: pd.DataFrame, kind: str, **columns: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call (CPU time is the fairer figure when
    other work shares the machine; the engine itself runs on one core)."""
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    result = chart(data, chart=kind, period="month", by="unit", **columns)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(result.points) == SERIES * POINTS
    del result
    return elapsed, cpu


def main() -> None:
    rng = np.random.default_rng(20240401)
    points = SERIES * POINTS
    print(
        f"{SERIES:,} series x {POINTS} points = {points:,} points per call "
        f"(target <= {TARGET_US} µs/point)"
    )
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"{'chart':<18}{'rows':>12}{'seconds':>9}{'µs/point':>10}{'cpu µs/point':>14}"
    )
    figures = {}

    def report(name: str, rows: int, seconds: float, cpu: float) -> None:
        figures[name] = seconds / points * 1e6
        print(
            f"{name:<18}{rows:>12,}{seconds:>9.2f}{figures[name]:>10.2f}"
            f"{cpu / points * 1e6:>14.2f}",
            flush=True,
        )

    data = _frame(rng)
    for kind, columns in CASES:
        report(kind, len(data), *_time(data, kind, **columns))
    shuffled = data.sample(frac=1.0, random_state=1).reset_index(drop=True)
    del data
    report("i, shuffled rows", len(shuffled), *_time(shuffled, "i", value="value"))
    del shuffled

    subgroups = _frame(rng, SUBGROUP)[["unit", "month", "value"]]
    for kind in ("xbar", "s"):
        report(kind, len(subgroups), *_time(subgroups, kind, value="value"))
    del subgroups

    worst = max(figures, key=figures.__getitem__)
    verdict = "meets" if figures[worst] <= TARGET_US else "MISSES"
    print(
        f"slowest: {worst} at {figures[worst]:.2f} µs/point: {verdict} the "
        f"{TARGET_US} µs target (load average now {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
