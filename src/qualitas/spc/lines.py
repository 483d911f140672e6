"""What every chart kernel takes and returns.

A kernel gets the subgroups of all series, their phases (as segments), which rows
form the baseline, and any centre line the user fixed (per row, as qicharts2's ``cl``
may vary along the x axis); it returns the plotted value,
the centre line and the limits for every row. Kernels are pure array functions with
no loop over series, phases or points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qualitas.spc.segments import Segments
from qualitas.spc.subgroups import Subgroups


@dataclass(frozen=True)
class KernelInput:
    """``base`` marks the rows that estimate the centre and limits (baseline and
    not excluded); ``cl`` is the user's centre line per row, NaN on every row of a
    phase whose centre is computed (qicharts2 computes it when any row of the phase
    lacks one). ``categorical``: the subgroups are units, not times."""

    sub: Subgroups
    seg: Segments
    base: np.ndarray
    cl: np.ndarray
    screen: bool
    categorical: bool = False

    @property
    def value(self) -> np.ndarray:
        return self.sub.value

    def centre(self, computed: np.ndarray) -> np.ndarray:
        """Per row: the user's centre line where given, otherwise ``computed`` (one
        value per segment)."""
        spread: np.ndarray = computed[self.seg.id]
        return np.where(np.isnan(self.cl), spread, self.cl)


@dataclass(frozen=True)
class Lines:
    """Per-row plotted value, centre line and three- and two-sigma limits."""

    value: np.ndarray
    cl: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    lcl_95: np.ndarray
    ucl_95: np.ndarray


def around(value: np.ndarray, cl: np.ndarray, sigma: np.ndarray) -> Lines:
    """Limits at three and two sigma either side of the centre line."""
    return Lines(
        value=value,
        cl=cl,
        lcl=cl - 3 * sigma,
        ucl=cl + 3 * sigma,
        lcl_95=cl - 2 * sigma,
        ucl_95=cl + 2 * sigma,
    )


def floored(lines: Lines, *, cap_at_one: bool = False) -> Lines:
    """Counts and rates cannot be negative (and proportions cannot exceed one):
    finite limits beyond those bounds are moved onto them."""
    lcl = np.where(np.isfinite(lines.lcl) & (lines.lcl < 0), 0.0, lines.lcl)
    lcl_95 = np.where(np.isfinite(lines.lcl_95) & (lines.lcl_95 < 0), 0.0, lines.lcl_95)
    ucl, ucl_95 = lines.ucl, lines.ucl_95
    if cap_at_one:
        ucl = np.where(np.isfinite(ucl) & (ucl > 1), 1.0, ucl)
        ucl_95 = np.where(np.isfinite(ucl_95) & (ucl_95 > 1), 1.0, ucl_95)
    return Lines(
        value=lines.value, cl=lines.cl, lcl=lcl, ucl=ucl, lcl_95=lcl_95, ucl_95=ucl_95
    )


def no_limits(value: np.ndarray, cl: np.ndarray) -> Lines:
    missing = np.full(len(value), np.nan)
    return Lines(
        value=value, cl=cl, lcl=missing, ucl=missing, lcl_95=missing, ucl_95=missing
    )
