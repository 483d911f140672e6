"""Options shared by the commands (`qualitas spc` and `qualitas dashboard`; the funnel
settings of `qualitas funnel` and `qualitas batch`), and the calculation `spc` and
`dashboard` both run: read the input, compute XmR charts, report warnings."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import pandas as pd
import typer

from qualitas.errors import QualitasError, describe_rows
from qualitas.io import read_table
from qualitas.spc import ChartResult, Rules, xmr
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
Rebase = Annotated[
    list[str] | None,
    typer.Option(
        "--rebase",
        help="Period at which limits are recalculated; repeat for several.",
        show_default=False,
    ),
]
FixAfter = Annotated[
    int | None,
    typer.Option(
        "--fix-after",
        help="Compute each segment's limits from its first N points only.",
        show_default=False,
    ),
]
Screen = Annotated[
    bool,
    typer.Option(
        "--screen-outliers/--no-screen-outliers",
        help="Leave out very large moving ranges when computing limits (the Making Data Count default).",
    ),
]
SkipShort = Annotated[
    bool,
    typer.Option(
        "--skip-short",
        help="Leave out series with a phase too short for limits (with a warning) "
        "instead of stopping; for charts other than XmR.",
    ),
]
Infinite = Annotated[
    str,
    typer.Option(
        "--infinite",
        help="What an infinite value (from a division by zero) is: error (stop and "
        "name the rows) or missing (leave the point out, with a warning).",
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
    python_type: Any = _TYPES.get(kind, str)
    if f.default is None:
        python_type = python_type | None
    declaration = (
        typer.Option(f"{flag}/--no-{flag[2:]}", help=text)
        if kind == FLAG
        else typer.Option(flag, help=text, show_default=f.default is not None)
    )
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=f.default,
        annotation=Annotated[python_type, declaration],
    )


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


def compute(
    frame: pd.DataFrame,
    *,
    value: str,
    period: str,
    by: list[str] | None,
    direction: str,
    target: float | None,
    target_column: str | None,
    rebase: list[str] | None,
    fix_after: int | None,
    screen_outliers: bool,
    shift: int,
    trend: int,
    infinite: str = "error",
) -> tuple[ChartResult, Rules]:
    if target is not None and target_column is not None:
        raise QualitasError("give either --target or --target-column, not both")
    rules = Rules(shift=shift, trend=trend)
    targets: Any = target
    if target_column is not None:
        targets = targets_from_column(frame, target_column, by or [])
    result = xmr(
        frame,
        value=value,
        period=period,
        by=by or None,
        direction=direction,
        target=targets,
        part=_rebase_periods(rebase, frame, period),
        fix_after=fix_after,
        screen_outliers=screen_outliers,
        rules=rules,
        infinite=infinite,
    )
    return result, rules


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


def _rebase_periods(
    rebase: list[str] | None, frame: pd.DataFrame, period: str
) -> list[Any] | None:
    if not rebase:
        return None
    if period in frame.columns and pd.api.types.is_integer_dtype(frame[period].dtype):
        try:
            return [int(r) for r in rebase]
        except ValueError:
            raise QualitasError(
                f"--rebase must be whole numbers like the periods in {period!r}, not {rebase!r}"
            ) from None
    return list(rebase)
