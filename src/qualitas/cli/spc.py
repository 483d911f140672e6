"""`qualitas spc`: Making Data Count XmR charts for every series in a file."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from qualitas.charts import save, series_keys, xmr_chart
from qualitas.charts.render import FORMATS
from qualitas.cli import options as opt
from qualitas.cli.common import friendly_errors, is_large, out, show_warnings, steps
from qualitas.errors import QualitasError
from qualitas.io import write_csv
from qualitas.reports import dashboard_html
from qualitas.spc import Rules, XmrResult

TABLE_SUFFIXES = (".csv", ".parquet")


def register(app: typer.Typer) -> None:
    app.command(
        "spc",
        help="Making Data Count XmR charts: limits, special causes and icons for every series.",
    )(spc)


@friendly_errors
def spc(
    input: opt.Input,
    value: opt.Value,
    period: opt.Period,
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Where to write one row per point (.csv or .parquet).",
            show_default=False,
        ),
    ],
    by: opt.By = None,
    direction: opt.Direction = "increase",
    target: opt.Target = None,
    target_column: opt.TargetColumn = None,
    rebase: opt.Rebase = None,
    fix_after: opt.FixAfter = None,
    screen_outliers: opt.Screen = True,
    shift: opt.Shift = 7,
    trend: opt.Trend = 7,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            help="Where to write one row per series and segment.",
            show_default=False,
        ),
    ] = None,
    icons: Annotated[
        Path | None,
        typer.Option(
            "--icons",
            help="Where to write one row per series with its icons.",
            show_default=False,
        ),
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            help="Where to draw the chart: .html (interactive), .svg or .png.",
            show_default=False,
        ),
    ] = None,
    series: Annotated[
        list[str] | None,
        typer.Option(
            "--series",
            help="Which series to draw when there are several (one value per --by column).",
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Chart title.", show_default=False)
    ] = None,
    value_format: opt.ValueFormat = None,
    y_title: opt.YTitle = "Value",
    sheet: opt.Sheet = None,
) -> None:
    """Compute XmR charts and write the points (and optionally summary, icons, chart)."""
    for path in (out_path, summary, icons):
        if path is not None and path.suffix.lower() not in TABLE_SUFFIXES:
            raise QualitasError(f"{path.name}: tables are written as .csv or .parquet")
    if chart is not None and chart.suffix.lower().lstrip(".") not in FORMATS:
        raise QualitasError(f"{chart.name}: charts are drawn as .html, .svg or .png")
    total = 3 + (summary is not None) + (icons is not None) + (chart is not None)
    with steps(total, show=is_large(input)) as progress:
        progress.start(f"Reading {input.name}")
        frame = opt.read_input(input, sheet)
        progress.done()
        progress.start(f"Calculating {len(frame):,} rows")
        result, rules = opt.compute(
            frame,
            value=value,
            period=period,
            by=by,
            direction=direction,
            target=target,
            target_column=target_column,
            rebase=rebase,
            fix_after=fix_after,
            screen_outliers=screen_outliers,
            shift=shift,
            trend=trend,
        )
        progress.done()
        progress.start(f"Writing {out_path.name}")
        _write_table(result.points, out_path)
        progress.done()
        if summary is not None:
            progress.start(f"Writing {summary.name}")
            _write_table(result.summary, summary)
            progress.done()
        if icons is not None:
            progress.start(f"Writing {icons.name}")
            _write_table(result.icons, icons)
            progress.done()
        if chart is not None:
            progress.start(f"Drawing {chart.name}")
            _draw(
                result,
                chart,
                series=series,
                title=title,
                value_format=value_format,
                y_title=y_title,
                rules=rules,
            )
            progress.done()
    show_warnings(result.warnings)
    n_series = len(result.icons)
    out.print(
        f"{len(result.points):,} points in {n_series:,} series written to {out_path}"
    )
    for label, path in (("summary", summary), ("icons", icons), ("chart", chart)):
        if path is not None:
            out.print(f"{label.capitalize()} written to {path}")


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        write_csv(frame, path)


def _draw(
    result: XmrResult,
    path: Path,
    *,
    series: list[str] | None,
    title: str | None,
    value_format: str | None,
    y_title: str,
    rules: Rules,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = series_keys(result)
    key: Hashable
    if series:
        key = series[0] if len(series) == 1 else tuple(series)
    elif len(keys) == 1:
        key = keys[0]
    elif path.suffix.lower() in (".html", ".htm"):
        # Several series in an interactive page: the dashboard, one chart per row.
        page = dashboard_html(
            result,
            title=title or "SPC charts",
            value_format=value_format,
            y_title=y_title,
            chart_options={"rules": rules},
        )
        path.write_text(page, encoding="utf-8")
        return
    else:
        raise QualitasError(
            f"the data has {len(keys):,} series; choose one with --series "
            f"(e.g. --series {keys[0] if not isinstance(keys[0], tuple) else ' --series '.join(map(str, keys[0]))}), "
            "or draw them all in an .html chart"
        )
    spec = xmr_chart(
        result,
        key,
        title=title,
        value_format=value_format,
        y_title=y_title,
        rules=rules,
    )
    save(spec, path)
