"""`qualitas batch`: charts for every series in a file, a folder or a SQL table.

    qualitas batch --input 'extracts/ae_*.parquet' --value attendances \\
        --period period --by org_code --by type --output out/ae

reads the rows (CSV or Parquet through DuckDB, a SQL table through SQLAlchemy, or a
Spark table), computes the chart for every series on the chosen engine and writes
``points.parquet``, ``summary.parquet`` and ``icons.parquet`` into the output folder.
With ``--chart funnel`` it computes a funnel plot for every value of ``--by`` instead
(``--value`` is the numerator, ``--group`` names the units), and writes one row per
unit to ``points.parquet`` and one per funnel to ``summary.parquet``.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from qualitas.cli import options as opt
from qualitas.cli.common import SingleValued, reading_notes
from qualitas.engines import ENGINES, get_engine
from qualitas.engines.base import Written
from qualitas.engines.kernels import kernel_for
from qualitas.errors import QualitasError
from qualitas.io.sources import parse_source, read_arrow
from qualitas.spc import Rules
from qualitas.spc.chart import CHART_TYPES, ChartRequest
from qualitas.spc.funnel import FunnelRequest, funnel_request
from qualitas.spc.rules import DIRECTIONS

# --chart: Making Data Count's XmR, a qicharts2 chart type, or funnel plots.
CHARTS = ("xmr", *sorted(set(CHART_TYPES) - {"xmr"}), "funnel")
# Options that apply only to funnel plots, or only to charts of series over time.
FUNNEL_ONLY = ("group", *opt.FUNNEL_SETTINGS)
CHART_ONLY = ("period", "direction", "rules", "skip_short", "infinite")
SHOWN_WARNINGS = 5


def register(app: typer.Typer) -> None:
    app.command("batch", cls=SingleValued)(batch)


@opt.with_declared(FunnelRequest, opt.FUNNEL_SETTINGS, into="settings")
def batch(
    ctx: typer.Context,
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="Folder for points, summary and icons (Parquet)."
        ),
    ],
    input: Annotated[
        str | None,
        typer.Option(
            "--input",
            "-i",
            help="CSV or Parquet file, folder or glob ('data/*.parquet'), or a database URL "
            "(postgresql://user@host/db?table=NAME).",
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", "-e", help="Where to compute: local or spark.")
    ] = "local",
    chart: Annotated[
        str,
        typer.Option(
            "--chart",
            help="xmr (Making Data Count), a qicharts2 type: run, i, mr, xbar, s, p, "
            "pp, u, up, c, g, t; or funnel (funnel plots, one per --by value).",
        ),
    ] = "xmr",
    value: Annotated[
        str,
        typer.Option(
            "--value",
            help="Column of values (numerators with --denominator, as in funnels).",
        ),
    ] = "value",
    denominator: Annotated[
        str | None,
        typer.Option(
            "--denominator",
            help="Column of denominators (p, pp, u, up charts and funnels).",
        ),
    ] = None,
    rules: Annotated[
        str,
        typer.Option(
            "--rules",
            help="qicharts2 types: anhoej (sigma and runs signals) or mdc (Making Data "
            "Count rules and icons as well).",
        ),
    ] = "anhoej",
    period: Annotated[
        str,
        typer.Option("--period", help="Column of periods (dates or whole numbers)."),
    ] = "period",
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Column(s) naming a series (or a funnel); repeat or separate with "
            "commas.",
        ),
    ] = None,
    direction: Annotated[
        str,
        typer.Option(
            "--direction", help="Which way is better: increase, decrease or neutral."
        ),
    ] = "increase",
    target: Annotated[
        float | None,
        typer.Option(
            "--target",
            help="Target for every series (funnels: the value to compare with, "
            "for PR, RC and MEAN).",
        ),
    ] = None,
    skip_short: opt.SkipShort = False,
    infinite: opt.Infinite = "error",
    group: Annotated[
        str | None, typer.Option("--group", help=f"{opt.GROUP_HELP} Funnels only.")
    ] = None,
    sql_table: Annotated[
        str | None,
        typer.Option("--sql-table", help="Table to read from the --input database."),
    ] = None,
    spark_table: Annotated[
        str | None,
        typer.Option(
            "--spark-table", help="Spark catalog table to read (with --engine spark)."
        ),
    ] = None,
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="Spark master, e.g. local[2] (default: spark-submit's).",
        ),
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option(
            "--partitions", help="Spark: groups of series computed in one piece each."
        ),
    ] = None,
    spark_writer: Annotated[
        str,
        typer.Option(
            "--spark-writer",
            help="Spark: who writes the files: arrow (each worker, fast; the folder "
            "must be reachable from every worker), spark (Spark's own writer, with "
            "its credentials) or auto (arrow for a folder, spark for a URL).",
        ),
    ] = "auto",
    block_rows: Annotated[
        int, typer.Option("--block-rows", help="Local: rows per block of whole series.")
    ] = 1_000_000,
    threads: Annotated[
        int, typer.Option("--threads", help="Local: 2 writes Parquet while computing.")
    ] = 2,
    settings: dict[str, Any] | None = None,
) -> None:
    """Compute a chart for every series (or a funnel plot for every --by value) and
    write Parquet points, summary and icons."""
    console = Console(stderr=True)
    started = time.perf_counter()
    # Options typed on the command line, as opposed to left at their defaults.
    given = {
        name
        for name in (*FUNNEL_ONLY, *CHART_ONLY)
        if getattr(ctx.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"
    }
    try:
        request = _request(
            chart,
            value=value,
            denominator=denominator,
            rules=rules,
            period=period,
            by=by or [],
            direction=direction,
            target=target,
            skip_short=skip_short,
            infinite=infinite,
            given=given,
            funnel={"group": group, **(settings or {})},
        )
        written = _run(
            request,
            engine_name=engine,
            input=input,
            output=output,
            sql_table=sql_table,
            spark_table=spark_table,
            spark_master=spark_master,
            partitions=partitions,
            spark_writer=spark_writer,
            block_rows=block_rows,
            threads=threads,
            console=console,
        )
    except QualitasError as error:
        console.print(f"[bold red]Error:[/] {error}", highlight=False)
        raise typer.Exit(1) from None
    seconds = time.perf_counter() - started
    for message in written.warnings[:SHOWN_WARNINGS]:
        console.print(f"[yellow]Warning:[/] {message}", highlight=False)
    if len(written.warnings) > SHOWN_WARNINGS:
        console.print(
            f"[yellow]... and {len(written.warnings) - SHOWN_WARNINGS} more warnings[/]"
        )
    per_point = seconds / written.points * 1e6 if written.points else 0.0
    if chart == "funnel":
        per_funnel = seconds / written.series * 1e3 if written.series else 0.0
        typer.echo(
            f"{written.series:,} funnels, {written.points:,} units written to {output} "
            f"in {seconds:.1f} s ({per_funnel:.2f} ms per funnel, {engine} engine)"
        )
        return
    typer.echo(
        f"{written.series:,} series, {written.points:,} points, {written.summary:,} "
        f"phases written to {output} in "
        f"{seconds:.1f} s ({per_point:.2f} µs per point, {engine} engine)"
    )


def _request(
    chart: str,
    *,
    value: str,
    denominator: str | None,
    rules: str,
    period: str,
    by: list[str],
    direction: str,
    target: float | None,
    skip_short: bool,
    infinite: str,
    given: set[str],
    funnel: dict[str, Any],
) -> Any:
    """The request for the command line's options; ``given`` names the options
    typed on the command line (not left at their defaults)."""
    if chart not in CHARTS:
        raise QualitasError(
            f"unknown chart {chart!r}; choose one of {', '.join(CHARTS)}"
        )
    keys = tuple(
        dict.fromkeys(k.strip() for item in by for k in item.split(",") if k.strip())
    )
    if chart == "funnel":
        return _funnel_request(value, denominator, keys, target, given, funnel)
    misplaced = [name for name in FUNNEL_ONLY if name in given]
    if misplaced:
        raise QualitasError(
            f"{_flags(misplaced)} only for funnel plots (--chart funnel)"
        )
    if direction not in DIRECTIONS:
        raise QualitasError(
            f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}"
        )
    if rules not in ("anhoej", "mdc"):
        raise QualitasError(f"rules must be anhoej or mdc, not {rules!r}")
    chosen: dict[str, Any] = {}
    if chart != "xmr" or "rules" in given:
        chosen["rules"] = Rules() if rules == "mdc" else None
    return ChartRequest.build(
        chart=chart,
        value=value,
        period=period,
        denominator=denominator,
        by=keys,
        **chosen,
        direction=direction,
        target=target,
        skip_short=skip_short,
        infinite=infinite,
    )


def _funnel_request(
    value: str,
    denominator: str | None,
    by: tuple[str, ...],
    target: float | None,
    given: set[str],
    settings: dict[str, Any],
) -> FunnelRequest:
    misplaced = [name for name in CHART_ONLY if name in given]
    if misplaced:
        raise QualitasError(
            f"{_flags(misplaced)} only for charts of series over time, not funnel plots"
        )
    if denominator is None:
        raise QualitasError("a funnel plot needs --denominator")
    if settings["group"] is None:
        raise QualitasError(
            "a funnel plot needs --group: the column naming the units it compares"
        )
    return funnel_request(
        numerator=value, denominator=denominator, by=by, target=target, **settings
    )


def _flags(names: list[str]) -> str:
    flags = [f"--{n.replace('_', '-')}" for n in names]
    return f"{', '.join(flags)} {'is' if len(flags) == 1 else 'are'}"


TITLES = {"xmr": "XmR", "run": "run", "xbar": "X-bar", "pp": "P′", "up": "U′"}


def _title(request: Any) -> str:
    if isinstance(request, FunnelRequest):
        return "funnel"
    name = str(request.chart)
    return TITLES.get(name, name.upper())


def _run(
    request: Any,
    *,
    engine_name: str,
    input: str | None,
    output: str,
    sql_table: str | None,
    spark_table: str | None,
    spark_master: str | None,
    partitions: int | None,
    spark_writer: str,
    block_rows: int,
    threads: int,
    console: Console,
) -> Written:
    if engine_name not in ENGINES:
        raise QualitasError(
            f"unknown engine {engine_name!r}; choose one of {', '.join(ENGINES)}"
        )
    if (input is None) == (spark_table is None):
        raise QualitasError("give either --input or --spark-table")
    columns = kernel_for(request).columns(request)
    source = parse_source(input, sql_table=sql_table) if input is not None else None

    if engine_name == "local":
        if spark_table is not None:
            raise QualitasError("--spark-table needs --engine spark")
        engine = get_engine("local", block_rows=block_rows, threads=threads)
        with (
            reading_notes(),
            console.status(f"Reading {source.text if source else ''}"),
        ):
            data: Any = read_arrow(source, columns) if source else None
        label = f"{data.num_rows:,} rows"
    else:
        from qualitas.engines.spark import spark_session

        with console.status("Starting Spark"):
            engine = get_engine(
                "spark",
                session=spark_session(spark_master),
                partitions=partitions,
                writer=spark_writer,
            )
        if source is None:
            data = spark_table
        elif source.kind == "files":
            data = engine.read_files(list(source.paths), source.file_format)  # type: ignore[attr-defined]
        else:
            data = read_arrow(source, columns)
        label = "Spark"

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(
            f"Computing {_title(request)} {'plots' if _title(request) == 'funnel' else 'charts'} ({label})",
            total=None,
        )

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return engine.write(data, request, output, progress=progress)
