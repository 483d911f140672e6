"""Options shared by the commands (`qualitas spc` and `qualitas dashboard`; the funnel
settings of `qualitas funnel` and `qualitas batch`), and the calculation `spc` and
`dashboard` both run: read the input, compute XmR charts, report warnings."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import pandas as pd
import typer

from qualitas.errors import QualitasError, describe_rows
from qualitas.io import read_table
from qualitas.spc import ChartResult, Rules, chart
from qualitas.spc.chart import PRESETS, ChartRequest
from qualitas.spc.options import FLAG, NUMBER, WHOLE

F = TypeVar("F", bound=Callable[..., Any])

Input = Annotated[
    Path,
    typer.Argument(
        help="CSV, Parquet (.parquet) or Excel (.xlsx) file, one row per series and period.",
        show_default=False,
    ),
]
Value = Annotated[
    str, typer.Option("--value", help="Column holding the measure.", show_default=False)
]
Period = Annotated[
    str,
    typer.Option(
        "--period",
        help="Column holding the period (a date such as 2024-04-01, or a whole number).",
        show_default=False,
    ),
]
By = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        help="Column naming the series; repeat for several columns.",
        show_default=False,
    ),
]
Direction = Annotated[
    str,
    typer.Option(
        "--direction", help="Which way is better: increase, decrease or neutral."
    ),
]
Target = Annotated[
    float | None,
    typer.Option("--target", help="Target for every series.", show_default=False),
]
TargetColumn = Annotated[
    str | None,
    typer.Option(
        "--target-column",
        help="Column holding each series' target (its latest value is used).",
        show_default=False,
    ),
]
Part = Annotated[
    list[str] | None,
    typer.Option(
        "--part",
        "--rebase",
        help="Period at which a new phase starts, with its own limits (a rebase); "
        "repeat for several. Or a column of phase labels.",
        show_default=False,
    ),
]
Shift = Annotated[
    int,
    typer.Option(
        "--shift", help="Points in a row on one side of the mean that make a shift."
    ),
]
Trend = Annotated[
    int,
    typer.Option(
        "--trend", help="Points in a row rising or falling that make a trend."
    ),
]
Sheet = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        help="Worksheet to read from an Excel file (default: the first).",
        show_default=False,
    ),
]
ValueFormat = Annotated[
    str | None,
    typer.Option(
        "--value-format",
        help="Number format for charts and tables, e.g. '.1%' or ',.0f'.",
        show_default=False,
    ),
]
YTitle = Annotated[str, typer.Option("--y-title", help="Title of the value axis.")]

# Funnel plots (`qualitas funnel`, `qualitas batch --chart funnel`).
GROUP_HELP = "Column naming the unit (trust, practice...); rows are added up by unit."
Group = Annotated[str, typer.Option("--group", help=GROUP_HELP, show_default=False)]
FunnelBy = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        help="Column naming separate funnels (e.g. indicator, month): one funnel per "
        "value, each comparing its own units; repeat for several columns.",
        show_default=False,
    ),
]
# The funnel settings both commands offer: read from FunnelRequest's declaration.
FUNNEL_SETTINGS = (
    "data_type",
    "method",
    "trim",
    "limit",
    "adjust",
    "overdispersion",
    "multiplier",
    "sd",
    "shmi_rounding",
)
_TYPES = {NUMBER: float, WHOLE: int, FLAG: bool}


# Options whose default is the chart type's own (a preset sets them): left unset on
# the command line unless typed.
PRESET = frozenset(name for preset in PRESETS.values() for name in preset)


def declared_parameter(request_type: type, name: str) -> inspect.Parameter:
    """The command-line option for a request field, from its declaration: flag
    name, help text, type and default."""
    f = {f.name: f for f in dataclasses.fields(request_type)}[name]
    kind = f.metadata["kind"]
    flag = "--" + name.replace("_", "-")
    text = str(f.metadata["help"])
    text = text[0].upper() + text[1:] + "."
    if f.metadata["choices"]:
        text += f" One of: {', '.join(map(str, f.metadata['choices']))}."
    default = f.default
    if request_type is ChartRequest and name in PRESET:
        default = None
        text += f" Default: the chart type's own ({f.default} but for presets)."
    python_type: Any = _TYPES.get(kind, str)
    if default is None:
        python_type = python_type | None
    declaration = (
        typer.Option(f"{flag}/--no-{flag[2:]}", help=text)
        if kind == FLAG
        else typer.Option(flag, help=text, show_default=default is not None)
    )
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[python_type, declaration],
    )


SkipShort = declared_parameter(ChartRequest, "skip_short").annotation
Infinite = declared_parameter(ChartRequest, "infinite").annotation


def with_declared(
    request_type: type, names: tuple[str, ...], *, into: str
) -> Callable[[F], F]:
    """Add the options ``names`` of ``request_type`` to a command, as declared on
    the request; the command receives them as one dict, its argument ``into``."""

    def decorate(command: F) -> F:
        signature = inspect.signature(command)
        # Resolved here, where the command's module names them: typer reads the
        # wrapper's annotations, which must be objects, not strings.
        hints = typing.get_type_hints(command, include_extras=True)
        parameters = [
            p.replace(
                annotation=hints.get(p.name, p.annotation),
                kind=inspect.Parameter.KEYWORD_ONLY,
            )
            for p in signature.parameters.values()
            if p.name != into
        ]
        parameters += [declared_parameter(request_type, n) for n in names]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            settings = {n: kwargs.pop(n) for n in names if n in kwargs}
            return command(*args, **{into: settings}, **kwargs)

        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=parameters, return_annotation=None
        )
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper  # type: ignore[return-value]

    return decorate


def read_input(path: Path, sheet: str | None) -> pd.DataFrame:
    from qualitas.cli.common import reading_notes

    with reading_notes():
        frame = read_table(path, sheet=sheet)
    if len(frame) == 0:
        raise QualitasError(f"{path.name} has a header but no rows")
    return frame


# The chart options both `qualitas spc` and `qualitas dashboard` offer, read from
# ChartRequest's declaration (the others need parsing: periods, columns, rules).
CHART_SETTINGS = (
    "fix_after",
    "screen_outliers",
    "trial_below",
    "infinite",
)
# `qualitas spc` adds these, which only make sense with a chosen chart type.
SPC_SETTINGS = (
    "denominator",
    *CHART_SETTINGS,
    "multiply",
    "aggregate",
    "skip_short",
    "negative_limits",
    "categorical",
)


def compute(
    frame: pd.DataFrame,
    *,
    chart_type: str,
    value: str,
    period: str,
    by: list[str] | None,
    direction: str | Mapping[Hashable, str],
    target: float | Mapping[Hashable, float] | None,
    target_column: str | None,
    part: list[str] | None,
    rules: str | None,
    shift: int,
    trend: int,
    settings: dict[str, Any],
    **periods: Any,
) -> tuple[ChartResult, Rules | None]:
    """The one chart calculation of the commands: any chart type, XmR by default.

    ``rules`` is ``"anhoej"``, ``"mdc"`` or None for the chart type's own (Making
    Data Count rules for XmR); ``periods`` are further period settings (``freeze``,
    ``exclude``) already read by :func:`periods_of`.
    """
    if rules not in (None, "anhoej", "mdc"):
        raise QualitasError(f"--rules must be 'anhoej' or 'mdc', not {rules!r}")
    mdc = rules == "mdc" or (rules is None and chart_type == "xmr")
    chosen = Rules(shift=shift, trend=trend) if mdc else None
    result = chart(
        frame,
        chart=chart_type,
        value=value,
        period=period,
        by=by or None,
        direction=direction,
        target=_target(target, target_column, frame, by),
        part=_part(part, frame, period),
        rules=chosen if mdc else "anhoej",
        **periods,
        # An option left unset takes the chart type's own (its preset's) value.
        **{k: v for k, v in settings.items() if k not in PRESET or v is not None},
    )
    return result, chosen


def _target(
    target: float | Mapping[Hashable, float] | None,
    column: str | None,
    frame: pd.DataFrame,
    by: list[str] | None,
) -> Any:
    if target is not None and column is not None:
        raise QualitasError("give either --target or --target-column, not both")
    if column is not None:
        return targets_from_column(frame, column, by or [])
    return target


def periods_of(values: list[str], frame: pd.DataFrame, period: str) -> list[Any]:
    """Periods typed on the command line, as numbers when the data's periods are."""
    if period in frame.columns and pd.api.types.is_integer_dtype(frame[period].dtype):
        try:
            return [int(v) for v in values]
        except ValueError:
            raise QualitasError(
                f"periods must be whole numbers like those in {period!r}, not {values!r}"
            ) from None
    return list(values)


def _part(part: list[str] | None, frame: pd.DataFrame, period: str) -> Any:
    if not part:
        return None
    if len(part) == 1 and part[0] in frame.columns:
        return part[0]  # a column of phase labels
    return periods_of(part, frame, period)


def targets_from_column(
    frame: pd.DataFrame, column: str, by: list[str]
) -> float | dict[Hashable, float] | None:
    """Each series' latest non-missing target from a column of the input."""
    if column not in frame.columns:
        raise QualitasError(
            f"target column {column!r} not found; the data has {', '.join(map(repr, map(str, frame.columns)))}"
        )
    numbers = pd.to_numeric(frame[column], errors="coerce")
    bad = (
        numbers.isna()
        & frame[column].notna()
        & (frame[column].astype(str).str.strip() != "")
    )
    if bad.any():
        rows = [int(r) for r in np.flatnonzero(bad.to_numpy())]
        raise QualitasError(
            f"column {column!r} must hold numbers, but {describe_rows(rows)} hold text such as {str(frame[column][bad].iloc[0])!r}"
        )
    if not by:
        present = numbers.dropna()
        return float(present.iloc[-1]) if len(present) else None
    known = frame.assign(_target=numbers).dropna(subset=["_target"])
    if known.empty:
        return None
    latest = known.groupby(by, sort=False, observed=True)["_target"].last()
    return {k: float(v) for k, v in latest.items()}
