"""`qualitas funnel`: compare units (trusts, practices, surgeons) in a funnel plot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from qualitas.charts import funnel_chart, save
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
from qualitas.cli.spc import TABLE_SUFFIXES, _write_table
from qualitas.errors import QualitasError
from qualitas.spc.funnel import FunnelRequest


def register(app: typer.Typer) -> None:
    app.command(
        "funnel",
        cls=SingleValued,
        help="Funnel plot: each unit's ratio against its size, with limits that allow for overdispersion.",
    )(funnel)


@friendly_errors
@opt.with_declared(FunnelRequest, opt.FUNNEL_SETTINGS, into="settings")
def funnel(
    input: opt.Input,
    numerator: Annotated[
        str,
        typer.Option(
            "--numerator",
            help="Column of the numerator (observed events, or the total outcome for MEAN).",
            show_default=False,
        ),
    ],
    denominator: Annotated[
        str,
        typer.Option(
            "--denominator",
            help="Column of the denominator (expected events for SR, cases for PR...).",
            show_default=False,
        ),
    ],
    group: opt.Group,
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Where to write one row per unit (.csv or .parquet).",
            show_default=False,
        ),
    ],
    by: opt.FunnelBy = None,
    target: Annotated[
        float | None,
        typer.Option(
            "--target",
            help="Compare with this value (PR, RC, MEAN) instead of the average of all units.",
            show_default=False,
        ),
    ] = None,
    limits: Annotated[
        Path | None,
        typer.Option(
            "--limits",
            help="Where to write the limits on a grid of denominators.",
            show_default=False,
        ),
    ] = None,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            help="Where to write phi, tau squared and the overdispersion decision "
            "(one row per funnel).",
            show_default=False,
        ),
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            help="Where to draw the funnel: .html (interactive), .svg or .png "
            "(one funnel: not with --by).",
            show_default=False,
        ),
    ] = None,
    highlight: Annotated[
        str | None,
        typer.Option(
            "--highlight", help="Unit to pick out on the chart.", show_default=False
        ),
    ] = None,
    direction: Annotated[
        str | None,
        typer.Option(
            "--direction",
            help="Which way is better (increase or decrease), to colour outliers as better or worse.",
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Chart title.", show_default=False)
    ] = None,
    value_format: opt.ValueFormat = None,
    y_title: Annotated[
        str | None,
        typer.Option("--y-title", help="Title of the value axis.", show_default=False),
    ] = None,
    sheet: opt.Sheet = None,
    settings: dict[str, Any] | None = None,
) -> None:
    """Compute a funnel plot and write the units (and optionally limits, summary, chart)."""
    from qualitas.spc import funnel as compute_funnel

    for path in (out_path, limits, summary):
        if path is not None and path.suffix.lower() not in TABLE_SUFFIXES:
            raise QualitasError(f"{path.name}: tables are written as .csv or .parquet")
    if chart is not None and chart.suffix.lower() not in (
        ".html",
        ".htm",
        ".svg",
        ".png",
    ):
        raise QualitasError(f"{chart.name}: charts are drawn as .html, .svg or .png")
    if by and chart is not None:
        raise QualitasError(
            "--chart draws one funnel, and --by asks for one per "
            f"{', '.join(by)}; leave out --chart, or draw a funnel from its own rows"
        )
    if direction not in (None, "increase", "decrease"):
        raise QualitasError(
            f"--direction must be increase or decrease, not {direction!r}"
        )
    with steps(3, show=is_large(input)) as progress:
        progress.start(f"Reading {input.name}")
        frame = opt.read_input(input, sheet)
        progress.done()
        progress.start(f"Calculating {len(frame):,} rows")
        result = compute_funnel(
            frame,
            numerator=numerator,
            denominator=denominator,
            group=group,
            by=by,
            target=target,
            **(settings or {}),
        )
        progress.done()
        # Build the chart first: a mistake in its options (an unknown unit to
        # highlight) then stops the command before any file is written.
        spec = None
        if chart is not None:
            spec = funnel_chart(
                result,
                title=title,
                highlight=highlight,
                direction=direction,
                value_format=value_format,
                y_title=y_title,
            )
        progress.start("Writing")
        # Every file or none: they are put in place together once all are written.
        with all_or_nothing() as files:
            _write_table(result.units, files.path(out_path))
            if limits is not None:
                _write_table(result.limits, files.path(limits))
            if summary is not None:
                _write_table(result.summaries, files.path(summary))
            if chart is not None and spec is not None:
                save(spec, files.path(chart))
        progress.done()
    show_warnings(list(getattr(result, "warnings", ())))
    level = "99.8%" if result.request.limit == 99 else "95%"
    if by:
        t = result.summaries
        out.print(
            f"{len(t):,} funnels of {int(t['n_units'].sum()):,} units in all: "
            f"{int(t['n_high'].sum()):,} above and {int(t['n_low'].sum()):,} below "
            f"the {level} limits; {int(t['adjusted'].sum()):,} of the funnels "
            "adjusted for overdispersion."
        )
    else:
        s = result.summary
        out.print(
            f"{s.n_units:,} units: {s.n_high} above and {s.n_low} below the {level} limits. {s.reason}"
        )
    out.print(f"Units written to {out_path}")
    for label, path in (("limits", limits), ("summary", summary), ("chart", chart)):
        if path is not None:
            out.print(f"{label.capitalize()} written to {path}")
