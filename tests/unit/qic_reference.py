"""A small, obviously-correct qicharts2 implementation: one series at a time, loops.

It follows the method page (docs/methods/qicharts.md) line by line with plain Python
lists, so the vectorised engine can be checked against it on generated data. Slow
and simple on purpose; it shares no code with the engine.
"""

from __future__ import annotations

import itertools
import math
import statistics
from fractions import Fraction

NAN = float("nan")


def isnan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def mean(xs) -> float:
    """Correctly rounded, as R's extended-precision mean() is in practice (Python's
    fmean rounds twice: the sum, then the quotient)."""
    xs = [x for x in xs if not isnan(x)]
    if not xs:
        return NAN
    if any(math.isinf(x) for x in xs):
        return statistics.fmean(xs)
    return float(sum(map(Fraction, xs)) / len(xs))


def median(xs) -> float:
    xs = [x for x in xs if not isnan(x)]
    return statistics.median(xs) if xs else NAN


def total(xs) -> float:
    return math.fsum(x for x in xs if not isnan(x))


def crossings_min(n: int) -> int:
    """Smallest k with P(Binomial(n - 1, 1/2) <= k) >= 0.05, exactly."""
    cumulative = Fraction(0)
    for k in range(n):
        cumulative += Fraction(math.comb(n - 1, k), 2 ** (n - 1))
        if cumulative >= Fraction(1, 20):
            return k
    return n - 1


def longest_run_max(n: int) -> int:
    return round(math.log2(n)) + 3


def subgroups(rows, has_denominator: bool):
    """rows: list of (period, value, denominator) of one series -> one dict per period."""
    out = []
    for period in sorted({r[0] for r in rows}):
        ys, ns = [], []
        for p, y, n in rows:
            if p != period:
                continue
            if has_denominator and (isnan(y) or isnan(n)):
                y, n = NAN, NAN
            ys.append(y)
            ns.append(n)
        present = [y for y in ys if not isnan(y)]
        group = {
            "period": period,
            "total": ys[0] if len(ys) == 1 else total(ys),
            "observations": len(present),
            "mean": mean(ys),
            # R: the square root of a (correctly rounded) variance.
            "sd": math.sqrt(float(statistics.variance(map(Fraction, present))))
            if len(present) > 1
            else NAN,
        }
        if has_denominator:
            group["denominator"] = total(ns)
            group["value"] = (
                total(ys) / group["denominator"] if group["denominator"] else NAN
            )
        else:
            group["denominator"] = NAN
            group["value"] = group["mean"]
        out.append(group)
    return out


def divide(a: float, b: float) -> float:
    """a / b with IEEE results for a zero or infinite divisor."""
    if isnan(a) or isnan(b):
        return NAN
    if b == 0:
        return NAN if a == 0 else math.copysign(math.inf, a)
    return a / b


def moving_range_sigma(values, screen: bool) -> float:
    ranges = [
        abs(b - a) for a, b in itertools.pairwise(values) if not (isnan(a) or isnan(b))
    ]
    amr = mean(ranges)
    if screen and ranges:
        amr = mean([r for r in ranges if r < 3.267 * amr])
    return amr / 1.128


def c4(n: int) -> float:
    if n <= 1:
        return NAN
    return math.sqrt(2 / (n - 1)) * math.exp(
        math.lgamma(n / 2) - math.lgamma((n - 1) / 2)
    )


def limits(chart: str, phase, base, screen: bool):
    """Centre line and limits for the groups of one phase; ``base`` flags the rows
    that estimate them. Returns (values, cl, lcl, ucl, lcl_95, ucl_95) per row."""
    y = [g["value"] for g in phase]
    b = [g for g, keep in zip(phase, base, strict=True) if keep]
    rows = len(phase)
    same = [NAN] * rows

    def around(cl, sigma):
        return (
            [cl[i] - 3 * sigma[i] for i in range(rows)],
            [cl[i] + 3 * sigma[i] for i in range(rows)],
            [cl[i] - 2 * sigma[i] for i in range(rows)],
            [cl[i] + 2 * sigma[i] for i in range(rows)],
        )

    if chart == "run":
        cl = median([g["value"] for g in b])
        return y, [cl] * rows, same, same, same, same
    if chart in ("i", "t"):
        if chart == "t":
            y = [v ** (1 / 3.6) for v in y]
        yb = [v for v, keep in zip(y, base, strict=True) if keep]
        cl = mean(yb)
        sigma = moving_range_sigma([v - cl for v in yb], screen)
        lcl, ucl, lcl95, ucl95 = around([cl] * rows, [sigma] * rows)
        if chart == "i":
            return y, [cl] * rows, lcl, ucl, lcl95, ucl95

        def back(x):
            return x**3.6 if x >= 0 else NAN

        lcl_t = [back(v) for v in lcl]
        return (
            [v**3.6 for v in y],
            [cl**3.6] * rows,
            [0.0 if isnan(v) else v for v in lcl_t],
            [back(v) for v in ucl],
            [back(v) for v in lcl95],
            [back(v) for v in ucl95],
        )
    if chart == "mr":
        mr = [NAN] + [abs(y[i] - y[i - 1]) for i in range(1, rows)]
        cl = mean([v for v, keep in zip(mr, base, strict=True) if keep])
        return (
            mr,
            [cl] * rows,
            [0.0] * rows,
            [3.267 * cl] * rows,
            [0.0] * rows,
            [3.267 / 3 * 2 * cl] * rows,
        )
    if chart in ("p", "pp", "u", "up"):
        events = total([g["total"] for g in b])
        exposure = total([g["denominator"] for g in b])
        cl = events / exposure if exposure else NAN
        sigma = []
        for g in phase:
            n = g["denominator"]
            var = cl * (1 - cl) if chart in ("p", "pp") else cl
            sigma.append(math.sqrt(var / n) if n else math.inf)
        if chart in ("pp", "up"):
            z = [
                divide(g["value"] - cl, s)
                for g, s, keep in zip(phase, sigma, base, strict=True)
                if keep
            ]
            sz = moving_range_sigma(z, screen)
            sigma = [s * sz for s in sigma]
        lcl, ucl, lcl95, ucl95 = around([cl] * rows, sigma)
        # Only finite limits are moved onto 0 (and 1); infinite ones become missing.
        lcl = [0.0 if math.isfinite(v) and v < 0 else v for v in lcl]
        lcl95 = [0.0 if math.isfinite(v) and v < 0 else v for v in lcl95]
        if chart in ("p", "pp"):
            ucl = [1.0 if math.isfinite(v) and v > 1 else v for v in ucl]
            ucl95 = [1.0 if math.isfinite(v) and v > 1 else v for v in ucl95]
        return y, [cl] * rows, lcl, ucl, lcl95, ucl95
    if chart == "c":
        counts = [g["total"] for g in phase]
        cl = mean([g["total"] for g in b])
        lcl, ucl, lcl95, ucl95 = around([cl] * rows, [math.sqrt(cl)] * rows)
        return (
            counts,
            [cl] * rows,
            [max(v, 0.0) for v in lcl],
            ucl,
            [max(v, 0.0) for v in lcl95],
            ucl95,
        )
    if chart == "g":
        m = mean([g["value"] for g in b])
        s = math.sqrt(m * (m + 1))
        cl = median([g["value"] for g in b])
        return (
            y,
            [cl] * rows,
            [max(m - 3 * s, 0.0)] * rows,
            [m + 3 * s] * rows,
            [max(m - 2 * s, 0.0)] * rows,
            [m + 2 * s] * rows,
        )
    if chart in ("xbar", "s"):
        sizes = {g["observations"] for g in phase if g["observations"] > 0}
        if len(sizes) > 1:
            num = total(
                [
                    (g["observations"] - 1) * g["sd"] ** 2
                    for g in b
                    if g["observations"] > 1
                ]
            )
            den = sum(g["observations"] - 1 for g in b if g["observations"] > 0)
            sbar = math.sqrt(num / den) if den else NAN
        else:
            sbar = mean([g["sd"] for g in b])
        k = [c4(g["observations"]) for g in phase]
        n = [g["observations"] for g in phase]
        if chart == "xbar":
            cl = total(
                [g["observations"] * g["mean"] for g in b if g["observations"]]
            ) / sum(g["observations"] for g in b)
            a3 = [
                3 / (k[i] * math.sqrt(n[i])) if n[i] > 1 else NAN for i in range(rows)
            ]
            a2 = [
                2 / (k[i] * math.sqrt(n[i])) if n[i] > 1 else NAN for i in range(rows)
            ]
            return (
                y,
                [cl] * rows,
                [cl - a3[i] * sbar for i in range(rows)],
                [cl + a3[i] * sbar for i in range(rows)],
                [cl - a2[i] * sbar for i in range(rows)],
                [cl + a2[i] * sbar for i in range(rows)],
            )
        c5 = [math.sqrt(1 - v**2) if not isnan(v) else NAN for v in k]
        b3 = [max(0.0, 1 - 3 * c5[i] / k[i]) if n[i] > 1 else NAN for i in range(rows)]
        b4 = [1 + 3 * c5[i] / k[i] if n[i] > 1 else NAN for i in range(rows)]
        b3_95 = [
            max(0.0, 1 - 2 * c5[i] / k[i]) if n[i] > 1 else NAN for i in range(rows)
        ]
        b4_95 = [1 + 2 * c5[i] / k[i] if n[i] > 1 else NAN for i in range(rows)]
        return (
            [g["sd"] for g in phase],
            [sbar] * rows,
            [b3[i] * sbar for i in range(rows)],
            [b4[i] * sbar for i in range(rows)],
            [b3_95[i] * sbar for i in range(rows)],
            [b4_95[i] * sbar for i in range(rows)],
        )
    raise ValueError(chart)


def runs(values, cl, include):
    sides = []
    for v, c, keep in zip(values, cl, include, strict=True):
        if keep and not isnan(v) and not isnan(c) and v != c:
            sides.append(1 if v > c else -1)
    n_obs = sum(include)
    if not sides:
        return {
            "n_obs": n_obs,
            "n_useful": 0,
            "longest_run": None,
            "n_crossings": None,
            "runs_signal": False,
        }
    longest, current, crossings = 1, 1, 0
    for a, b in itertools.pairwise(sides):
        if a == b:
            current += 1
        else:
            crossings += 1
            current = 1
        longest = max(longest, current)
    n = len(sides)
    return {
        "n_obs": n_obs,
        "n_useful": n,
        "longest_run": longest,
        "longest_run_max": longest_run_max(n),
        "n_crossings": crossings,
        "n_crossings_min": crossings_min(n),
        "runs_signal": longest > longest_run_max(n) or crossings < crossings_min(n),
    }


def phase_numbers(groups, phase_start):
    """Phase 2 starts at the first period on or after ``phase_start``, unless that
    is the series' first period."""
    if phase_start is None:
        return [1] * len(groups)
    later = [i for i, g in enumerate(groups) if g["period"] >= phase_start]
    start = later[0] if later and later[0] > 0 else len(groups)
    return [1] * start + [2] * (len(groups) - start)


def chart_one_series(
    rows, *, chart, has_denominator, phase_start, freeze, exclude, multiply, screen
):
    """The whole chart of one series: (points, phases) as lists of dicts."""
    groups = subgroups(rows, has_denominator)
    points, phases = [], []
    phase_of = phase_numbers(groups, phase_start)
    for k in sorted(set(phase_of)):
        phase = [g for g, p in zip(groups, phase_of, strict=True) if p == k]
        include = [g["period"] not in exclude for g in phase]
        baseline = [freeze is None or g["period"] <= freeze for g in phase]
        base = [a and b for a, b in zip(include, baseline, strict=True)]
        y, cl, lcl, ucl, lcl95, ucl95 = limits(chart, phase, base, screen)
        stats = runs(y, cl, include)
        if chart == "mr":
            stats["runs_signal"] = False
        stats["phase"] = k
        phases.append(stats)
        for i, g in enumerate(phase):
            row = {
                "period": g["period"],
                "phase": k,
                "value": y[i] * multiply,
                "cl": cl[i] * multiply,
                "lcl": lcl[i] * multiply,
                "ucl": ucl[i] * multiply,
                "lcl_95": lcl95[i] * multiply,
                "ucl_95": ucl95[i] * multiply,
                "include": include[i],
                "baseline": baseline[i],
                "runs_signal": stats["runs_signal"],
            }
            for line in ("lcl", "ucl", "lcl_95", "ucl_95"):
                if isnan(row[line]) or math.isinf(row[line]):
                    row[line] = NAN
            v = row["value"]
            row["sigma_signal"] = (not isnan(v)) and (
                (not isnan(row["ucl"]) and v > row["ucl"])
                or (not isnan(row["lcl"]) and v < row["lcl"])
            )
            points.append(row)
    return points, phases
