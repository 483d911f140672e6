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


def exact_sums(
    values: np.ndarray, groups: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """The sum of the non-missing ``values`` of each group, as an exact part and a
    tiny remainder: together they are the sum to far beyond double precision.

    R sums in extended precision; plain double sums can be one unit in the last
    place off, which decides whether a point lies exactly on the centre line. Each
    value is split at a power of two above its group's total size (Rump's
    extraction): the high parts are multiples of that power's unit and add up
    exactly; the low parts are tiny, so their rounding errors are far below the
    last place of the sum. (Only values some 2**80 times smaller than the sum,
    tipping an exact tie between two doubles, could be lost.)
    """
    missing = np.isnan(values)
    x = np.where(missing, 0.0, values) if missing.any() else values.copy()
    size = np.bincount(groups, weights=np.abs(x), minlength=count)
    scale = np.ldexp(1.0, np.frexp(size)[1] + 1)[groups]
    high = scale + x
    high -= scale
    x -= high  # now the low parts
    return (
        np.bincount(groups, weights=high, minlength=count),
        np.bincount(groups, weights=x, minlength=count),
    )


def grouped_sum(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Sum of the non-missing ``values`` in each group (0 if none), like R's
    ``sum(na.rm = TRUE)``, correctly rounded.

    >>> groups = np.zeros(4, dtype=np.int64)
    >>> float(grouped_sum(np.array([0.1, 0.2, 0.3, np.nan]), groups, 1)[0])
    0.6
    """
    exact, rest = exact_sums(values, groups, count)
    total: np.ndarray = exact + rest
    return total


def grouped_mean(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Mean of the non-missing ``values`` in each of ``count`` groups (NaN if none),
    correctly rounded as R's extended-precision ``mean()`` is, so that a point lying
    exactly on the centre line in R lies exactly on it here too.

    >>> grouped_mean(np.array([1.0, 2.0, np.nan, 5.0]), np.array([0, 0, 0, 2]), 3)
    array([1.5, nan, 5. ])
    >>> groups = np.zeros(3, dtype=np.int64)
    >>> float(grouped_mean(np.array([0.0, -1.0, 11.0]), groups, 1)[0]) == 10 / 3
    True
    """
    n = np.bincount(groups, weights=~np.isnan(values), minlength=count)
    return quotient(*exact_sums(values, groups, count), n)


def grouped_variance(
    values: np.ndarray,
    mean: np.ndarray,
    groups: np.ndarray,
    count: int,
    n: np.ndarray,
) -> np.ndarray:
    """Sample variance of the non-missing ``values`` per group, given each row's
    group ``mean`` and each group's count ``n``; NaN with fewer than two values.

    Each squared deviation is split without rounding (the deviation by Knuth's
    two-sum, its square from Dekker's halves), so the variance is correctly
    rounded as R's extended-precision ``var()`` is in practice.

    >>> x, groups = np.array([1.0, 2.0, 4.0]), np.zeros(3, dtype=np.int64)
    >>> v = grouped_variance(x, np.full(3, 7 / 3), groups, 1, np.array([3.0]))
    >>> float(v[0]) == 7 / 3
    True
    """
    missing = np.isnan(values)
    if missing.any():
        x, m = np.where(missing, 0.0, values), np.where(missing, 0.0, mean)
    else:
        x, m = values, mean
    # Knuth's two-sum: x - m == d + error exactly. (In place: these arrays are
    # the size of the data.)
    d = x - m
    back = d - x
    error = d - back
    np.subtract(x, error, out=error)
    back += m
    error -= back
    # Dekker's halves of d: upper has 26 bits, so upper**2 is exact.
    upper = d * _SPLITTER
    np.subtract(upper, np.subtract(upper, d, out=back), out=upper)
    lower = np.subtract(d, upper, out=back)
    # (d + error)**2 = upper**2 + 2 upper lower + lower**2 + 2 d error + error**2:
    # the first term carries all but the last 26 bits and is summed exactly; the
    # others are small enough for an ordinary sum.
    error *= d
    error *= 2
    small = upper * lower
    small *= 2
    error += small
    np.multiply(lower, lower, out=small)
    small += error
    np.multiply(upper, upper, out=upper)
    exact, rest = exact_sums(upper, groups, count)
    rest += np.bincount(groups, weights=small, minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1, quotient(exact, rest, n - 1), np.nan)


_SPLITTER = 134217729.0  # 2**27 + 1: splits a double into two halves of 26 bits


def quotient(exact: np.ndarray, rest: np.ndarray, n: np.ndarray) -> np.ndarray:
    """(exact + rest) / n rounded once: the quotient of the exact part, corrected
    by the remainder. ``exact - quotient * n`` is formed without rounding by
    splitting the quotient into two halves of 26 bits (Dekker), whose products with
    a count below 2**26 are exact."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        q = exact / n
        c = _SPLITTER * q
        upper = c - (c - q)
        lower = q - upper
        remainder = ((exact - upper * n) - lower * n) + rest
        out: np.ndarray = q + remainder / n
    return out


def segment_mean(values: np.ndarray, keep: np.ndarray, seg: Segments) -> np.ndarray:
    """Mean of ``values[keep]`` per segment, ignoring missing values (NaN if none)."""
    return grouped_mean(np.where(keep, values, np.nan), seg.id, seg.count)


def segment_median(values: np.ndarray, keep: np.ndarray, seg: Segments) -> np.ndarray:
    """Median of ``values[keep]`` per segment, ignoring missing values (NaN if none).

    The kept values are sorted within segments (as rows of a padded matrix when
    that is compact, which is much faster than one sort by segment and value), and
    the middle one or two of each segment are read off by position.
    """
    keep = keep & ~np.isnan(values)
    rows = np.flatnonzero(keep)
    sid = seg.id[rows]
    count = np.bincount(sid, minlength=seg.count)
    has = count > 0
    lo = np.maximum(count - 1, 0) // 2
    hi = count // 2
    out = np.full(seg.count, np.nan)
    if not len(rows):
        return out
    width = int(count.max())
    if seg.count * width <= 2 * len(rows) + 1024:
        # Padded matrix: one row per segment, padded with +inf (sorted last).
        first = np.zeros(seg.count, dtype=np.int64)
        np.cumsum(count[:-1], out=first[1:])
        matrix = np.full((seg.count, width), np.inf)
        matrix[sid, np.arange(len(rows)) - first[sid]] = values[rows]
        matrix.sort(axis=1)
        idx = np.flatnonzero(has)
        out[has] = (matrix[idx, lo[has]] + matrix[idx, hi[has]]) / 2.0
        return out
    v = values[rows]
    if not _sorted_within(v, sid):
        v = v[np.lexsort((v, sid))]
    first = np.zeros(seg.count, dtype=np.int64)
    np.cumsum(count[:-1], out=first[1:])
    out[has] = (v[(first + lo)[has]] + v[(first + hi)[has]]) / 2.0
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
