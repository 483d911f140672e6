"""What each engine can do, declared once.

The same tests run on every engine; a test that needs a feature an engine lacks is
skipped for that engine, with the reason given here (``@pytest.mark.needs(feature)``).
The same table is the capability page of the documentation (docs/engines.md).

>>> gap("local", "xmr") is None
True
>>> gap("spark", "row_numbers_in_errors").startswith("Spark tables have no row order")
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from qualitas.errors import QualitasError

ENGINE_NAMES = ("local", "spark")


@dataclass(frozen=True)
class Capability:
    """A feature, and for each engine that lacks it, what that engine does instead."""

    feature: str
    description: str
    gaps: Mapping[str, str] = field(default_factory=dict)


CAPABILITIES: tuple[Capability, ...] = (
    Capability("xmr", "Making Data Count XmR charts: limits, special causes, icons"),
    Capability(
        "chart",
        "qicharts2 run, Shewhart and rare-event charts, with or without Making Data "
        "Count rules",
    ),
    Capability(
        "funnel",
        "Funnel plots, many at once: one per value of the `by` columns (units and "
        "summaries; the limits grid for drawing comes from qualitas.spc.funnel)",
    ),
    Capability(
        "per_series_settings",
        "Settings per series: targets, directions, rebase dates, phases, baselines",
    ),
    Capability("pandas_and_arrow_input", "pandas DataFrames and Arrow tables as input"),
    Capability(
        "spark_input",
        "Spark DataFrames and Spark catalog tables as input",
        {
            "local": "Reads pandas, Arrow, Parquet, CSV and SQL tables; not Spark tables."
        },
    ),
    Capability(
        "categorical_key_order",
        "Series keyed by a pandas categorical come out in the order of its levels",
        {
            "spark": "Spark has no categoricals: series come out in the order of the key values."
        },
    ),
    Capability(
        "whole_table_warnings",
        "One warning of each kind for the whole table (gaps in periods, trial limits)",
        {
            "spark": "Warnings are given per partition of series, so the same kind "
            "of warning can appear once for each partition."
        },
    ),
    Capability(
        "row_numbers_in_errors",
        "Error messages name rows of the input, numbered as in a spreadsheet",
        {
            "spark": "Spark tables have no row order: messages name the partition's "
            "first series and count rows within the partition."
        },
    ),
)

_BY_FEATURE = {c.feature: c for c in CAPABILITIES}


def gap(engine: str, feature: str) -> str | None:
    """What ``engine`` does instead of ``feature``, or None if it has the feature."""
    if engine not in ENGINE_NAMES:
        raise QualitasError(
            f"unknown engine {engine!r}; known: {', '.join(ENGINE_NAMES)}"
        )
    try:
        return _BY_FEATURE[feature].gaps.get(engine)
    except KeyError:
        raise QualitasError(f"unknown engine feature {feature!r}") from None


def markdown_table() -> str:
    """The capability table, as it appears in docs/engines.md."""
    lines = [
        "| feature | " + " | ".join(ENGINE_NAMES) + " |",
        "|---|" + "---|" * len(ENGINE_NAMES),
    ]
    for c in CAPABILITIES:
        cells = [c.gaps.get(e, "yes") for e in ENGINE_NAMES]
        lines.append(f"| {c.description} (`{c.feature}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
