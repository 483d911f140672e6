"""From observations to subgroups: one point per series and period.

Charts other than XmR accept several rows per period (the observations of an Xbar/S
subgroup, or the wards of a hospital in a month). They are combined into one subgroup
per series and period exactly as qicharts2 0.8.1 does (docs/methods/qicharts.md):
the sum, count, mean and standard deviation of the values, the sum of the
denominators, and the plotted value (numerators over denominators when there are
denominators, otherwise the mean).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from qualitas.errors import QualitasError
from qualitas.spc.reductions import exact_sums, grouped_sum, grouped_variance, quotient
from qualitas.spc.table import SeriesTable

AGGREGATES = ("mean", "median", "sum", "sd")


def check_aggregate(how: object) -> None:
    if not isinstance(how, str) or how not in AGGREGATES:
        raise QualitasError(
            f"aggregate must be one of {', '.join(map(repr, AGGREGATES))}, not {how!r}"
        )


@dataclass(frozen=True)
class Subgroups:
    """One row per series and period, sorted as the observations were.

    ``table`` is the subgroup-level :class:`SeriesTable` (its ``order`` names the
    first input row of each subgroup); ``first_row`` the first sorted observation of
    each subgroup. ``total`` is missing only for a subgroup of one missing value,
    as in qicharts2.
    """

    table: SeriesTable
    first_row: np.ndarray
    total: np.ndarray
    observations: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    denominator: np.ndarray  # NaN when the chart has no denominator
    value: np.ndarray  # the plotted value before any chart transformation


def aggregate(
    table: SeriesTable, *, value: str, denominator: str | None, aggregate: str = "mean"
) -> Subgroups:
    """Combine the sorted observations of ``table`` into subgroups."""
    check_aggregate(aggregate)
    y = table.values[value]
    n = table.values[denominator] if denominator else None
    if n is not None:
        # Complete cases only: a value without its denominator (or the reverse)
        # counts as missing, as in qicharts2.
        pair_missing = np.isnan(y) | np.isnan(n)
        if pair_missing.any():
            y = np.where(pair_missing, np.nan, y)
            n = np.where(pair_missing, np.nan, n)

    rows = table.n_rows
    new = np.ones(rows, dtype=bool)
    new[1:] = (table.series_code[1:] != table.series_code[:-1]) | (
        table.period_key[1:] != table.period_key[:-1]
    )
    if new.all():
        return _one_per_period(table, y, n, aggregate)

    first = np.flatnonzero(new)
    gid = np.cumsum(new, dtype=np.int64) - 1
    count = len(first)
    counted = np.bincount(gid, weights=~np.isnan(y), minlength=count)
    observations = counted.astype(np.int64)
    size = np.diff(np.r_[first, rows])
    exact, rest = exact_sums(y, gid, count)
    summed = exact + rest  # missing values left out
    total = summed.copy()
    # A lone missing value keeps its subgroup's total missing (qicharts2 issue #35).
    total[(size == 1) & (observations == 0)] = np.nan
    mean = quotient(exact, rest, counted)
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(grouped_variance(y, mean[gid], gid, count, counted))
    if n is not None:
        denominators = grouped_sum(n, gid, count)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            plotted = summed / denominators
    else:
        denominators = np.full(count, np.nan)
        plotted = _aggregate(
            aggregate,
            y,
            gid,
            count,
            mean=mean,
            sd=sd,
            summed=summed,
            observations=observations,
        )

    sub_table = _subgroup_table(table, first, plotted)
    return Subgroups(
        table=sub_table,
        first_row=first,
        total=total,
        observations=observations,
        mean=mean,
        sd=sd,
        denominator=denominators,
        value=plotted,
    )


def _one_per_period(
    table: SeriesTable, y: np.ndarray, n: np.ndarray | None, aggregate: str
) -> Subgroups:
    """The common case, with no arithmetic: every subgroup is one observation."""
    present = ~np.isnan(y)
    if n is not None:
        # A missing pair gives 0/0 as in qicharts2: the point is missing.
        denominators = np.where(np.isnan(n), 0.0, n)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            plotted = np.where(present, y, 0.0) / denominators
    else:
        denominators = np.full(len(y), np.nan)
        # The mean, median or sum of one value is the value; its sd is missing.
        plotted = np.full(len(y), np.nan) if aggregate == "sd" else y
    return Subgroups(
        table=replace(table, values={"value": plotted}),
        first_row=np.arange(table.n_rows, dtype=np.int64),
        # Separate copies: these become separate columns of the result.
        total=y.copy(),
        observations=present.astype(np.int64),
        mean=y.copy(),
        sd=np.full(len(y), np.nan),
        denominator=denominators,
        value=plotted,
    )


def _aggregate(
    how: str,
    y: np.ndarray,
    gid: np.ndarray,
    count: int,
    *,
    mean: np.ndarray,
    sd: np.ndarray,
    summed: np.ndarray,
    observations: np.ndarray,
) -> np.ndarray:
    if how == "mean":
        return mean
    if how == "sd":
        return sd
    if how == "sum":
        # A period with no value is missing, not zero (qicharts2 would plot 0).
        return np.where(observations > 0, summed, np.nan)
    # Median: sort values within subgroups, read off the middle one or two.
    keep = ~np.isnan(y)
    rows = np.flatnonzero(keep)
    order = np.lexsort((y[rows], gid[rows]))
    v = y[rows][order]
    start = np.zeros(count, dtype=np.int64)
    np.cumsum(observations[:-1], out=start[1:])
    has = observations > 0
    out = np.full(count, np.nan)
    lo = start + np.maximum(observations - 1, 0) // 2
    hi = start + observations // 2
    out[has] = (v[lo[has]] + v[hi[has]]) / 2.0
    return out


def _subgroup_table(
    table: SeriesTable, first: np.ndarray, plotted: np.ndarray
) -> SeriesTable:
    """The subgroup-level table: one row per first observation of a subgroup."""
    series_code = table.series_code[first]
    n = len(first)
    starts = (
        np.flatnonzero(np.r_[True, series_code[1:] != series_code[:-1]])
        if n
        else np.array([], dtype=np.int64)
    )
    return SeriesTable(
        by=table.by,
        keys=table.keys,
        order=table.order[first],
        series_code=series_code,
        series_start=np.r_[starts, n].astype(np.int64),
        period=table.period.take(first).reset_index(drop=True),
        period_key=table.period_key[first],
        values={"value": plotted},
    )
