"""Funnel plot on 10^4 units: milliseconds per call and microseconds per unit.

Each data type once (SR with both methods), 10,000 units, one row per unit; and SR
from patient-level rows (10^4 units x 100 patients = 10^6 rows), which adds the sum by
unit. Then many funnels at once (``by``): 1,000 funnels of 150 units, in milliseconds
per funnel, with ``qualitas.spc.funnel`` and through the local engine. Medians of
several runs.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from qualitas.spc import funnel, opportunity

UNITS = 10_000
REPEATS = 7


def units(kind: str, rng: np.random.Generator) -> pd.DataFrame:
    names = [f"U{i:05d}" for i in range(UNITS)]
    if kind == "SR":
        expected = rng.uniform(5, 2000, UNITS)
        observed = rng.poisson(expected * rng.lognormal(0, 0.2, UNITS))
        return pd.DataFrame({"unit": names, "num": observed, "den": expected})
    n = rng.integers(10, 5000, UNITS)
    if kind == "PR":
        return pd.DataFrame({"unit": names, "num": rng.binomial(n, 0.3), "den": n})
    if kind == "RC":
        return pd.DataFrame({"unit": names, "num": rng.poisson(n * 0.8), "den": n})
    return pd.DataFrame(
        {"unit": names, "num": rng.normal(10, 0.5, UNITS) * n, "den": n}
    )


def timed(call) -> float:
    call()  # warm up
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report(label: str, seconds: float, count: int) -> None:
    print(
        f"{label:<44} {seconds * 1e3:8.1f} ms  {seconds / count * 1e6:6.2f} µs per unit",
        flush=True,
    )


def main() -> None:
    rng = np.random.default_rng(2024)
    print(f"funnel on {UNITS:,} units (median of {REPEATS})")
    for kind, method in [
        ("SR", "SHMI"),
        ("SR", "CQC"),
        ("PR", "SHMI"),
        ("RC", "SHMI"),
        ("MEAN", "SHMI"),
    ]:
        data = units(kind, rng)
        extra = {"sd": 5.0} if kind == "MEAN" else {}
        label = f"{kind}" + (f" ({method})" if kind == "SR" else "")
        seconds = timed(
            lambda data=data, kind=kind, method=method, extra=extra: funnel(
                data,
                numerator="num",
                denominator="den",
                group="unit",
                data_type=kind,
                method=method,
                **extra,
            )
        )
        report(label, seconds, UNITS)
    data = units("SR", rng)
    result = funnel(data, numerator="num", denominator="den", group="unit")
    report(
        "opportunity (SR, with unit cost)",
        timed(lambda: opportunity(result, better="lower", unit_cost=3000)),
        UNITS,
    )

    per_unit = 100
    patients = pd.DataFrame(
        {
            "unit": np.repeat(data["unit"].to_numpy(), per_unit),
            "num": rng.binomial(1, 0.05, UNITS * per_unit),
            "den": rng.uniform(0.0, 0.1, UNITS * per_unit),
        }
    )
    seconds = timed(
        lambda: funnel(patients, numerator="num", denominator="den", group="unit")
    )
    report(f"SR from {UNITS * per_unit:,} patient rows", seconds, UNITS)
    many_funnels(rng)


FUNNELS = 1_000
FUNNEL_UNITS = 150


def many_funnels(rng: np.random.Generator) -> None:
    """Every indicator x month at once: 1,000 funnels of 150 trusts each."""
    from qualitas.engines.local import LocalEngine
    from qualitas.spc.funnel import funnel_request

    n = FUNNELS * FUNNEL_UNITS
    cases = rng.integers(50, 2000, n)
    expected = rng.uniform(5, 400, n)
    data = pd.DataFrame(
        {
            "indicator": np.repeat(
                [f"I{i // 20:02d}" for i in range(FUNNELS)], FUNNEL_UNITS
            ),
            "month": np.repeat(np.arange(FUNNELS) % 20, FUNNEL_UNITS),
            "trust": np.tile([f"T{i:03d}" for i in range(FUNNEL_UNITS)], FUNNELS),
            "observed": rng.poisson(expected * rng.lognormal(0, 0.2, n)),
            "expected": expected,
            "events": rng.binomial(cases, 0.2),
            "cases": cases,
        }
    )
    print(
        f"{FUNNELS:,} funnels of {FUNNEL_UNITS} units at once (by indicator, month; "
        f"median of {REPEATS})"
    )
    for kind, numerator, denominator in [
        ("SR", "observed", "expected"),
        ("PR", "events", "cases"),
        ("RC", "observed", "cases"),
    ]:
        arguments = {
            "numerator": numerator,
            "denominator": denominator,
            "group": "trust",
            "by": ("indicator", "month"),
            "data_type": kind,
        }
        seconds = timed(lambda arguments=arguments: funnel(data, **arguments))
        report_funnels(f"{kind}, qualitas.spc.funnel", seconds)
        request = funnel_request(**arguments)
        seconds = timed(lambda request=request: LocalEngine().run(data, request))
        report_funnels(f"{kind}, local engine", seconds)


def report_funnels(label: str, seconds: float) -> None:
    print(
        f"{label:<44} {seconds * 1e3:8.1f} ms  {seconds / FUNNELS * 1e3:6.2f} ms per funnel",
        flush=True,
    )


if __name__ == "__main__":
    main()
