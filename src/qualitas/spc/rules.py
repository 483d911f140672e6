"""Making Data Count special-cause rules, labels and icons, shared by every chart type.

The rules are those of NHSRplotthedots 0.2.2 (docs/methods/xmr.md); the lengths and the
two-of-three variant are settings because the NHS guidance lets users change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError
from qualitas.spc.segments import Segments, covered_by_window, window_all

Direction = Literal["increase", "decrease", "neutral"]
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "neutral")


@dataclass(frozen=True)
class Rules:
    """Which special-cause rules run, and how long a shift or trend must be.

    ``shift``: points in a row on one side of the mean (7 by default, 6 in some NHS
    guidance). ``trend``: points in a row each strictly higher (or lower) than the one
    before. ``two_of_three``: two of three points beyond two sigma on the same side.
    ``two_of_three_beyond_limits``: let points beyond the process limits count
    towards two-of-three, as the Making Data Count tools have done since 2023
    (NHSRplotthedots does not: the default is False).
    """

    shift: int = 7
    trend: int = 7
    two_of_three: bool = True
    two_of_three_beyond_limits: bool = False

    def __post_init__(self) -> None:
        for name in ("shift", "trend"):
            length = getattr(self, name)
            if (
                isinstance(length, bool)
                or not isinstance(length, int | np.integer)
                or length < 2
            ):
                raise QualitasError(
                    f"rules.{name} must be a whole number of at least 2, not {length!r}"
                )

    @classmethod
    def coerce(cls, rules: Rules | dict[str, object] | None) -> Rules:
        if rules is None:
            return cls()
        if isinstance(rules, Rules):
            return rules
        if isinstance(rules, dict):
            unknown = set(rules) - {
                "shift",
                "trend",
                "two_of_three",
                "two_of_three_beyond_limits",
            }
            if unknown:
                raise QualitasError(
                    f"unknown rule setting {sorted(unknown)[0]!r}; known: shift, trend, two_of_three, two_of_three_beyond_limits"
                )
            return cls(**rules)  # type: ignore[arg-type]
        raise QualitasError(
            f"rules must be a Rules or a dict, not {type(rules).__name__}"
        )


# Special-cause labels, in the contract's words. Codes are int8 in the kernels.
SPECIAL_CAUSE = (
    "none",
    "above_upl",
    "below_lpl",
    "trend_up",
    "trend_down",
    "two_of_three_high",
    "two_of_three_low",
    "shift_high",
    "shift_low",
)
# +1 for labels pointing up, -1 for down, 0 for none (indexed by code).
_ORIENTATION = np.array([0, 1, -1, 1, -1, 1, -1, 1, -1], dtype=np.int8)

POINT_TYPES = ("common_cause", "improvement", "concern", "neutral_high", "neutral_low")
VARIATION_ICONS = (
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neutral_high",
    "neutral_low",
)
ASSURANCE_ICONS = ("pass", "fail", "hit_and_miss")

SPECIAL_CAUSE_DTYPE = pd.CategoricalDtype(list(SPECIAL_CAUSE))
POINT_TYPE_DTYPE = pd.CategoricalDtype(list(POINT_TYPES))
VARIATION_DTYPE = pd.CategoricalDtype(list(VARIATION_ICONS))
ASSURANCE_DTYPE = pd.CategoricalDtype(list(ASSURANCE_ICONS))
DIRECTION_DTYPE = pd.CategoricalDtype(list(DIRECTIONS))


def check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise QualitasError(
            f"direction must be 'increase', 'decrease' or 'neutral', not {direction!r}"
        )
    return direction


def special_causes(
    y: np.ndarray,
    mean: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    near_lower: np.ndarray,
    near_upper: np.ndarray,
    seg: Segments,
    rules: Rules,
) -> np.ndarray:
    """One special-cause code per row (index into SPECIAL_CAUSE).

    ``mean``, limits and near (two-sigma) lines are per row. Precedence, as in
    NHSRplotthedots: beyond a limit, then trend, then two-of-three, then shift.
    Missing values never satisfy a rule (docs/methods/xmr.md explains the one case,
    a missing value inside a trend window, where the R package stops instead).
    """
    n = len(y)
    first = seg.pos == 0
    with np.errstate(invalid="ignore"):
        above = y > upper
        below = y < lower
        outside = above | below
        high = y > mean  # both False where the value is missing
        low = y < mean
        near = ~outside & ((y > near_upper) | (y < near_lower))

    # Shift: `rules.shift` rows in a row on the same side of the mean. A point on the
    # mean or a missing value breaks the run.
    still_high = np.zeros(n, dtype=bool)
    still_high[1:] = high[1:] & high[:-1]
    still_low = np.zeros(n, dtype=bool)
    still_low[1:] = low[1:] & low[:-1]
    still_high[first] = False
    still_low[first] = False
    shift_end = window_all(still_high, rules.shift - 1) | window_all(
        still_low, rules.shift - 1
    )
    in_shift = covered_by_window(shift_end, rules.shift)

    # Two of three beyond two sigma, all three on the same side; only near points are
    # flagged, and windows never reach past the segment's ends.
    in_two_of_three = np.zeros(n, dtype=bool)
    if rules.two_of_three and n >= 3:
        counts = near | outside if rules.two_of_three_beyond_limits else near
        c = counts.astype(np.int8)
        same_side = (high[:-2] & high[1:-1] & high[2:]) | (
            low[:-2] & low[1:-1] & low[2:]
        )
        whole = seg.id[:-2] == seg.id[2:]
        fires = whole & same_side & ((c[:-2] + c[1:-1] + c[2:]) >= 2)
        in_window = np.zeros(n, dtype=bool)
        in_window[:-2] |= fires
        in_window[1:-1] |= fires
        in_window[2:] |= fires
        in_two_of_three = counts & in_window

    # Trend: `rules.trend` rows each strictly above (below) the previous one. Ties and
    # missing values break it.
    diff = np.empty(n)
    diff[0] = np.nan
    np.subtract(y[1:], y[:-1], out=diff[1:])
    diff[first] = np.nan
    with np.errstate(invalid="ignore"):
        rising = diff > 0
        falling = diff < 0
    need = rules.trend - 1
    trend_end = window_all(rising, need) | window_all(falling, need)
    in_trend = covered_by_window(trend_end, rules.trend)
    # A trend row's direction: towards the next row when that is also a trend row in
    # the same segment, otherwise from the previous row. A tie counts as falling
    # (the package's behaviour, case M34).
    next_in_trend = np.zeros(n, dtype=bool)
    next_in_trend[:-1] = in_trend[1:] & ~first[1:]
    forward = np.zeros(n)
    forward[:-1] = diff[1:]
    step = np.where(next_in_trend, forward, diff)
    trend_up = step > 0

    # Lowest precedence first, so higher rules overwrite. Each rule has a pair of
    # codes, the upward one first; 0/1 views of the flags pick one without building
    # int64 arrays (this step was nearly half of the function's time).
    not_high = (~high).view(np.int8)
    not_up = (~trend_up).view(np.int8)
    code = np.zeros(n, dtype=np.int8)
    np.copyto(code, 7 + not_high, where=in_shift)
    np.copyto(code, 5 + not_high, where=in_two_of_three)
    np.copyto(code, 3 + not_up, where=in_trend)
    np.copyto(code, 1 + not_high, where=outside)
    return code


def point_types(code: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Point type codes (index into POINT_TYPES) from special-cause codes and a
    per-row direction code (0 increase, 1 decrease, 2 neutral)."""
    orient = _ORIENTATION[code]
    out = np.zeros(len(code), dtype=np.int8)
    up = orient == 1
    down = orient == -1
    inc = direction == 0
    dec = direction == 1
    neu = direction == 2
    out[(up & inc) | (down & dec)] = 1
    out[(down & inc) | (up & dec)] = 2
    out[up & neu] = 3
    out[down & neu] = 4
    return out


# Variation icon code from (point type, direction): rows are point types, columns
# directions increase, decrease, neutral.
_VARIATION = np.array(
    [
        [0, 0, 0],  # common cause
        [1, 2, 0],  # improvement: high when increase is better, low when decrease
        [4, 3, 0],  # concern: low when increase is better, high when decrease
        [0, 0, 5],  # neutral high
        [0, 0, 6],  # neutral low
    ],
    dtype=np.int8,
)


def variation_icons(point_type: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Variation icon codes (index into VARIATION_ICONS) for latest points."""
    return np.asarray(_VARIATION[point_type, direction])


def assurance_icons(
    target: np.ndarray, lower: np.ndarray, upper: np.ndarray, direction: np.ndarray
) -> np.ndarray:
    """Assurance icon codes (index into ASSURANCE_ICONS; -1 = no icon).

    Compares the target with the latest segment's limits, strictly. No target or a
    neutral direction gives no icon. Limits that cannot be computed give hit and
    miss, as in NHSRplotthedots.
    """
    out = np.full(len(target), 2, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        above = target > upper
        below = target < lower
    inc = direction == 0
    dec = direction == 1
    out[(inc & below) | (dec & above)] = 0
    out[(inc & above) | (dec & below)] = 1
    out[np.isnan(target) | (direction == 2)] = -1
    return out


def categorical(codes: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """Labels from int8 codes without building strings per row (-1 = missing)."""
    return pd.Categorical.from_codes(cast(Sequence[int], codes), dtype=dtype)
