"""`qualitas spc`: SPC charts for every series in a file.

XmR (Making Data Count) by default; ``--chart TYPE`` chooses any qicharts2 chart type
(run, i, mr, xbar, s, p, pp, u, up, c, g, t). ``--chart FILE.html|.svg|.png`` draws it.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from qualitas.charts import html_page, render, series_keys, spc_chart, xmr_chart
from qualitas.charts.common import block_keys, block_starts, series_label
from qualitas.charts.render import FORMATS
from qualitas.cli import measures_file
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
from qualitas.io import write_csv
from qualitas.reports import dashboard_html
from qualitas.spc import Rules
from qualitas.spc.chart import CHART_TYPES, ChartRequest, ChartResult

TABLE_SUFFIXES = (".csv", ".parquet")
TYPES = ("xmr", *(t for t in CHART_TYPES if t != "xmr"))
# Beyond this many series an HTML page of every chart gets too big to open.
MAX_PAGE_CHARTS = 500


def register(app: typer.Typer) -> None:
    app.command(
        "spc",
        cls=SingleValued,
        help="SPC charts for every series: XmR (Making Data Count) by default, or any chart type with --chart TYPE.",
    )(spc)


@friendly_errors
@opt.with_declared(ChartRequest, opt.SPC_SETTINGS, into="settings")
def spc(
    input: opt.Input,
    period: opt.Period,
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Where to write one row per point (.csv or .parquet).",
            show_default=False,
        ),
    ],
    value: Annotated[
        str | None,
        typer.Option(
            "--value",
            help="Column holding the measure (a long file). Leave out with --measures for a file with one column per measure.",
            show_default=False,
        ),
    ] = None,
    measures: Annotated[
        Path | None,
        typer.Option(
            "--measures",
            help="Settings file (.csv or .toml) listing the measures to chart, each with its direction and target: the data's columns (a wide file, without --value), or the values of a --by column (a long file).",
            show_default=False,
        ),
    ] = None,
    by: opt.By = None,
    chart_args: Annotated[
        list[str] | None,
        typer.Option(
            "--chart",
            help=f"Chart type ({', '.join(TYPES)}; default xmr), and/or a file to draw it in: .html (interactive), .svg or .png. Give both by repeating --chart.",
            show_default=False,
        ),
    ] = None,
    direction: opt.Direction = "increase",
    target: opt.Target = None,
    target_column: opt.TargetColumn = None,
    part: opt.Part = None,
    freeze: Annotated[
        str | None,
        typer.Option(
            "--freeze",
            help="Last period of the baseline that sets the limits.",
            show_default=False,
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Period left out of the calculations (repeat).",
            show_default=False,
        ),
    ] = None,
    cl: Annotated[
        float | None,
        typer.Option(
            "--cl",
            help="Fixed centre line instead of the one from the data.",
            show_default=False,
        ),
    ] = None,
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            help="'anhoej' (qicharts2's sigma and runs signals) or 'mdc' (Making Data Count rules and icons as well). Default: mdc for xmr, anhoej for the other types.",
            show_default=False,
        ),
    ] = None,
    shift: opt.Shift = 7,
    trend: opt.Trend = 7,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            help="Where to write one row per series and segment (phase).",
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
    settings: dict[str, Any] | None = None,
) -> None:
    """Compute SPC charts and write the points (and optionally summary, icons, chart)."""
    chart_type, chart_file = _chart_args(chart_args or [])
    for path in (out_path, summary, icons):
        if path is not None and path.suffix.lower() not in TABLE_SUFFIXES:
            raise QualitasError(f"{path.name}: tables are written as .csv or .parquet")
    if icons is not None and (
        rules == "anhoej" or (rules is None and chart_type != "xmr")
    ):
        raise QualitasError("icons need Making Data Count rules: add --rules mdc")

    total = 3 + (summary is not None) + (icons is not None) + (chart_file is not None)
    with steps(total, show=is_large(input)) as progress:
        progress.start(f"Reading {input.name}")
        frame = opt.read_input(input, sheet)
        frame, value, by, directions, targets = _many_measures(
            frame,
            value=value,
            period=period,
            by=by,
            measures=measures,
            direction=direction,
            target=target,
            target_column=target_column,
        )
        progress.done()
        progress.start(f"Calculating {len(frame):,} rows")
        result, mdc_rules = opt.compute(
            frame,
            chart_type=chart_type,
            value=value,
            period=period,
            by=by,
            direction=directions,
            target=targets,
            target_column=target_column,
            part=part,
            rules=rules,
            shift=shift,
            trend=trend,
            settings=settings or {},
            freeze=opt.periods_of([freeze], frame, period)[0] if freeze else None,
            exclude=opt.periods_of(exclude, frame, period) if exclude else None,
            cl=cl,
        )
        progress.done()
        drawing: str | bytes | None = None
        if chart_file is not None:
            # Draw first: a mistake in the drawing options (several series and no
            # --series) then stops the command before any file is written.
            progress.start(f"Drawing {chart_file.name}")
            options: dict[str, Any] = {
                "title": title,
                "value_format": value_format,
                "y_title": y_title,
            }
            if result.chart == "xmr" and mdc_rules is not None:
                drawing = _draw_xmr(
                    result, chart_file, series=series, rules=mdc_rules, **options
                )
            else:
                drawing = _draw_chart(result, chart_file, series=series, **options)
            progress.done()
        # Every file or none: they are put in place together once all are written.
        with all_or_nothing() as files:
            progress.start(f"Writing {out_path.name}")
            _write_table(result.points, files.path(out_path))
            progress.done()
            if summary is not None:
                progress.start(f"Writing {summary.name}")
                _write_table(result.summary, files.path(summary))
                progress.done()
            if icons is not None and result.icons is not None:
                progress.start(f"Writing {icons.name}")
                _write_table(result.icons, files.path(icons))
                progress.done()
            if chart_file is not None and drawing is not None:
                drawn = files.path(chart_file)
                if isinstance(drawing, bytes):
                    drawn.write_bytes(drawing)
                else:
                    drawn.write_text(drawing, encoding="utf-8")
    show_warnings(result.warnings)
    show_warnings(
        [
            f"{name} has no values (every cell is blank): it has no data, which is "
            "not common cause variation"
            for name in measures_file.empty_series(frame, by or [], value)
        ]
    )
    n_series = len(result.points.drop_duplicates(by)) if by else 1
    out.print(
        f"{len(result.points):,} points in {n_series:,} series written to {out_path}"
    )
    for label, path in (("summary", summary), ("icons", icons), ("chart", chart_file)):
        if path is not None:
            out.print(f"{label.capitalize()} written to {path}")


def _many_measures(
    frame: pd.DataFrame,
    *,
    value: str | None,
    period: str,
    by: list[str] | None,
    measures: Path | None,
    direction: str,
    target: float | None,
    target_column: str | None,
) -> tuple[pd.DataFrame, str, list[str] | None, Any, Any]:
    """The data, value column, series columns, directions and targets for the
    calculation: as given, or for every measure a settings file lists."""
    if measures is None:
        if value is None:
            raise QualitasError(
                "give --value (the column holding the measure), or --measures "
                "(a settings file listing the data's measure columns)"
            )
        return frame, value, by, direction, target
    if target is not None or target_column is not None:
        raise QualitasError(
            "give targets in the --measures file, not with --target or "
            "--target-column as well"
        )
    chosen = measures_file.read_settings(measures)
    if value is None:
        # One column per measure: charted as one long series per measure.
        frame = measures_file.wide_to_long(frame, period, chosen, by or [])
        by = [*(by or []), measures_file.MEASURE]
        value, measure_column = measures_file.VALUE, measures_file.MEASURE
    else:
        named = [
            c
            for c in by or []
            if c in frame.columns and frame[c].astype(str).isin(chosen.names).any()
        ]
        if not named:
            raise QualitasError(
                "with --value, --measures needs a --by column holding the measures' "
                "names (for a file with one column per measure, leave out --value)"
            )
        measure_column = named[0]
        frame = frame[frame[measure_column].astype(str).isin(chosen.names)]
    assert by is not None
    keyed = frame.assign(**{measure_column: frame[measure_column].astype(str)})
    directions = measures_file.per_series(keyed, by, measure_column, chosen.directions)
    targets = {
        k: t
        for k, t in measures_file.per_series(
            keyed, by, measure_column, chosen.targets
        ).items()
        if not np.isnan(t)
    }
    return frame, value, by, directions, targets or None


def _chart_args(values: list[str]) -> tuple[str, Path | None]:
    """Split the --chart values into a chart type and a file to draw in."""
    chart_type: str | None = None
    chart_file: Path | None = None
    for value in values:
        if value.lower() in TYPES:
            if chart_type is not None:
                raise QualitasError(
                    f"give one chart type, not {chart_type!r} and {value!r}"
                )
            chart_type = value.lower()
        elif Path(value).suffix.lower().lstrip(".") in (*FORMATS, "htm"):
            if chart_file is not None:
                raise QualitasError(
                    f"give one chart file, not {chart_file.name!r} and {Path(value).name!r}"
                )
            chart_file = Path(value)
        elif Path(value).suffix:
            raise QualitasError(
                f"{Path(value).name}: charts are drawn as .html, .svg or .png"
            )
        else:
            raise QualitasError(
                f"unknown chart type {value!r}; choose from {', '.join(TYPES)}, or give a file ending .html, .svg or .png"
            )
    return chart_type or "xmr", chart_file


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        write_csv(frame, path)


def _chosen(series: list[str] | None) -> Hashable:
    assert series
    return series[0] if len(series) == 1 else tuple(series)


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return "html" if suffix == "htm" else suffix


def _draw_xmr(
    result: ChartResult,
    path: Path,
    *,
    series: list[str] | None,
    title: str | None,
    value_format: str | None,
    y_title: str,
    rules: Rules,
) -> str | bytes:
    """The drawing for ``path``: one chart, or the dashboard for several series."""
    keys = series_keys(result)
    key: Hashable
    if series:
        key = _chosen(series)
    elif len(keys) == 1:
        key = keys[0]
    elif _format_of(path) == "html":
        # Several series in an interactive page: the dashboard, one chart per row.
        return dashboard_html(
            result,
            title=title or "SPC charts",
            value_format=value_format,
            y_title=y_title,
            chart_options={"rules": rules},
        )
    else:
        raise _choose_one(keys)
    spec = xmr_chart(
        result,
        key,
        title=title,
        value_format=value_format,
        y_title=y_title,
        rules=rules,
    )
    return render(spec, _format_of(path))  # type: ignore[arg-type]


def _draw_chart(
    result: ChartResult,
    path: Path,
    *,
    series: list[str] | None,
    title: str | None,
    value_format: str | None,
    y_title: str,
) -> str | bytes:
    """The drawing for ``path``: one chart, or a page of every series' chart."""
    points = result.points
    by = list(points.columns[: list(points.columns).index("period")])
    keys = block_keys(points, by, block_starts(points, by))
    options: dict[str, Any] = {"value_format": value_format, "y_title": y_title}
    if series or len(keys) == 1:
        spec = spc_chart(
            result, _chosen(series) if series else keys[0], title=title, **options
        )
        return render(spec, _format_of(path))  # type: ignore[arg-type]
    if _format_of(path) != "html":
        raise _choose_one(keys)
    if len(keys) > MAX_PAGE_CHARTS:
        raise QualitasError(
            f"the data has {len(keys):,} series, too many for one page of charts "
            f"(at most {MAX_PAGE_CHARTS}); choose one with --series"
        )
    specs = [spc_chart(result, key, **options) for key in keys]
    return html_page(specs, title=title or "SPC charts")


def _choose_one(keys: list[Hashable]) -> QualitasError:
    example = keys[0]
    shown = (
        " --series ".join(map(str, example))
        if isinstance(example, tuple)
        else str(example)
    )
    return QualitasError(
        f"the data has {len(keys):,} series; choose one with --series (e.g. --series {shown}), "
        f"or draw them all in an .html chart (series such as {series_label(example)!r})"
    )
