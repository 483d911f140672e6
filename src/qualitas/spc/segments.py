"""Segments and the run-length arithmetic every rule is built from.

A segment is the rows of one series between two rebase dates. The kernels never loop over
segments: they work on flat arrays in which each segment is a contiguous block, described
by the index of its first row.
"""

from __future__ import annotations

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

    def total(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` per segment."""
        return np.bincount(self.id, weights=values, minlength=self.count)

    def mean(self, values: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Mean of ``values[keep]`` per segment (NaN where nothing is kept).

        A second pass adds the mean residual, as R's ``mean()`` does, so results agree
        with the reference packages to the last bits rather than to 1e-13.
        """
        kept = np.where(keep, values, 0.0)
        n = np.bincount(self.id, weights=keep.astype(np.float64), minlength=self.count)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.total(kept) / n
            residual = np.where(keep, values - mean[self.id], 0.0)
            return mean + self.total(residual) / n


def build(series_start: np.ndarray, rebase: np.ndarray) -> Segments:
    """Segments from series boundaries and a per-row flag 'a new segment starts here'.

    ``series_start`` is the first row of each series plus the number of rows. The
    segment number counts rebase rows at or before each row within its series, so it
    is 1 on the first row when that row is itself a rebase date (as in
    NHSRplotthedots).
    """
    n = int(series_start[-1])
    new_series = np.zeros(n, dtype=bool)
    new_series[series_start[:-1]] = True
    starts_here = new_series | rebase
    start = np.r_[np.flatnonzero(starts_here), n].astype(np.int64)
    seg_id = np.cumsum(starts_here, dtype=np.int64) - 1
    pos = np.arange(n, dtype=np.int64) - start[:-1][seg_id]
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


def covered_by_window(ends: np.ndarray, width: int) -> np.ndarray:
    """Rows that belong to a window of ``width`` rows ending at a row where ``ends``
    is set: row j is covered when some end k satisfies j <= k <= j + width - 1.

    Windows only end where a full window fits inside the segment, so a covered row is
    always in the same segment as its window's end.
    """
    n = len(ends)
    idx = np.arange(n, dtype=np.int64)
    # Nearest end at or after each row, found by a reverse running minimum.
    big = np.int64(n + width)
    next_end = np.minimum.accumulate(np.where(ends, idx, big)[::-1])[::-1]
    return (next_end - idx) <= (width - 1)
