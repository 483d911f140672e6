"""The engine's labels in plain NHS English, for pages, tooltips and exports."""

from __future__ import annotations

import math

import pandas as pd

VARIATION = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause improvement (higher values)",
    "improvement_low": "Special cause improvement (lower values)",
    "concern_high": "Special cause concern (higher values)",
    "concern_low": "Special cause concern (lower values)",
    "neutral_high": "Special cause variation, higher (neither good nor bad)",
    "neutral_low": "Special cause variation, lower (neither good nor bad)",
}

VARIATION_MEANING = {
    "common_cause": "The latest point is within the normal range of the process: no signal of change.",
    "improvement_high": "The latest point is part of a signal that the process has improved, with higher values.",
    "improvement_low": "The latest point is part of a signal that the process has improved, with lower values.",
    "concern_high": "The latest point is part of a signal that the process has got worse, with higher values. Find out why.",
    "concern_low": "The latest point is part of a signal that the process has got worse, with lower values. Find out why.",
    "neutral_high": "The latest point is part of a signal of higher values; this measure has no better direction.",
    "neutral_low": "The latest point is part of a signal of lower values; this measure has no better direction.",
}

ASSURANCE = {
    "pass": "Consistently passing the target",
    "fail": "Consistently failing the target",
    "hit_and_miss": "Hit and miss: the target falls within the process limits",
}
NO_ASSURANCE = "No target to assure against"

ASSURANCE_MEANING = {
    "pass": "The process limits are on the right side of the target: unless something changes, the target will be met every time.",
    "fail": "The process limits are on the wrong side of the target: the target will not be met without a change to the process.",
    "hit_and_miss": "The target lies between the process limits: it will be met some months and missed in others, by chance alone.",
    "": "There is no target, or the measure has no better direction, so there is no assurance icon.",
}

SPECIAL_CAUSE = {
    "none": "No rule fired (common cause)",
    "above_upl": "Above the upper process limit",
    "below_lpl": "Below the lower process limit",
    "trend_up": "Part of a run of points each higher than the one before (trend)",
    "trend_down": "Part of a run of points each lower than the one before (trend)",
    "two_of_three_high": "Two of three points close to the upper limit",
    "two_of_three_low": "Two of three points close to the lower limit",
    "shift_high": "Part of a run of points above the mean (shift)",
    "shift_low": "Part of a run of points below the mean (shift)",
}

POINT_TYPE = {
    "common_cause": "Common cause",
    "improvement": "Special cause improvement",
    "concern": "Special cause concern",
    "neutral_high": "Special cause (higher)",
    "neutral_low": "Special cause (lower)",
}

# Short letters drawn inside the icons, as in the Making Data Count icons.
VARIATION_LETTER = {
    "common_cause": "",
    "improvement_high": "H",
    "improvement_low": "L",
    "concern_high": "H",
    "concern_low": "L",
    "neutral_high": "H",
    "neutral_low": "L",
}


def number(x: float | None, decimals: int = 1) -> str:
    """A number for people: thousands separated, fixed decimals, dash when missing.

    >>> number(12345.678, 1)
    '12,345.7'
    >>> number(None)
    '–'
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:,.{decimals}f}"


def period(p: pd.Timestamp, frequency: str = "monthly") -> str:
    """A period as people say it.

    >>> period(pd.Timestamp("2024-04-01"), "quarterly")
    'Apr–Jun 2024'
    >>> period(pd.Timestamp("2024-04-01"), "annual")
    '2024-25'
    >>> period(pd.Timestamp("2024-04-08"), "weekly")
    'week of 8 Apr 2024'
    >>> period(pd.Timestamp("2024-04-08"), "events")
    '8 Apr 2024'
    """
    p = pd.Timestamp(p)
    if frequency == "weekly":
        return f"week of {p.day} {p:%b %Y}"
    if frequency in ("daily", "events"):
        return f"{p.day} {p:%b %Y}"
    if frequency == "quarterly":
        end = p + pd.DateOffset(months=2)
        return f"{p:%b}–{end:%b %Y}"
    if frequency == "annual":
        return f"{p.year}-{(p.year + 1) % 100:02d}" if p.month == 4 else f"{p.year}"
    return f"{p:%b %Y}"
