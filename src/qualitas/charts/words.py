"""What charts say to readers, in plain NHS English.

One place for every sentence a tooltip, subtitle or summary table shows, so the
browser, the static images and the board reports use the same words.

>>> signal_text("shift_low", "concern")
'Special cause concern: 7 points in a row below the mean'
>>> variation_text("improvement_high")
'Special cause improvement: the latest point shows a significant rise, and higher is better'
"""

from __future__ import annotations

import math
from typing import Any

from qualitas.spc import Rules

# What each special-cause rule means, with the rule lengths filled in.
_RULE = {
    "above_upl": "a point above the upper process limit",
    "below_lpl": "a point below the lower process limit",
    "trend_up": "{trend} points in a row, each higher than the one before",
    "trend_down": "{trend} points in a row, each lower than the one before",
    "two_of_three_high": "2 out of 3 points in a row close to the upper process limit",
    "two_of_three_low": "2 out of 3 points in a row close to the lower process limit",
    "shift_high": "{shift} points in a row above the mean",
    "shift_low": "{shift} points in a row below the mean",
}

_POINT_PREFIX = {
    "improvement": "Special cause improvement",
    "concern": "Special cause concern",
    "neutral_high": "Special cause variation (neither better nor worse)",
    "neutral_low": "Special cause variation (neither better nor worse)",
}

COMMON_CAUSE_TEXT = "Common cause variation: no sign of a change in the process"

VARIATION_TEXT = {
    "common_cause": COMMON_CAUSE_TEXT,
    "improvement_high": "Special cause improvement: the latest point shows a significant rise, and higher is better",
    "improvement_low": "Special cause improvement: the latest point shows a significant fall, and lower is better",
    "concern_high": "Special cause concern: the latest point shows a significant rise, and lower is better",
    "concern_low": "Special cause concern: the latest point shows a significant fall, and higher is better",
    "neutral_high": "Special cause variation: the latest point shows a significant rise (neither better nor worse)",
    "neutral_low": "Special cause variation: the latest point shows a significant fall (neither better nor worse)",
}

ASSURANCE_TEXT = {
    "pass": "The process is capable: it will consistently meet the target",
    "fail": "The process is not capable: it will consistently miss the target unless something changes",
    "hit_and_miss": "The target lies within the process limits: the process will hit and miss it at random",
}
NO_ASSURANCE_TEXT = "No assurance icon: the measure has no target"
NEUTRAL_ASSURANCE_TEXT = "No assurance icon: neither higher nor lower is better"

# Short words for tables and legends.
VARIATION_SHORT = {
    "common_cause": "Common cause",
    "improvement_high": "Improvement (high)",
    "improvement_low": "Improvement (low)",
    "concern_high": "Concern (high)",
    "concern_low": "Concern (low)",
    "neutral_high": "Neutral (high)",
    "neutral_low": "Neutral (low)",
}
ASSURANCE_SHORT = {
    "pass": "Meets target",
    "fail": "Misses target",
    "hit_and_miss": "Hit and miss",
}

TRIAL_LIMITS_TEXT = "Trial limits: this segment has fewer than 13 points"


def signal_text(special_cause: str, point_type: str, rules: Rules | None = None) -> str:
    """The tooltip sentence for one point: its point type and the rule that fired.

    >>> signal_text("none", "common_cause")
    'Common cause variation'
    >>> signal_text("trend_up", "improvement", Rules(trend=6))
    'Special cause improvement: 6 points in a row, each higher than the one before'
    """
    if special_cause == "none" or point_type == "common_cause":
        return "Common cause variation"
    rules = rules or Rules()
    rule = _RULE[special_cause].format(shift=rules.shift, trend=rules.trend)
    return f"{_POINT_PREFIX[point_type]}: {rule}"


def variation_text(variation: Any) -> str:
    """What a variation icon means."""
    return VARIATION_TEXT[str(variation)]


def assurance_text(assurance: Any, direction: str = "increase") -> str:
    """What an assurance icon (or its absence) means."""
    if assurance is None or (isinstance(assurance, float) and math.isnan(assurance)):
        return NEUTRAL_ASSURANCE_TEXT if direction == "neutral" else NO_ASSURANCE_TEXT
    return ASSURANCE_TEXT[str(assurance)]


def format_value(value: Any, spec: str) -> str:
    """Format a number with a format string shared by Python and d3-format
    (such as ``".1%"`` or ``",.0f"``); missing values become an en dash.

    >>> format_value(0.9512, ".1%")
    '95.1%'
    >>> format_value(float("nan"), ".1f")
    '–'
    """
    if value is None:
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "–"
    return format(number, spec)
