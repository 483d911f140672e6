"""Segments and the run-length arithmetic every rule is built from.

A segment is the rows of one series between two rebase dates. The kernels never loop over
segments: they work on flat arrays in which each segment is a contiguous block, described
by the index of its first row.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Segments:
    """Contiguous blocks of rows.

    ``start`` holds the first row of each segment and, last, the number of rows, so
    segment ``g`` covers rows ``start[g]:start[g + 1]``.
    """

    start: np.ndarray
    id: np.ndarray  # segment of each row
    pos: np.ndarray  # position of each row within its segment, from 0
    number: np.ndarray  # per row: rebases so far within the series (0, 1, ...)

    @property
    def count(self) -> int:
        return len(self.start) - 1

    @property
    def length(self) -> np.ndarray:
        return np.diff(self.start)

    @property
    def last(self) -> np.ndarray:
        """Index of each segment's last row."""
        return self.start[1:] - 1

    def block(self, first: int, stop: int) -> tuple[Segments, slice]:
        """Segments ``first`` to ``stop - 1`` as a stand-alone set, and the slice of
        rows they cover."""
        rows = slice(int(self.start[first]), int(self.start[stop]))
        return (
            Segments(
                start=self.start[first : stop + 1] - self.start[first],
                id=self.id[rows] - first,
                pos=self.pos[rows],
                number=self.number[rows],
            ),
            rows,
        )

    def spread(self, values: np.ndarray) -> np.ndarray:
        """Per-segment ``values`` on every row of their segment."""
        spread: np.ndarray = values[self.id]
        return spread

    def count_true(self, flag: np.ndarray) -> np.ndarray:
        """How many rows of each segment have ``flag`` set."""
        if self.count == 0:
            return np.zeros(0, dtype=np.int64)
        counts: np.ndarray = np.add.reduceat(flag.astype(np.int64), self.start[:-1])
        return counts

    def total(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` per segment.

        ``add.reduceat`` over contiguous blocks is some 30 times faster than
        ``bincount``; its summation order depends only on each block's values.
        """
        if self.count == 0:
            return np.zeros(0)
        sums: np.ndarray = np.add.reduceat(
            np.asarray(values, dtype=np.float64), self.start[:-1]
        )
        return sums

    def mean(self, values: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Mean of ``values[keep]`` per segment (NaN where nothing is kept).

        A second pass adds the mean residual, as R's ``mean()`` does, so results agree
        with the reference packages to the last bits rather than to 1e-13.
        """
        kept = np.where(keep, values, 0.0)
        n = self.total(keep)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean: np.ndarray = self.total(kept) / n
            residual = np.where(keep, values - self.spread(mean), 0.0)
            mean += self.total(residual) / n
        return mean


def split(seg: Segments, series_start: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Cut the segments into about ``parts`` blocks of similar size, each made of whole
    series, as (first segment, stop segment) pairs."""
    n = int(series_start[-1])
    if parts <= 1 or len(series_start) <= 2:
        return [(0, seg.count)]
    wanted = np.linspace(0, n, parts + 1)[1:-1]
    cuts = np.unique(series_start[np.searchsorted(series_start, wanted)])
    cuts = cuts[(cuts > 0) & (cuts < n)]
    bounds = [0, *seg.id[cuts].tolist(), seg.count]
    return list(itertools.pairwise(bounds))


def build(series_start: np.ndarray, rebase: np.ndarray) -> Segments:
    """Segments from series boundaries and a per-row flag 'a new segment starts here'.

    ``series_start`` is the first row of each series plus the number of rows. The
    segment number counts rebase rows at or before each row within its series, so it
    is 1 on the first row when that row is itself a rebase date (as in
    NHSRplotthedots).
    """
    n = int(series_start[-1])
    if not rebase.any():
        # One segment per series: the common case, built without any running sums.
        start = np.asarray(series_start, dtype=np.int64)
        length = np.diff(start)
        seg_id = np.repeat(np.arange(len(length), dtype=np.int64), length)
        pos = np.arange(n, dtype=np.int64) - np.repeat(start[:-1], length)
        return Segments(
            start=start, id=seg_id, pos=pos, number=np.zeros(n, dtype=np.int64)
        )
    new_series = np.zeros(n, dtype=bool)
    new_series[series_start[:-1]] = True
    starts_here = new_series | rebase
    start = np.r_[np.flatnonzero(starts_here), n].astype(np.int64)
    seg_id = np.cumsum(starts_here, dtype=np.int64) - 1
    pos = np.arange(n, dtype=np.int64) - np.repeat(start[:-1], np.diff(start))
    cum = np.cumsum(rebase, dtype=np.int64)
    series_id = np.cumsum(new_series, dtype=np.int64) - 1
    before = cum[series_start[:-1]] - rebase[series_start[:-1]]
    number = cum - before[series_id]
    return Segments(start=start, id=seg_id, pos=pos, number=number)


def run_length(flag: np.ndarray) -> np.ndarray:
    """For each row, how many consecutive rows ending here have ``flag`` set.

    Callers clear the flag on the first row of each segment (or make it depend on the
    previous row of the same segment) so that runs never cross a boundary.
    """
    idx = np.arange(len(flag), dtype=np.int64)
    last_unset = np.maximum.accumulate(np.where(flag, -1, idx))
    return idx - last_unset


def window_all(flag: np.ndarray, width: int) -> np.ndarray:
    """Rows that end a run of at least ``width`` consecutive rows with ``flag`` set.

    A sliding count from one cumulative sum: cheaper than run lengths when only "at
    least ``width``" matters. As with :func:`run_length`, callers keep flags clear on
    each segment's first row so that runs never cross a boundary.
    """
    n = len(flag)
    out = np.zeros(n, dtype=bool)
    if 0 < width <= n:
        count = np.cumsum(flag, dtype=_count_type(n))
        out[width - 1] = count[width - 1] == width
        out[width:] = (count[width:] - count[:-width]) == width
    return out


def covered_by_window(ends: np.ndarray, width: int) -> np.ndarray:
    """Rows that belong to a window of ``width`` rows ending at a row where ``ends``
    is set: row j is covered when some end k satisfies j <= k <= j + width - 1.

    Windows only end where a full window fits inside the segment, so a covered row is
    always in the same segment as its window's end.
    """
    n = len(ends)
    count = np.cumsum(ends, dtype=_count_type(n))
    # Ends at or before row j + width - 1, minus ends before row j.
    upto = np.empty(n, dtype=count.dtype)
    reach = max(n - width + 1, 0)
    upto[:reach] = count[width - 1 :]
    upto[reach:] = count[-1] if n else 0
    before = np.zeros(n, dtype=count.dtype)
    before[1:] = count[:-1]
    return upto > before


def _count_type(n: int) -> type[np.signedinteger]:
    # Half the memory traffic of int64 for the common case.
    return np.int32 if n < 2**31 else np.int64
