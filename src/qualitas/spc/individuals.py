"""Run charts and charts of individual values: run, I and MR (qicharts2 0.8.1), and
the I chart of Making Data Count, XmR (NHSRplotthedots 0.2.2).

Formulas in docs/methods/qicharts.md. All three work on every series and phase at
once; per-segment results are broadcast back to rows with ``seg.id``.
"""

from __future__ import annotations

import numpy as np

from qualitas.spc.lines import KernelInput, Lines, around, no_limits
from qualitas.spc.reductions import (
    D2,
    SCREEN_FACTOR,
    average_moving_range,
    segment_mean,
    segment_median,
)

MR_UPPER = SCREEN_FACTOR  # D4 for moving ranges of two, as qicharts2 rounds it

# Making Data Count XmR (NHSRplotthedots 0.2.2), docs/methods/xmr.md.
LIMIT_FACTOR = 2.66  # 3 / d2 rounded as in the Making Data Count tools
NEAR_FACTOR = 2 * (LIMIT_FACTOR / 3)  # two-sigma lines, computed as the package does
SHORT_SEGMENT = 13  # phases with fewer points than this get trial limits


def xmr_chart(inp: KernelInput) -> Lines:
    """Mean and moving-range limits of each phase's baseline, as NHSRplotthedots.

    Rows outside the baseline (after ``fix_after`` points, after ``freeze``, or
    excluded) count as missing: their moving ranges drop out, as a missing value's
    do in the package.
    """
    y = inp.value
    seg = inp.seg
    baseline = y if inp.base.all() else np.where(inp.base, y, np.nan)
    has = ~np.isnan(baseline)
    mean = seg.mean(baseline, has)

    # Moving ranges within phases; a missing neighbour gives no moving range.
    mr = np.full(len(y), np.nan)
    mr[1:] = np.abs(baseline[1:] - baseline[:-1])
    mr[seg.pos == 0] = np.nan
    has_mr = ~np.isnan(mr)
    amr = seg.mean(mr, has_mr)
    if inp.screen:
        # One pass: keep moving ranges strictly below 3.267 x their mean.
        with np.errstate(invalid="ignore"):
            keep = has_mr & (mr < seg.spread(SCREEN_FACTOR * amr))
        amr = seg.mean(mr, keep)
    cl = inp.centre(mean)  # per row
    spread = seg.spread(amr)
    return Lines(
        value=y,
        cl=cl,
        lcl=cl - LIMIT_FACTOR * spread,
        ucl=cl + LIMIT_FACTOR * spread,
        lcl_95=cl - NEAR_FACTOR * spread,
        ucl_95=cl + NEAR_FACTOR * spread,
    )


def run_chart(inp: KernelInput) -> Lines:
    """Centre line at the median of the baseline; no limits."""
    cl = inp.centre(segment_median(inp.value, inp.base, inp.seg))
    return no_limits(inp.value, cl)


def i_chart(inp: KernelInput) -> Lines:
    """Mean of the baseline; sigma from the (screened) mean moving range of the
    baseline rows, taken in order with excluded and later rows removed first."""
    y = inp.value
    seg = inp.seg
    cl = inp.centre(segment_mean(y, inp.base, seg))
    # Moving ranges of the distances from the centre line, as qicharts2 takes them
    # (the same as of the values, unless a centre line given per row varies).
    with np.errstate(invalid="ignore"):
        amr = average_moving_range(y - cl, inp.base, seg, screen=inp.screen)
    return around(y, cl, (amr / D2)[seg.id])


def mr_chart(inp: KernelInput) -> Lines:
    """Moving ranges of consecutive points within each phase (excluded points
    included), centred on their baseline mean, upper limit 3.267 times that."""
    y = inp.value
    seg = inp.seg
    mr = np.full(len(y), np.nan)
    mr[1:] = np.abs(y[1:] - y[:-1])
    mr[seg.pos == 0] = np.nan
    cl = inp.centre(segment_mean(mr, inp.base, seg))
    zero = np.zeros(len(y))
    return Lines(
        value=mr,
        cl=cl,
        lcl=zero,
        ucl=MR_UPPER * cl,
        lcl_95=zero,
        ucl_95=(MR_UPPER / 3) * 2 * cl,
    )
