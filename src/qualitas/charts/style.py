"""The house style of qualitas charts: Making Data Count colours, lines and type.

Colours follow the NHS Making Data Count convention (docs/methods/xmr.md): grey for
common cause, blue for improvement, orange for concern, purple for neutral special
cause, red for the target. Everything else is NHS.UK design-system greys.
"""

from __future__ import annotations

COMMON_CAUSE = "#a6a6a6"
IMPROVEMENT = "#00b0f0"
CONCERN = "#e46c0a"
NEUTRAL = "#490092"
TARGET = "#de1b1b"

LINE = "#7b7d7d"  # the line joining the values
MEAN = "#231f20"  # the centre line, solid
LIMIT = "#768692"  # process limits, dashed
REBASE = "#aeb7bd"  # vertical rule where limits are recalculated
ANNOTATION = "#005eb8"  # NHS blue: interventions and notes on the chart
TEXT = "#212b32"  # NHS.UK text colour
SECONDARY_TEXT = "#4c6272"

FONT = "Arial, Helvetica, sans-serif"  # Frutiger is the NHS face; Arial is its fallback
LIMIT_DASH = [6, 4]

# Point types of the engine, grouped into the four colours a reader sees.
POINT_LABEL = {
    "common_cause": "Common cause",
    "improvement": "Special cause improvement",
    "concern": "Special cause concern",
    "neutral_high": "Special cause (neutral)",
    "neutral_low": "Special cause (neutral)",
}
POINT_COLOUR = {
    "Common cause": COMMON_CAUSE,
    "Special cause improvement": IMPROVEMENT,
    "Special cause concern": CONCERN,
    "Special cause (neutral)": NEUTRAL,
}

VARIATION_COLOUR = {
    "common_cause": COMMON_CAUSE,
    "improvement_high": IMPROVEMENT,
    "improvement_low": IMPROVEMENT,
    "concern_high": CONCERN,
    "concern_low": CONCERN,
    "neutral_high": NEUTRAL,
    "neutral_low": NEUTRAL,
}
ASSURANCE_COLOUR = {
    "pass": IMPROVEMENT,
    "fail": CONCERN,
    "hit_and_miss": COMMON_CAUSE,
}


def config() -> dict:
    """Vega-Lite ``config`` shared by every qualitas chart."""
    return {
        "font": FONT,
        "view": {"stroke": None},
        "axis": {
            "labelColor": SECONDARY_TEXT,
            "titleColor": TEXT,
            "labelFontSize": 11,
            "titleFontSize": 12,
            "titleFontWeight": "normal",
            "gridColor": "#eef0f1",
            "domainColor": "#aeb7bd",
            "tickColor": "#aeb7bd",
        },
        "legend": {"labelColor": TEXT, "labelFontSize": 11, "symbolSize": 70},
        "title": {
            "color": TEXT,
            "fontSize": 16,
            "fontWeight": "bold",
            "anchor": "start",
            "subtitleColor": SECONDARY_TEXT,
            "subtitleFontSize": 12,
        },
    }
