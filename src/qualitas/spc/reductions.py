"""Per-segment statistics over flat arrays: means, medians and moving ranges.

Every function here works on all segments at once. Segments are contiguous blocks of
rows (see :mod:`qualitas.spc.segments`); values that do not take part are masked out
rather than removed, so results stay aligned with the segments.
"""

from __future__ import annotations

import numpy as np

from qualitas.spc.segments import Segments

SCREEN_FACTOR = (
    3.267  # Nelson (1982): moving ranges at or above 3.267 x mean are dropped
)
D2 = 1.128  # mean moving range of two normal values, in standard deviations


def grouped_mean(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Mean of the non-missing ``values`` in each of ``count`` groups (NaN if none).

    A second pass adds the mean residual, as R's ``mean()`` does, so results agree
    with the reference packages to the last bits.

    >>> grouped_mean(np.array([1.0, 2.0, np.nan, 5.0]), np.array([0, 0, 0, 2]), 3)
    array([1.5, nan, 5. ])
    """
    keep = ~np.isnan(values)
    kept = np.where(keep, values, 0.0)
    n = np.bincount(groups, weights=keep.astype(np.float64), minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(groups, weights=kept, minlength=count) / n
        residual = np.where(keep, values - mean[groups], 0.0)
        return mean + np.bincount(groups, weights=residual, minlength=count) / n


def grouped_sum(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Sum of the non-missing ``values`` in each group (0 if none), like R's
    ``sum(na.rm = TRUE)``."""
    return np.bincount(
        groups, weights=np.where(np.isnan(values), 0.0, values), minlength=count
    )


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
