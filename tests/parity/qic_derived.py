"""qicharts2 0.8.1's qic(), re-derived from its R source one point at a time, to make
golden cases for the arguments the package's own outputs do not cover.

There is no R here, so the cases ``*_DERIVED`` in ``cases/qicharts/`` were computed by
this module: a plain transcription, in our own words, of what ``qic()`` and the
``qic.<chart>`` functions of qicharts2 0.8.1 (R/qic.R, R/helper.functions.R, commit
1b9487e) do, loop by loop, with no vectorisation and no code shared with qualitas.
``tests/parity/test_qic_derived.py`` checks that it reproduces every case the real
package computed (the other cases of the folder) before its own cases are trusted, and
that the files on disk are what it gives. Regenerate them with
``PYTHONPATH=src python -m tests.parity.qic_derived``.

What it follows, step by step (``qic()`` then ``qic.agg()``):

1. With a denominator, a row missing its value or its denominator loses both.
2. A centre line (``cl``) is a number or one value per input row; each x takes the
   value of its first row.
3. Rows are grouped by x, in sorted order (numbers, dates, or text in code-point
   order). Per x: the sum of the values (a lone missing value stays missing, several
   are summed without the missing ones), their count, mean and SD, the summed
   denominator, and the plotted value: summed values over summed denominators, or
   else ``agg.fun`` of the values (mean, median, sum or SD, missing values dropped).
4. Parts start after the positions given; ``baseline`` is position <= freeze (no
   freeze when parts are given); ``include`` is position not excluded.
5. Per part, the chart function computes the centre and limits from the rows that are
   both baseline and included, keeping a given centre line unless any row of the part
   lacks one; then the runs analysis over included rows; then everything is
   multiplied.
6. Infinite or undefined limits become missing; a point is a sigma signal when above
   the upper or below the lower limit; runs signals are dropped for MR charts and for a
   categorical x.
7. With ``y.neg = FALSE``, when no plotted value is negative, lower limits below zero
   become zero (after the sigma signals).
"""

from __future__ import annotations

import itertools
import math
import statistics
from fractions import Fraction
from pathlib import Path

import pandas as pd

NA = float("nan")


def missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


# R's sum() and mean() accumulate in extended precision: exact rationals here,
# rounded once, give the same doubles in practice.
def r_sum(values, *, na_rm: bool) -> float:
    if not na_rm and any(missing(v) for v in values):
        return NA
    kept = [v for v in values if not missing(v)]
    return float(sum(map(Fraction, kept), Fraction(0)))


def r_mean(values) -> float:
    kept = [v for v in values if not missing(v)]
    if not kept:
        return NA
    return float(sum(map(Fraction, kept), Fraction(0)) / len(kept))


def r_median(values) -> float:
    kept = sorted(v for v in values if not missing(v))
    if not kept:
        return NA
    half = len(kept) // 2
    if len(kept) % 2:
        return kept[half]
    return r_mean([kept[half - 1], kept[half]])


def r_sd(values, *, na_rm: bool = True) -> float:
    if not na_rm and any(missing(v) for v in values):
        return NA
    kept = [v for v in values if not missing(v)]
    if len(kept) < 2:
        return NA
    return math.sqrt(float(statistics.variance(map(Fraction, kept))))


def power(base: float, exponent: float) -> float:
    """R's ``^``: a negative number to a fractional power is NaN, not an error."""
    if missing(base):
        return NA
    if base < 0 and exponent != int(exponent):
        return NA
    return base**exponent


AGGREGATES = {
    "mean": r_mean,
    "median": r_median,
    "sum": lambda v: r_sum(v, na_rm=True),
    "sd": r_sd,
}


def qbinom_05(size: int) -> int:
    """R's qbinom(0.05, size, 0.5): the smallest k with P(X <= k) >= 0.05."""
    total = Fraction(0)
    for k in range(size + 1):
        total += Fraction(math.comb(size, k), 2**size)
        if total >= Fraction(1, 20):
            return k
    return size


def subgroups(rows, *, got_n: bool, agg: str, key):
    """One dict per distinct x, in sorted order (qic.agg's split and summaries)."""
    order = sorted({r["x"] for r in rows}, key=key)
    out = []
    for x in order:
        group = [r for r in rows if r["x"] == x]
        ys = [r["y"] for r in group]
        ns = [r["n"] for r in group]
        out.append(
            {
                "x": x,
                "y.sum": r_sum(ys, na_rm=len(ys) > 1),
                "y.length": sum(not missing(y) for y in ys),
                "y.mean": r_mean(ys),
                "y.sd": r_sd(ys),
                "n": r_sum(ns, na_rm=True) if got_n else NA,
                "y": _divide(r_sum(ys, na_rm=True), r_sum(ns, na_rm=True))
                if got_n
                else AGGREGATES[agg](ys),
                "cl": group[0]["cl"],
                "target": group[0]["target"],
            }
        )
    return out


def _divide(a: float, b: float) -> float:
    if missing(a) or missing(b):
        return NA
    if b == 0:
        return NA if a == 0 else math.copysign(math.inf, a)
    return a / b


def make_parts(part, n: int) -> list[int]:
    cuts = sorted({0, *[p for p in part if 0 <= p < n]})
    numbers = []
    for i, start in enumerate(cuts):
        stop = cuts[i + 1] if i + 1 < len(cuts) else n
        numbers += [i + 1] * (stop - start)
    return numbers


# The chart functions: each takes the rows of one part and sets y, cl and the limits.


def _base(rows):
    return [r for r in rows if r["baseline"] and r["include"]]


def _set_limits(rows, sigmas):
    for r, s in zip(rows, sigmas, strict=True):
        r["ucl"] = r["cl"] + 3 * s
        r["ucl.95"] = r["cl"] + 2 * s
        r["lcl"] = r["cl"] - 3 * s
        r["lcl.95"] = r["cl"] - 2 * s


def _fixed_cl(rows) -> bool:
    return not any(missing(r["cl"]) for r in rows)


def _centre(rows, value: float) -> None:
    for r in rows:
        r["cl"] = value


def _floor(rows, names, *, finite_only: bool = True):
    for r in rows:
        for name in names:
            v = r[name]
            if not missing(v) and v < 0 and (math.isfinite(v) or not finite_only):
                r[name] = 0.0


def _cap(rows, names):
    for r in rows:
        for name in names:
            v = r[name]
            if not missing(v) and math.isfinite(v) and v > 1:
                r[name] = 1.0


def _amr(ranges, screened: bool) -> float:
    """Mean moving range; screened: ranges not below 3.267 times it dropped, once.
    (A missing range stays, as R keeps NA through ``mr[mr < ulmr]``, and is ignored.)"""
    amr = r_mean(ranges)
    if screened:
        limit = 3.267 * amr
        ranges = [m for m in ranges if missing(m) or m < limit]
        amr = r_mean(ranges)
    return amr


def chart_run(rows, opts):
    if not _fixed_cl(rows):
        _centre(rows, r_median([r["y"] for r in _base(rows)]))
    for r in rows:
        r["ucl"] = r["ucl.95"] = r["lcl"] = r["lcl.95"] = NA


def chart_i(rows, opts):
    base = _base(rows)
    if not _fixed_cl(rows):
        _centre(rows, r_mean([r["y"] for r in base]))
    distance = [r["y"] - r["cl"] for r in base]
    ranges = [abs(b - a) for a, b in itertools.pairwise(distance)]
    sigma = _amr(ranges, opts["screenedmr"]) / 1.128
    _set_limits(rows, [sigma] * len(rows))


def chart_mr(rows, opts):
    ys = [r["y"] for r in rows]
    for i, r in enumerate(rows):
        r["y"] = NA if i == 0 else abs(ys[i] - ys[i - 1])
    if not _fixed_cl(rows):
        _centre(rows, r_mean([r["y"] for r in _base(rows)]))
    for r in rows:
        r["lcl"] = r["lcl.95"] = 0.0
        r["ucl"] = 3.267 * r["cl"]
        r["ucl.95"] = (3.267 / 3) * 2 * r["cl"]


def _c4(n):
    if n <= 1:
        return NA
    return math.sqrt(2 / (n - 1)) * math.exp(
        math.lgamma(n / 2) - math.lgamma((n - 1) / 2)
    )


def _s_bar(rows):
    base = _base(rows)
    if len({r["y.length"] for r in rows}) > 1:
        top = r_sum([(r["y.length"] - 1) * r["y.sd"] ** 2 for r in base], na_rm=True)
        bottom = r_sum([r["y.length"] - 1 for r in base], na_rm=True)
        return math.sqrt(top / bottom)
    return r_mean([r["y.sd"] for r in base])


def chart_xbar(rows, opts):
    base = _base(rows)
    if not _fixed_cl(rows):
        top = r_sum([r["y.length"] * r["y.mean"] for r in base], na_rm=True)
        _centre(rows, top / r_sum([r["y.length"] for r in base], na_rm=True))
    s = _s_bar(rows)
    for r in rows:
        c4 = _c4(r["y.length"])
        a3 = NA if missing(c4) else 3 / (c4 * math.sqrt(r["y.length"]))
        a2 = NA if missing(c4) else 2 / (c4 * math.sqrt(r["y.length"]))
        r["ucl"], r["ucl.95"] = r["cl"] + a3 * s, r["cl"] + a2 * s
        r["lcl"], r["lcl.95"] = r["cl"] - a3 * s, r["cl"] - a2 * s


def chart_s(rows, opts):
    for r in rows:
        r["y"] = r["y.sd"]
    if not _fixed_cl(rows):
        _centre(rows, _s_bar(rows))
    for r in rows:
        c4 = _c4(r["y.length"])
        c5 = NA if missing(c4) else math.sqrt(1 - c4**2)
        for k, up, down in ((3, "ucl", "lcl"), (2, "ucl.95", "lcl.95")):
            r[up] = (1 + k * c5 / c4) * r["cl"]
            r[down] = max(0.0, 1 - k * c5 / c4) * r["cl"] if not missing(c4) else NA


def chart_t(rows, opts):
    if min(r["y"] for r in rows if not missing(r["y"])) <= 0:
        raise ValueError("time between events must be greater than zero")
    for r in rows:
        r["y"] = power(r["y"], 1 / 3.6)
    chart_i(rows, opts)
    for r in rows:
        for name in ("y", "cl", "ucl", "ucl.95", "lcl", "lcl.95"):
            r[name] = power(r[name], 3.6)
        if missing(r["lcl"]) or r["lcl"] < 0:
            r["lcl"] = 0.0


def _pooled(rows):
    base = _base(rows)
    if not _fixed_cl(rows):
        events = r_sum([r["y.sum"] for r in base], na_rm=True)
        _centre(rows, events / r_sum([r["n"] for r in base], na_rm=True))


def _laney(rows, sigmas, opts):
    """sigma_z from the standardised baseline values: the SD over units (categorical
    x, missing values not dropped), otherwise the (screened) mean moving range."""
    z = [
        (r["y"] - r["cl"]) / s
        for r, s in zip(rows, sigmas, strict=True)
        if r["baseline"] and r["include"]
    ]
    if opts["categorical"]:
        sigma_z = r_sd(z, na_rm=False)
    else:
        ranges = [abs(b - a) for a, b in itertools.pairwise(z)]
        sigma_z = _amr(ranges, opts["screenedmr"]) / 1.128
    return [s * sigma_z for s in sigmas]


def _sqrt(v: float) -> float:
    return NA if missing(v) or v < 0 else math.sqrt(v)


def chart_p(rows, opts, *, prime=False):
    _pooled(rows)
    sigmas = [_sqrt(r["cl"] * (1 - r["cl"]) / r["n"]) for r in rows]
    if prime:
        sigmas = _laney(rows, sigmas, opts)
    _set_limits(rows, sigmas)
    _cap(rows, ("ucl", "ucl.95"))
    _floor(rows, ("lcl", "lcl.95"))


def chart_u(rows, opts, *, prime=False):
    _pooled(rows)
    sigmas = [_sqrt(r["cl"] / r["n"]) for r in rows]
    if prime:
        sigmas = _laney(rows, sigmas, opts)
    _set_limits(rows, sigmas)
    _floor(rows, ("lcl", "lcl.95"))


def chart_c(rows, opts):
    for r in rows:
        r["y"] = r["y.sum"]
    if not _fixed_cl(rows):
        _centre(rows, r_mean([r["y"] for r in _base(rows)]))
    _set_limits(rows, [_sqrt(r["cl"]) for r in rows])
    _floor(rows, ("lcl", "lcl.95"))


def chart_g(rows, opts):
    base = _base(rows)
    computed = not _fixed_cl(rows)
    if computed:
        _centre(rows, r_mean([r["y"] for r in base]))
    _set_limits(rows, [_sqrt(r["cl"] * (r["cl"] + 1)) for r in rows])
    _floor(rows, ("lcl", "lcl.95"), finite_only=False)
    if computed:
        _centre(rows, r_median([r["y"] for r in base]))
    else:
        for r in rows:
            r["cl"] = 0.693 * r["cl"]


CHARTS = {
    "run": chart_run,
    "i": chart_i,
    "mr": chart_mr,
    "xbar": chart_xbar,
    "s": chart_s,
    "t": chart_t,
    "p": chart_p,
    "pp": lambda rows, opts: chart_p(rows, opts, prime=True),
    "u": chart_u,
    "up": lambda rows, opts: chart_u(rows, opts, prime=True),
    "c": chart_c,
    "g": chart_g,
}


def runs_analysis(rows) -> dict:
    included = [r for r in rows if r["include"]]
    sides = []
    for r in included:
        d = r["y"] - r["cl"]
        if not missing(d) and d != 0:
            sides.append(1 if d > 0 else -1)
    stats = {"n.obs": len(included), "n.useful": len(sides)}
    if not sides:
        return (
            stats
            | dict.fromkeys(
                ("longest.run", "longest.run.max", "n.crossings", "n.crossings.min"), NA
            )
            | {"runs.signal": False}
        )
    runs = [1]
    for a, b in itertools.pairwise(sides):
        if a == b:
            runs[-1] += 1
        else:
            runs.append(1)
    n = len(sides)
    longest, crossings = max(runs), max(len(runs) - 1, 0)
    most, fewest = round(math.log2(n)) + 3, qbinom_05(n - 1)
    return stats | {
        "longest.run": longest,
        "longest.run.max": most,
        "n.crossings": crossings,
        "n.crossings.min": fewest,
        "runs.signal": not (crossings >= fewest and longest <= most),
    }


def qic(
    data: pd.DataFrame,
    *,
    chart: str,
    part=None,
    freeze=None,
    exclude=(),
    multiply: float = 1.0,
    cl=None,
    target=None,
    agg: str = "mean",
    y_neg: bool = True,
    screenedmr: bool = True,
):
    """The rows and the summary qic() gives for ``data`` (columns x, y, optionally n
    and part labels). ``cl``: a number, or the name of a column; ``part``: positions,
    or the name of a column of labels. x holding text that is not all ISO dates is
    categorical, as a character x is in R."""
    text = data["x"].dtype == object
    dates = text and data["x"].astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    categorical = bool(text and not dates)
    got_n = "n" in data.columns
    rows = []
    for i, record in enumerate(data.to_dict("records")):
        y = float(record["y"]) if not missing(record["y"]) else NA
        n = float(record["n"]) if got_n and not missing(record["n"]) else NA
        if got_n and (missing(y) or missing(n)):
            y = n = NA
        given = record[cl] if isinstance(cl, str) else cl
        rows.append(
            {
                "x": record["x"],
                "y": y,
                "n": n,
                "cl": NA if given is None or missing(given) else float(given),
                "target": NA if target is None else float(target),
                "order": i,
            }
        )
    groups = subgroups(rows, got_n=got_n, agg=agg, key=lambda v: v)

    if isinstance(part, str):  # labels, taken in input order of first appearance
        first, seen = [], set()
        for x, label in zip(data["x"], data[part], strict=True):
            if x not in seen:
                seen.add(x)
                first.append(label)
        labels = list(dict.fromkeys(first))
        part = [first.index(label) for label in labels[1:]]
        freeze = None
    elif part is not None:
        freeze = None
    numbers = make_parts(part or [], len(groups))
    limit = math.inf if freeze is None else freeze
    for position, (g, k) in enumerate(zip(groups, numbers, strict=True), start=1):
        g["part"] = k
        g["xx"] = position
        g["baseline"] = position <= limit
        g["include"] = position not in set(exclude)

    opts = {"screenedmr": screenedmr, "categorical": categorical}
    summaries = []
    for k in sorted(set(numbers)):
        rows_k = [g for g in groups if g["part"] == k]
        CHARTS[chart](rows_k, opts)
        stats = runs_analysis(rows_k)
        for g in rows_k:
            g.update(stats)
            for name in ("y", "cl", "lcl", "lcl.95", "ucl.95", "ucl"):
                g[name] = g[name] * multiply
    for g in groups:
        for name in ("ucl", "ucl.95", "lcl", "lcl.95"):
            if missing(g[name]) or not math.isfinite(g[name]):
                g[name] = NA
        g["sigma.signal"] = (not missing(g["y"])) and (
            (not missing(g["ucl"]) and g["y"] > g["ucl"])
            or (not missing(g["lcl"]) and g["y"] < g["lcl"])
        )
        if categorical or chart == "mr":
            g["runs.signal"] = False
    plotted = [g["y"] for g in groups if not missing(g["y"])]
    if not y_neg and (min(plotted) if plotted else math.inf) >= 0:
        _floor(groups, ("lcl", "lcl.95"), finite_only=False)

    for k in sorted(set(numbers)):
        rows_k = [g for g in groups if g["part"] == k]
        first = rows_k[0]
        summaries.append(
            {
                "part": k,
                **{
                    name: first[name]
                    for name in (
                        "n.obs",
                        "n.useful",
                        "longest.run",
                        "longest.run.max",
                        "n.crossings",
                        "n.crossings.min",
                    )
                },
                "runs.signal": int(any(g["runs.signal"] for g in rows_k)),
                "aLCL": r_mean([g["lcl"] for g in rows_k]),
                "aLCL.95": r_mean([g["lcl.95"] for g in rows_k]),
                "CL": r_mean([g["cl"] for g in rows_k]),
                "aUCL.95": r_mean([g["ucl.95"] for g in rows_k]),
                "aUCL": r_mean([g["ucl"] for g in rows_k]),
                "sigma.signal": sum(g["sigma.signal"] for g in rows_k),
            }
        )
    return pd.DataFrame(groups), pd.DataFrame(summaries)


# The golden cases this module makes, and how (the arguments are qic()'s, as R text).

OUTPUT_COLUMNS = [
    "x",
    "y.sum",
    "y.length",
    "y.mean",
    "y.sd",
    "n",
    "y",
    "cl",
    "target",
    "part",
    "xx",
    "baseline",
    "include",
    "lcl",
    "lcl.95",
    "ucl",
    "ucl.95",
    "n.obs",
    "n.useful",
    "runs.signal",
    "longest.run",
    "longest.run.max",
    "n.crossings",
    "n.crossings.min",
    "sigma.signal",
]
SUMMARY_COLUMNS = [
    "part",
    "n.obs",
    "n.useful",
    "longest.run",
    "longest.run.max",
    "n.crossings",
    "n.crossings.min",
    "runs.signal",
    "aLCL",
    "aLCL.95",
    "CL",
    "aUCL.95",
    "aUCL",
    "sigma.signal",
]


def arguments(text: str) -> dict:
    """qic() arguments as R text (``chart = 'i'; cl = 2``) -> keyword arguments of
    :func:`qic`. Anything else is an error, so no case passes by ignoring one."""
    out: dict = {}
    for item in text.split(";"):
        name, _, value = (s.strip() for s in item.partition("="))
        if value.startswith("<input column"):
            out[{"cl": "cl", "part": "part"}[name]] = value.split("'")[1]
        elif name == "chart":
            out["chart"] = value.strip("'")
        elif name == "agg.fun":
            out["agg"] = value.strip("'")
        elif name in ("part", "exclude"):
            out[name] = [int(v) for v in value.split(",")]
        elif name == "freeze":
            out["freeze"] = int(value)
        elif name in ("multiply", "target", "cl"):
            out[name] = float(value)
        elif name == "y.neg":
            out["y_neg"] = {"TRUE": True, "FALSE": False}[value]
        elif name == "qic.screenedmr":  # an option: options(qic.screenedmr = ...)
            out["screenedmr"] = {"TRUE": True, "FALSE": False}[value]
        else:
            raise ValueError(f"argument {name!r} is not handled")
    return out


def write(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    """As R's write.csv: NA for missing, TRUE/FALSE, numbers in full."""
    out = frame[columns].copy()
    for name in columns:
        col = out[name]
        if col.dtype == bool:
            out[name] = col.map({True: "TRUE", False: "FALSE"})
        else:
            out[name] = col.map(_cell)
    out.to_csv(path, index=False, quoting=1)


def _cell(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if missing(v):
        return "NA"
    if isinstance(v, float) and v == int(v) and abs(v) < 2**53:
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def derive(folder: Path, case: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(
        folder / f"{case['case']}_input.csv", keep_default_na=False, na_values=["NA"]
    )
    return qic(data, **arguments(case["args"]))


def main() -> None:
    folder = Path(__file__).parent / "cases" / "qicharts"
    cases = pd.read_csv(folder / "cases.csv", dtype=str).to_dict("records")
    for case in cases:
        if not case["case"].endswith("_DERIVED"):
            continue
        points, summary = derive(folder, case)
        write(points, folder / f"{case['case']}_output.csv", OUTPUT_COLUMNS)
        write(summary, folder / f"{case['case']}_summary.csv", SUMMARY_COLUMNS)
        print(case["case"], len(points), "rows")


if __name__ == "__main__":
    main()
