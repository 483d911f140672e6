"""The arithmetic of a funnel plot, as NumPy array operations over all units at once.

Each step is a small function so that it can be read against the method
(docs/methods/funnel.md): transform each unit's ratio so that chance variation is
roughly normal with a known standard error; turn that into z-scores; trim the extreme
z-scores and estimate how much more the units vary than chance alone would make them
(the dispersion ratio phi and the between-unit variance tau squared); and compute the
control limits on a grid of denominators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

# FunnelPlotR writes the normal quantiles with six decimals; the limits must use the
# same numbers to match it (the exact quantiles differ in the seventh digit).
Z95 = 1.959964
Z998 = 3.090232

SR, PR, RC, MEAN = "SR", "PR", "RC", "MEAN"
SHMI, CQC = "SHMI", "CQC"
GRID_POINTS = 1000


@dataclass(frozen=True)
class Transformed:
    """Per unit: the transformed ratio ``y``, its standard error ``s`` under chance
    alone, and the target on the same scale."""

    y: np.ndarray
    s: np.ndarray
    target: float

    @property
    def z(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((self.y - self.target) / self.s)


def transform(
    data_type: str,
    method: str,
    numerator: np.ndarray,
    denominator: np.ndarray,
    target: float,
    sd: float,
) -> Transformed:
    """Variance-stabilising transformation of each unit's ratio.

    SR/SHMI: log ratio, SE 1/sqrt(E). SR/CQC: square root of the ratio, SE
    1/(2 sqrt(E)). PR: arcsine of the square root of the proportion, SE 1/(2 sqrt(n)).
    RC: log of the ratio with 0.5 added to both counts, SE from the delta method.
    MEAN: the mean itself, SE sd/sqrt(n).
    """
    o, d = numerator, denominator
    with np.errstate(divide="ignore"):
        if data_type == SR and method == SHMI:
            return Transformed(np.log(o / d), 1 / np.sqrt(d), float(np.log(target)))
        if data_type == SR:
            return Transformed(
                np.sqrt(o / d), 1 / (2 * np.sqrt(d)), float(np.sqrt(target))
            )
        if data_type == PR:
            return Transformed(
                np.arcsin(np.sqrt(o / d)),
                1 / (2 * np.sqrt(d)),
                float(np.arcsin(np.sqrt(target))),
            )
        if data_type == RC:
            y = np.log((o + 0.5) / (d + 0.5))
            s = np.sqrt(o / (o + 0.5) ** 2 + d / (d + 0.5) ** 2)
            return Transformed(y, s, float(np.log(target)))
    return Transformed(o / d, sd / np.sqrt(d), float(target))


@dataclass(frozen=True)
class Trimmed:
    """z-scores with the extremes trimmed: ``z`` (NaN where truncated), ``trimmed``
    (truncated or winsorised), and for SHMI truncation the ``rank`` and ``slice``."""

    z: np.ndarray
    trimmed: np.ndarray
    rank: np.ndarray
    slice: np.ndarray


def truncate(z: np.ndarray, trim: float) -> Trimmed:
    """SHMI truncation: split the ranked z-scores into 1/trim slices and drop the
    lowest and highest slice (ties share their average rank)."""
    k = 1 / trim
    rank = _average_rank(z)
    sp = np.floor(rank * k / (len(z) + 1))
    keep = (sp > 0) & (sp < k - 1)
    return Trimmed(np.where(keep, z, np.nan), ~keep, rank, sp)


def winsorise(z: np.ndarray, trim: float) -> Trimmed:
    """Winsorisation: z-scores beyond the trim and 1 - trim quantiles are pulled in
    to those quantiles; a z-score equal to a quantile counts as winsorised."""
    low = quantile7(z, trim)
    high = quantile7(z, 1 - trim)
    clipped = np.minimum(np.maximum(z, low), high)
    inside = (z > low) & (z < high)
    nan = np.full(len(z), np.nan)
    return Trimmed(clipped, ~inside, nan, nan)


def _average_rank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing the average of the ranks they span."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    n = len(x)
    new = np.r_[True, xs[1:] != xs[:-1]]
    start = np.flatnonzero(new)
    end = np.r_[start[1:], n]
    avg = (start + end + 1) / 2.0  # mean of 1-based ranks start+1 .. end
    out = np.empty(n)
    out[order] = np.repeat(avg, end - start)
    return out


def quantile7(x: np.ndarray, p: float) -> float:
    """The sample quantile as R's default (type 7) computes it, including its order
    of floating-point operations."""
    xs = np.sort(x)
    index = 1 + (len(xs) - 1) * p
    lo = int(np.floor(index))
    hi = int(np.ceil(index))
    q = float(xs[lo - 1])
    h = index - lo
    if index > lo and xs[hi - 1] != q:
        q = (1 - h) * q + h * float(xs[hi - 1])
    return q


@dataclass(frozen=True)
class Dispersion:
    phi: float
    tau2: float
    n_used: int


def dispersion(trimmed_z: np.ndarray, s: np.ndarray) -> Dispersion:
    """phi = mean squared trimmed z-score; tau2 by the DerSimonian-Laird moment
    estimator over the same units, zero unless n*phi reaches n - 1."""
    used = ~np.isnan(trimmed_z)
    n = int(used.sum())
    if n == 0:
        return Dispersion(np.nan, np.nan, 0)
    phi = float(np.sum(trimmed_z[used] ** 2) / n)
    w = 1 / s[used] ** 2
    sw = float(np.sum(w))
    spread = sw - float(np.sum(w**2)) / sw
    if n * phi < n - 1:
        return Dispersion(phi, 0.0, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2 = max(0.0, (n * phi - (n - 1)) / spread)
    return Dispersion(phi, tau2, n)


def grid(denominator: np.ndarray, start: float) -> np.ndarray:
    """1000 evenly spaced denominators from ``start`` to the largest denominator
    (rounded up), joined with the units' own denominators, sorted and distinct.

    The spacing is computed as R's ``seq(length.out = 1000)`` does (first and last
    exact, interior points from + i * step), so that grid-dependent results match.
    """
    end = float(np.ceil(np.max(denominator)))
    step = (end - start) / (GRID_POINTS - 1)
    seq = np.r_[start, start + np.arange(1, GRID_POINTS - 1) * step, end]
    return np.unique(np.r_[seq, denominator])


def limit_se(data_type: str, method: str, x: np.ndarray, sd: float) -> np.ndarray:
    """Standard error under chance alone at denominator ``x``, on the transformed scale,
    as FunnelPlotR uses it for limits (for RC this is 1/(2 sqrt(x)), not the delta-method
    SE of the z-scores)."""
    if data_type == SR and method == SHMI:
        return np.asarray(1 / np.sqrt(x))
    if data_type == MEAN:
        return np.asarray(sd / np.sqrt(x))
    return np.asarray(1 / (2 * np.sqrt(x)))


def poisson_limits(
    x: np.ndarray, target: float, multiplier: float
) -> dict[str, np.ndarray]:
    """Exact Poisson limits for a standardised ratio with expected count ``x``, from
    chi-square quantiles (non-integer degrees of freedom allowed)."""
    scale = multiplier * target / x

    def chi2(p: float, df: np.ndarray) -> np.ndarray:
        return np.asarray(2 * special.gammaincinv(df / 2, p))

    return {
        "lower_95": scale * chi2(0.025, 2 * x) / 2,
        "upper_95": scale * chi2(0.975, 2 * (x + 1)) / 2,
        "lower_998": scale * chi2(0.001, 2 * x) / 2,
        "upper_998": scale * chi2(0.999, 2 * (x + 1)) / 2,
    }


def additive_limits(
    data_type: str,
    method: str,
    s: np.ndarray,
    target: float,
    tau2: float,
    multiplier: float,
) -> dict[str, np.ndarray]:
    """Limits with the between-unit variance tau2 added to each unit's variance on
    the transformed scale (tau2 = 0: chance alone, normal approximation)."""
    out: dict[str, np.ndarray] = {}
    for level, z in (("95", Z95), ("998", Z998)):
        half = z * np.sqrt(s**2 + tau2)
        lower, upper = _back_transform(data_type, method, target, half, squared=False)
        out[f"lower_{level}"] = multiplier * lower
        out[f"upper_{level}"] = multiplier * upper
    if data_type == PR:
        _tidy_proportions(out, multiplier)
    return out


def multiplicative_limits(
    data_type: str,
    method: str,
    s: np.ndarray,
    target: float,
    phi: float,
    multiplier: float,
) -> dict[str, np.ndarray]:
    """Spiegelhalter's multiplicative model: each unit's standard error on the
    transformed scale is inflated by sqrt(phi); the limits are then transformed back
    properly (squared on the square-root scale, angles kept within 0 to pi/2)."""
    out: dict[str, np.ndarray] = {}
    for level, z in (("95", Z95), ("998", Z998)):
        half = z * np.sqrt(phi) * s
        lower, upper = _back_transform(data_type, method, target, half, squared=True)
        out[f"lower_{level}"] = multiplier * lower
        out[f"upper_{level}"] = multiplier * upper
    return out


def _back_transform(
    data_type: str, method: str, target: float, half: np.ndarray, *, squared: bool
) -> tuple[np.ndarray, np.ndarray]:
    if data_type == SR and method == SHMI:
        t = np.log(target)
        return np.exp(t - half), np.exp(t + half)
    if data_type == SR:
        t = np.sqrt(target)
        if squared:
            return np.maximum(t - half, 0) ** 2, (t + half) ** 2
        # FunnelPlotR leaves CQC limits on the square-root scale; kept for parity.
        return t - half, t + half
    if data_type == PR:
        t = np.arcsin(np.sqrt(target))
        if squared:
            return (
                np.sin(np.clip(t - half, 0, np.pi / 2)) ** 2,
                np.sin(np.clip(t + half, 0, np.pi / 2)) ** 2,
            )
        return np.sin(t - half) ** 2, np.sin(t + half) ** 2
    if data_type == RC:
        t = np.log(target)
        return np.exp(t - half), np.exp(t + half)
    return target - half, target + half


def _tidy_proportions(limits: dict[str, np.ndarray], multiplier: float) -> None:
    """Where the arcsine angle leaves 0..pi/2 the squared sine turns back on itself,
    so at small denominators the lower limit rises again and the upper falls. As
    FunnelPlotR does (in grid order, comparing each row with the next): a lower limit
    above the next one becomes 0, an upper limit below the next becomes the maximum."""
    for level in ("95", "998"):
        lower = np.maximum(limits[f"lower_{level}"], 0)
        upper = np.minimum(limits[f"upper_{level}"], multiplier)
        drop = np.r_[lower[:-1] > lower[1:], False]
        lift = np.r_[upper[:-1] < upper[1:], False]
        limits[f"lower_{level}"] = np.where(drop, 0.0, lower)
        limits[f"upper_{level}"] = np.where(lift, multiplier, upper)
