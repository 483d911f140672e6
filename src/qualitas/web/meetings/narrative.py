"""The narrative qualitas suggests for each measure before anyone writes: what the
chart says, in the words of the measure page, and what the linked projects are doing.
People then edit it; the suggestion is only a start."""

from __future__ import annotations

from qualitas.web.meetings.project_links import LinkedProject
from qualitas.web.meetings.snapshot import FrozenRow


def chart_tells_us(row: FrozenRow) -> str:
    """
    >>> import pandas as pd
    >>> row = FrozenRow(measure_id=1, code="falls", name="Falls", unit="per 1,000 bed days",
    ...     decimals=1, domain="Safe", frequency="monthly", direction="decrease",
    ...     synthetic=False, period=pd.Timestamp("2025-03-01"), value=4.2, target=5.0,
    ...     mean=4.8, lpl=2.1, upl=7.5, variation="common_cause", assurance="hit_and_miss",
    ...     priority=3, n_points=24, short_baseline=False, spark_line="", spark_dot=(0, 0),
    ...     spark_dot_kind="common_cause")
    >>> print(chart_tells_us(row))
    Mar 2025: 4.2 per 1,000 bed days (mean 4.8; process limits 2.1 to 7.5; target 5.0). Common cause variation: the latest point is within the normal range of the process: no signal of change. Hit and miss: the target lies between the process limits: it will be met some months and missed in others, by chance alone.
    """
    if row.chart_type == "run":
        # A run chart has a median and no limits; its signal is said in words.
        figures = f"median {row.fmt(row.mean)}"
        if row.target is not None:
            figures += f"; target {row.fmt(row.target)}"
        return (
            f"{row.period_label}: {row.fmt(row.value)} {row.unit} ({figures}). "
            f"Run chart: {row.signal}"
        )
    figures = (
        f"mean {row.fmt(row.mean)}; process limits {row.fmt(row.lpl)} to "
        f"{row.fmt(row.upl)}"
    )
    if row.target is not None:
        figures += f"; target {row.fmt(row.target)}"
    unit = "days since the event before" if row.chart_type in ("g", "t") else row.unit
    parts = [
        f"{row.period_label}: {row.fmt(row.value)} {unit} ({figures}).",
        f"{row.variation_text}: {_lower_first(row.variation_meaning)}",
    ]
    if row.assurance:
        parts.append(
            f"{_short_assurance(row.assurance)}: {_lower_first(row.assurance_meaning)}"
        )
    if row.short_baseline:
        parts.append(
            f"The limits are trial limits, from only {row.n_points} points: read signals with care."
        )
    return " ".join(parts)


def doing(projects: list[LinkedProject]) -> str:
    """What the linked projects are doing, one paragraph each."""
    if not projects:
        return ""
    lines = []
    for p in projects:
        head = f"{p.title} ({p.status.lower()}"
        head += f", progress {p.progress})" if p.progress else ")"
        line = f"{head}: {p.aim}"
        if p.latest_learning:
            line += f" Latest learning: {p.latest_learning.strip()}"
        lines.append(line)
    return "\n".join(lines)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _short_assurance(code: str) -> str:
    return {
        "pass": "Consistently passing",
        "fail": "Consistently failing",
        "hit_and_miss": "Hit and miss",
    }[code]
