"""Per-segment statistics over flat arrays: means, medians and moving ranges.

Every function here works on all segments at once. Segments are contiguous blocks of
rows (see :mod:`qualitas.spc.segments`); values that do not take part are masked out
rather than removed, so results stay aligned with the segments.
"""

from __future__ import annotations

import numpy as np

from qualitas.spc.segments import Segments

# Nelson (1982): moving ranges at or above 3.267 x their mean are dropped.
SCREEN_FACTOR = 3.267
D2 = 1.128  # mean moving range of two normal values, in standard deviations


def _split_sum(
    values: np.ndarray, groups: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """The sum of each group as an exact part and a tiny remainder.

    R sums in extended precision; plain double sums can be one unit in the last
    place off, which decides whether a point lies on the centre line. Each value is
    split at a power of two above its group's total size (Rump's extraction): the
    high parts are multiples of that power's unit and add up exactly; the low parts
    are tiny, so their rounding errors are far below the last place of the sum.
    Missing values count as zero.
    """
    x = np.where(np.isnan(values), 0.0, values)
    size = np.bincount(groups, weights=np.abs(x), minlength=count)
    exponent = np.frexp(size)[1]
    sigma = np.ldexp(1.0, exponent + 1)[groups]
    high = (sigma + x) - sigma
    low = x - high
    return (
        np.bincount(groups, weights=high, minlength=count),
        np.bincount(groups, weights=low, minlength=count),
    )


def grouped_sum(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Sum of the non-missing ``values`` in each group (0 if none), like R's
    ``sum(na.rm = TRUE)``, correctly rounded.

    >>> float(grouped_sum(np.array([0.1, 0.2, 0.3, np.nan]), np.zeros(4, dtype=np.int64), 1)[0])
    0.6
    """
    exact, rest = _split_sum(values, groups, count)
    total: np.ndarray = exact + rest
    return total


def grouped_mean(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Mean of the non-missing ``values`` in each of ``count`` groups (NaN if none),
    correctly rounded as R's extended-precision ``mean()`` is, so that a point lying
    exactly on the centre line in R lies exactly on it here too.

    >>> grouped_mean(np.array([1.0, 2.0, np.nan, 5.0]), np.array([0, 0, 0, 2]), 3)
    array([1.5, nan, 5. ])
    >>> float(grouped_mean(np.array([0.0, -1.0, 11.0]), np.zeros(3, dtype=np.int64), 1)[0]) == 10 / 3
    True
    """
    n = np.bincount(groups, weights=~np.isnan(values), minlength=count)
    exact, rest = _split_sum(values, groups, count)
    return _divided(exact, rest, n)


def grouped_variance(
    values: np.ndarray, mean: np.ndarray, groups: np.ndarray, count: int
) -> np.ndarray:
    """Sample variance (n - 1 denominator) of the non-missing ``values`` per group,
    given each row's group ``mean``; NaN with fewer than two values.

    Each squared deviation is formed without rounding (the deviation by Knuth's
    two-sum, its square from Dekker's halves), so the variance is correctly
    rounded as R's extended-precision ``var()`` is in practice.

    >>> float(grouped_variance(np.array([1.0, 2.0, 4.0]), np.full(3, 7 / 3), np.zeros(3, dtype=np.int64), 1)[0]) == 7 / 3
    True
    """
    keep = ~np.isnan(values)
    x = np.where(keep, values, 0.0)
    m = np.where(keep, mean, 0.0)
    d = x - m
    back = d - x
    error = (x - (d - back)) - (m + back)  # x - m == d + error exactly
    c = _SPLITTER * d
    upper = c - (c - d)
    lower = d - upper
    # (d + error)**2 = upper**2 + 2 upper lower + lower**2 + 2 d error + error**2;
    # the first three are exact, the last two far below the last place.
    pieces = np.concatenate(
        [upper * upper, 2 * upper * lower, lower * lower, 2 * d * error]
    )
    exact, rest = _split_sum(pieces, np.tile(groups, 4), count)
    n = np.bincount(groups, weights=keep, minlength=count) - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, _divided(exact, rest, n), np.nan)


_SPLITTER = 134217729.0  # 2**27 + 1: splits a double into two halves of 26 bits


def _divided(exact: np.ndarray, rest: np.ndarray, n: np.ndarray) -> np.ndarray:
    """(exact + rest) / n rounded once: the quotient of the exact part, corrected
    by the remainder. ``exact - quotient * n`` is formed without rounding by
    splitting the quotient into two halves of 26 bits (Dekker), whose products with
    a count below 2**26 are exact."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        quotient = exact / n
        c = _SPLITTER * quotient
        upper = c - (c - quotient)
        lower = quotient - upper
        remainder = ((exact - upper * n) - lower * n) + rest
        out: np.ndarray = quotient + remainder / n
    return out


def segment_mean(values: np.ndarray, keep: np.ndarray, seg: Segments) -> np.ndarray:
    """Mean of ``values[keep]`` per segment, ignoring missing values (NaN if none)."""
    return grouped_mean(np.where(keep, values, np.nan), seg.id, seg.count)


def segment_median(values: np.ndarray, keep: np.ndarray, seg: Segments) -> np.ndarray:
    """Median of ``values[keep]`` per segment, ignoring missing values (NaN if none).

    One sort of the kept values by (segment, value); the middle one or two of each
    block are then read off by position.
    """
    keep = keep & ~np.isnan(values)
    rows = np.flatnonzero(keep)
    v = values[rows]
    sid = seg.id[rows]
    if not _sorted_within(v, sid):
        order = np.lexsort((v, sid))
        v = v[order]
    count = np.bincount(sid, minlength=seg.count)
    first = np.zeros(seg.count, dtype=np.int64)
    np.cumsum(count[:-1], out=first[1:])
    has = count > 0
    lo = first + np.maximum(count - 1, 0) // 2
    hi = first + count // 2
    out = np.full(seg.count, np.nan)
    out[has] = (v[lo[has]] + v[hi[has]]) / 2.0
    return out


def _sorted_within(v: np.ndarray, sid: np.ndarray) -> bool:
    """True when values already ascend within each segment (nothing to sort)."""
    if len(v) < 2:
        return True
    same = sid[1:] == sid[:-1]
    return bool((v[1:][same] >= v[:-1][same]).all())


def moving_ranges(
    values: np.ndarray, keep: np.ndarray, seg: Segments
) -> tuple[np.ndarray, np.ndarray]:
    """Absolute differences between consecutive kept rows of the same segment.

    Rows that are not kept are removed before differencing, so the two neighbours
    of a removed row form one moving range. A missing value makes the moving ranges
    it touches missing. Returns the moving ranges and the segment of each.
    """
    rows = np.flatnonzero(keep)
    v = values[rows]
    sid = seg.id[rows]
    same = sid[1:] == sid[:-1]
    mr = np.abs(v[1:] - v[:-1])[same]
    return mr, sid[1:][same]


def average_moving_range(
    values: np.ndarray, keep: np.ndarray, seg: Segments, *, screen: bool
) -> np.ndarray:
    """Mean moving range per segment over the kept rows, optionally screened.

    Screening (Nelson 1982) drops moving ranges that are not strictly below 3.267
    times the mean, then takes the mean again: one pass only.
    """
    mr, sid = moving_ranges(values, keep, seg)
    amr = grouped_mean(mr, sid, seg.count)
    if screen:
        with np.errstate(invalid="ignore"):
            screened = np.where(mr < SCREEN_FACTOR * amr[sid], mr, np.nan)
        amr = grouped_mean(screened, sid, seg.count)
    return amr
