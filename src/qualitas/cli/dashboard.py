"""`qualitas dashboard`: one HTML page of icons and charts for every series in a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from qualitas.cli import options as opt
from qualitas.cli.common import (
    SingleValued,
    friendly_errors,
    is_large,
    out,
    show_warnings,
    steps,
)
from qualitas.cli.outputs import all_or_nothing
from qualitas.errors import QualitasError
from qualitas.reports import dashboard_html
from qualitas.spc.chart import ChartRequest


def register(app: typer.Typer) -> None:
    app.command(
        "dashboard",
        cls=SingleValued,
        help="An HTML dashboard: the icon summary table, concerns first, each row opening its chart.",
    )(dashboard)


@friendly_errors
@opt.with_declared(ChartRequest, opt.CHART_SETTINGS, into="settings")
def dashboard(
    input: opt.Input,
    value: opt.Value,
    period: opt.Period,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder to write index.html into.", show_default=False
        ),
    ],
    by: opt.By = None,
    direction: opt.Direction = "increase",
    target: opt.Target = None,
    target_column: opt.TargetColumn = None,
    part: opt.Part = None,
    shift: opt.Shift = 7,
    trend: opt.Trend = 7,
    name_column: Annotated[
        str | None,
        typer.Option(
            "--name-column",
            help="Column holding a readable name for each series.",
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str, typer.Option("--title", help="Page title.")
    ] = "SPC dashboard",
    value_format: opt.ValueFormat = None,
    y_title: opt.YTitle = "Value",
    max_charts: Annotated[
        int,
        typer.Option(
            "--max-charts",
            help="Include charts for at most this many series (the most urgent).",
        ),
    ] = 2000,
    sheet: opt.Sheet = None,
    settings: dict[str, Any] | None = None,
) -> None:
    """Compute XmR charts for every series and write the dashboard page."""
    with steps(3, show=is_large(input)) as progress:
        progress.start(f"Reading {input.name}")
        frame = opt.read_input(input, sheet)
        progress.done()
        progress.start(f"Calculating {len(frame):,} rows")
        result, rules = opt.compute(
            frame,
            chart_type="xmr",
            value=value,
            period=period,
            by=by,
            direction=direction,
            target=target,
            target_column=target_column,
            part=part,
            rules="mdc",
            shift=shift,
            trend=trend,
            settings=settings or {},
        )
        progress.done()
        progress.start("Drawing the dashboard")
        names = _names(frame, by or [], name_column)
        path = out_dir / "index.html"
        html = dashboard_html(
            result,
            title=title,
            names=names,
            value_format=value_format,
            y_title=y_title,
            max_charts=max_charts,
            chart_options={"rules": rules},
        )
        # Written under another name and renamed: never half a page at index.html.
        with all_or_nothing() as files:
            files.path(path).write_text(html, encoding="utf-8")
        progress.done()
    show_warnings(result.warnings)
    out.print(f"Dashboard of {len(result.icon_table):,} series written to {path}")


def _names(frame: pd.DataFrame, by: list[str], column: str | None) -> dict | None:
    if column is None:
        return None
    if column not in frame.columns:
        raise QualitasError(
            f"name column {column!r} not found; the data has {', '.join(map(repr, map(str, frame.columns)))}"
        )
    if not by:
        raise QualitasError("--name-column needs --by: names are given per series")
    first = (
        frame.dropna(subset=[column])
        .groupby(by, sort=False, observed=True)[column]
        .first()
    )
    return {
        key: f"{name} ({key if not isinstance(key, tuple) else ' · '.join(map(str, key))})"
        for key, name in first.items()
    }
