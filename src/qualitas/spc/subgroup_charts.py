"""Xbar and S charts: the mean and the spread of subgroups of measurements.

qicharts2 0.8.1 formulas (Montgomery 6.29-6.31; docs/methods/qicharts.md). The
centre of an Xbar chart is the grand mean weighted by subgroup size; the standard
deviation is the mean of the subgroup SDs when every subgroup of the phase has the
same size, otherwise the pooled SD. Limits use the bias constant c4(n), so they vary
with each subgroup's size; a subgroup of one has no limits.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from qualitas.spc.lines import KernelInput, Lines
from qualitas.spc.reductions import grouped_sum, segment_mean


def c4(n: np.ndarray) -> np.ndarray:
    """Bias constant of the sample SD for samples of size n (NaN for n <= 1).

    >>> round(float(c4(np.array([5.0]))[0]), 6)
    0.939986
    """
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sqrt(2 / (n - 1)) * np.exp(gammaln(n / 2) - gammaln((n - 1) / 2))
    return np.where(n > 1, out, np.nan)


def constants(n: np.ndarray) -> dict[str, np.ndarray]:
    """A3, B3, B4 and their two-sigma versions for subgroup sizes ``n``.

    Computed once per distinct size and looked up, since sizes repeat.
    """
    sizes, index = np.unique(np.asarray(n, dtype=np.int64), return_inverse=True)
    k4 = c4(sizes.astype(np.float64))
    with np.errstate(invalid="ignore"):
        k5 = np.sqrt(1 - k4**2)
        root = np.sqrt(sizes.astype(np.float64))
        table = {
            "A3": 3 / (k4 * root),
            "A3_95": 2 / (k4 * root),
            "B3": np.maximum(0, 1 - 3 * k5 / k4),
            "B3_95": np.maximum(0, 1 - 2 * k5 / k4),
            "B4": 1 + 3 * k5 / k4,
            "B4_95": 1 + 2 * k5 / k4,
        }
    return {name: values[index] for name, values in table.items()}


def _sigma(inp: KernelInput) -> np.ndarray:
    """Per segment: mean SD if every subgroup of the phase has the same size,
    otherwise the pooled SD; both over the baseline."""
    seg = inp.seg
    size = inp.sub.observations
    sd = inp.sub.sd
    # Sizes are compared over all rows of a phase, not only the baseline (as
    # qicharts2 does), but subgroups with no observation do not count as a size.
    counted = size > 0
    big = np.iinfo(np.int64).max
    smallest = np.minimum.reduceat(np.where(counted, size, big), seg.start[:-1])
    largest = np.maximum.reduceat(np.where(counted, size, 0), seg.start[:-1])
    variable = (smallest != largest) & (largest > 0)

    use = inp.base & ~np.isnan(sd)
    mean_sd = segment_mean(sd, use, seg)
    weight = np.where(inp.base & counted, size - 1.0, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.sqrt(
            grouped_sum(np.where(use, weight * sd**2, np.nan), seg.id, seg.count)
            / grouped_sum(weight, seg.id, seg.count)
        )
    return np.where(variable, pooled, mean_sd)


def xbar_chart(inp: KernelInput) -> Lines:
    seg = inp.seg
    size = inp.sub.observations.astype(np.float64)
    weighted = np.where(inp.base, size * inp.sub.mean, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        grand = grouped_sum(weighted, seg.id, seg.count) / grouped_sum(
            np.where(inp.base, size, np.nan), seg.id, seg.count
        )
    cl = inp.centre(grand)
    sigma = _sigma(inp)[seg.id]
    k = constants(inp.sub.observations)
    return Lines(
        value=inp.value,
        cl=cl,
        lcl=cl - k["A3"] * sigma,
        ucl=cl + k["A3"] * sigma,
        lcl_95=cl - k["A3_95"] * sigma,
        ucl_95=cl + k["A3_95"] * sigma,
    )


def s_chart(inp: KernelInput) -> Lines:
    cl = inp.centre(_sigma(inp))
    k = constants(inp.sub.observations)
    return Lines(
        value=inp.sub.sd,
        cl=cl,
        lcl=k["B3"] * cl,
        ucl=k["B4"] * cl,
        lcl_95=k["B3_95"] * cl,
        ucl_95=k["B4_95"] * cl,
    )
