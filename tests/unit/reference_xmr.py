"""A small, obviously-correct XmR implementation: one series, one segment, plain loops.

It follows docs/methods/xmr.md sentence by sentence and exists only so that property
tests can check the vectorised kernel against it. Speed does not matter here.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

LABELS_UP = {"above_upl", "trend_up", "two_of_three_high", "shift_high"}


def r_mean(xs: list[float | None]) -> float:
    """Mean of the values that are not None, as R computes it: sum / n, then add the
    mean residual.

    Sums use NumPy's ``add.reduceat`` over the whole list with None as 0, which is the
    kernel's summation order, so that a point exactly on a limit is decided the same
    way by both; the arithmetic is still plainly a sum.
    """
    kept = [x for x in xs if x is not None]
    if not kept:
        return math.nan

    def total(values: list[float]) -> float:
        return float(np.add.reduceat(np.asarray(values, dtype=np.float64), [0])[0])

    m = total([0.0 if x is None else x for x in xs]) / len(kept)
    return m + total([0.0 if x is None else x - m for x in xs]) / len(kept)


def segment(
    values,
    *,
    fix_after=None,
    screen=True,
    shift=7,
    trend=7,
    two_of_three=True,
    beyond=False,
):
    """Labels and limits for one segment; ``values`` may contain None."""
    n = len(values)
    base = [
        v if (fix_after is None or k < fix_after) else None
        for k, v in enumerate(values)
    ]
    mean = r_mean(base)
    # Moving ranges keep their row position (None where a neighbour is missing), as
    # the kernel sums them row by row.
    mrs = [None] + [
        abs(base[k] - base[k - 1])
        if base[k] is not None and base[k - 1] is not None
        else None
        for k in range(1, n)
    ]
    amr = r_mean(mrs)
    if screen:
        amr = r_mean([m if m is not None and m < 3.267 * amr else None for m in mrs])
    lpl, upl = mean - 2.66 * amr, mean + 2.66 * amr
    near = 2 * (2.66 / 3) * amr

    def side(v):
        if v is None or math.isnan(mean):
            return None
        return (v > mean) - (v < mean)

    outside = [v is not None and (v > upl or v < lpl) for v in values]
    close = [
        v is not None and not outside[k] and (v > mean + near or v < mean - near)
        for k, v in enumerate(values)
    ]
    sides = [side(v) for v in values]

    trend_end = [False] * n
    for i in range(trend - 1, n):
        window = values[i - trend + 1 : i + 1]
        if any(v is None for v in window):
            continue
        diffs = [b - a for a, b in itertools.pairwise(window)]
        trend_end[i] = all(d > 0 for d in diffs) or all(d < 0 for d in diffs)
    in_trend = [any(trend_end[j : j + trend]) for j in range(n)]

    shift_end = [False] * n
    for i in range(shift - 1, n):
        window = sides[i - shift + 1 : i + 1]
        shift_end[i] = window[0] in (1, -1) and all(s == window[0] for s in window)
    in_shift = [any(shift_end[j : j + shift]) for j in range(n)]

    counts = [c or (beyond and o) for c, o in zip(close, outside, strict=False)]
    in_two = [False] * n
    if two_of_three:
        for w in range(n - 2):
            s3 = sides[w : w + 3]
            if None in s3 or abs(sum(s3)) != 3:
                continue
            if sum(counts[w : w + 3]) >= 2:
                for k in range(w, w + 3):
                    in_two[k] = in_two[k] or counts[k]

    labels = []
    for k, v in enumerate(values):
        s = sides[k]
        if outside[k]:
            labels.append("above_upl" if s == 1 else "below_lpl")
        elif in_trend[k]:
            if k + 1 < n and in_trend[k + 1]:
                step = values[k + 1] - v
            else:
                step = v - values[k - 1]
            labels.append("trend_up" if step > 0 else "trend_down")
        elif in_two[k]:
            labels.append("two_of_three_high" if s > 0 else "two_of_three_low")
        elif in_shift[k]:
            labels.append("shift_high" if s > 0 else "shift_low")
        else:
            labels.append("none")
    return mean, lpl, upl, labels


def point_type(label: str, direction: str) -> str:
    if label == "none":
        return "common_cause"
    up = label in LABELS_UP
    if direction == "neutral":
        return "neutral_high" if up else "neutral_low"
    return "improvement" if up == (direction == "increase") else "concern"
