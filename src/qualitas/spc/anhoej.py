"""Anhøj's run chart rules: unusually long runs and unusually few crossings.

Anhøj & Olesen (2014), PLoS ONE 9(11):e113825, as implemented by qicharts2 0.8.1
(docs/methods/qicharts.md). Points exactly on the centre line and missing values are
left out; a run is a sequence of points on the same side of the centre line. A phase
signals non-random variation when its longest run is longer than
``round(log2(n)) + 3`` or it crosses the centre line fewer times than the 5th
percentile of Binomial(n - 1, 1/2), n being the number of useful points.

>>> longest, crossings = critical_values(np.array([10, 24, 100]))
>>> longest.tolist(), crossings.tolist()
([6, 8, 10], [2, 8, 41])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from qualitas.spc.segments import Segments

# Critical values for n useful points are computed once per distinct n; this cache
# holds the table up to the largest n seen so far.
_TABLE: dict[str, np.ndarray] = {
    "longest": np.zeros(1, dtype=np.int64),
    "crossings": np.zeros(1, dtype=np.int64),
}


def critical_values(n_useful: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longest-run maximum and crossings minimum for each number of useful points.

    Values for n < 1 are meaningless (callers mask them).
    """
    n = np.asarray(n_useful, dtype=np.int64)
    top = int(n.max()) if len(n) else 0
    if top >= len(_TABLE["longest"]):
        size = np.arange(max(top + 1, 2 * len(_TABLE["longest"])), dtype=np.int64)
        with np.errstate(divide="ignore"):
            longest = np.round(np.log2(np.maximum(size, 1))).astype(np.int64) + 3
        crossings = binom.ppf(0.05, np.maximum(size - 1, 0), 0.5).astype(np.int64)
        _TABLE["longest"] = longest
        _TABLE["crossings"] = crossings
    index = np.clip(n, 0, None)
    return _TABLE["longest"][index], _TABLE["crossings"][index]


@dataclass(frozen=True)
class Runs:
    """Runs analysis per segment; ``has_useful`` is False where a segment has no
    useful point, and the four statistics are then meaningless (reported missing)."""

    n_obs: np.ndarray
    n_useful: np.ndarray
    longest_run: np.ndarray
    longest_run_max: np.ndarray
    n_crossings: np.ndarray
    n_crossings_min: np.ndarray
    signal: np.ndarray

    @property
    def has_useful(self) -> np.ndarray:
        return self.n_useful > 0


def analyse(y: np.ndarray, cl: np.ndarray, include: np.ndarray, seg: Segments) -> Runs:
    """Anhøj runs analysis of every segment at once.

    ``y`` and ``cl`` are per row; only rows with ``include`` take part. ``n_obs``
    counts included rows (missing values too); useful points are those off the
    centre line.
    """
    count = seg.count
    with np.errstate(invalid="ignore"):
        side = np.sign(y - cl)
    useful = include & ((side == 1) | (side == -1))
    rows = np.flatnonzero(useful)
    s = side[rows]
    sid = seg.id[rows]
    n_obs = np.bincount(seg.id, weights=include, minlength=count).astype(np.int64)
    n_useful = np.bincount(sid, minlength=count).astype(np.int64)

    # A run starts at each useful point whose side or segment differs from the
    # previous useful point's.
    starts_run = np.ones(len(rows), dtype=bool)
    starts_run[1:] = (sid[1:] != sid[:-1]) | (s[1:] != s[:-1])
    run_first = np.flatnonzero(starts_run)
    run_length = np.diff(np.r_[run_first, len(rows)])
    run_seg = sid[run_first]
    n_runs = np.bincount(run_seg, minlength=count).astype(np.int64)

    longest = np.zeros(count, dtype=np.int64)
    has = n_useful > 0
    if len(run_first):
        # Runs are in segment order, so each segment's runs form one block.
        block_start = np.flatnonzero(np.r_[True, run_seg[1:] != run_seg[:-1]])
        longest[run_seg[block_start]] = np.maximum.reduceat(run_length, block_start)
    crossings = np.maximum(n_runs - 1, 0)
    longest_max, crossings_min = critical_values(n_useful)
    signal = has & ((longest > longest_max) | (crossings < crossings_min))
    return Runs(
        n_obs=n_obs,
        n_useful=n_useful,
        longest_run=longest,
        longest_run_max=longest_max,
        n_crossings=crossings,
        n_crossings_min=crossings_min,
        signal=signal,
    )
