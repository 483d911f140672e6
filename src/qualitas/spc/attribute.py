"""Charts of counts, proportions and rates: C, P, U and Laney's P′ and U′.

qicharts2 0.8.1 formulas (docs/methods/qicharts.md). P and U centre lines pool the
baseline (total events over total denominator), so a big month weighs more than a
small one; the limits then vary with each subgroup's denominator. Laney's prime
charts widen those limits by sigma_z, the spread of the standardised values measured
by their moving ranges, which absorbs the between-month variation that large
denominators otherwise turn into false signals.
"""

from __future__ import annotations

import numpy as np

from qualitas.spc.lines import KernelInput, Lines, around, floored
from qualitas.spc.reductions import (
    D2,
    average_moving_range,
    grouped_sum,
    grouped_variance,
    segment_mean,
)
from qualitas.spc.segments import Segments


def _pooled(inp: KernelInput) -> np.ndarray:
    """Per row: baseline events over baseline denominators of its segment (or the
    user's centre line)."""
    seg = inp.seg
    base = inp.base
    events = grouped_sum(np.where(base, inp.sub.total, np.nan), seg.id, seg.count)
    exposure = grouped_sum(
        np.where(base, inp.sub.denominator, np.nan), seg.id, seg.count
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return inp.centre(events / exposure)


def _binomial_sigma(cl: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma: np.ndarray = np.sqrt(cl * (1 - cl) / n)
    return sigma


def _poisson_sigma(cl: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma: np.ndarray = np.sqrt(cl / n)
    return sigma


def sigma_z(inp: KernelInput, cl: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Laney's sigma_z per segment: the (screened) mean moving range of the
    standardised baseline values, divided by 1.128; over units rather than times
    (a categorical x), their sample standard deviation, unscreened (qicharts2)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (inp.value - cl) / sigma
    if inp.categorical:
        return _segment_sd(z, inp.base, inp.seg)
    amr = average_moving_range(z, inp.base, inp.seg, screen=inp.screen)
    return amr / D2


def _segment_sd(values: np.ndarray, keep: np.ndarray, seg: Segments) -> np.ndarray:
    """Sample standard deviation of ``values[keep]`` per segment (NaN with fewer
    than two values)."""
    kept = np.where(keep, values, np.nan)
    mean = segment_mean(values, keep, seg)
    count = np.bincount(seg.id, weights=~np.isnan(kept), minlength=seg.count)
    variance = grouped_variance(kept, mean[seg.id], seg.id, seg.count, count)
    sd: np.ndarray = np.sqrt(variance)
    return sd


def p_chart(inp: KernelInput) -> Lines:
    cl = _pooled(inp)
    sigma = _binomial_sigma(cl, inp.sub.denominator)
    return floored(around(inp.value, cl, sigma), cap_at_one=True)


def pp_chart(inp: KernelInput) -> Lines:
    cl = _pooled(inp)
    sigma = _binomial_sigma(cl, inp.sub.denominator)
    with np.errstate(invalid="ignore"):  # a missing period: infinite sigma times 0
        sigma = sigma * sigma_z(inp, cl, sigma)[inp.seg.id]
    return floored(around(inp.value, cl, sigma), cap_at_one=True)


def u_chart(inp: KernelInput) -> Lines:
    cl = _pooled(inp)
    sigma = _poisson_sigma(cl, inp.sub.denominator)
    return floored(around(inp.value, cl, sigma))


def up_chart(inp: KernelInput) -> Lines:
    cl = _pooled(inp)
    sigma = _poisson_sigma(cl, inp.sub.denominator)
    with np.errstate(invalid="ignore"):  # a missing period: infinite sigma times 0
        sigma = sigma * sigma_z(inp, cl, sigma)[inp.seg.id]
    return floored(around(inp.value, cl, sigma))


def c_chart(inp: KernelInput) -> Lines:
    """Counts per subgroup (the sum when a period has several rows)."""
    y = inp.sub.total
    seg = inp.seg
    cl = inp.centre(segment_mean(y, inp.base, seg))
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt(cl)
    return floored(around(y, cl, sigma))
