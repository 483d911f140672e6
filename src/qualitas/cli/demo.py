"""`qualitas demo`: the A&E dashboard for every trust, from data in the repository."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from qualitas.cli.common import SingleValued, friendly_errors, out, show_warnings
from qualitas.reports.demo import DATA_DIR, write_ae_dashboard


def register(app: typer.Typer) -> None:
    app.command(
        "demo",
        cls=SingleValued,
        help="Build the A&E four-hour performance dashboard for every trust.",
    )(demo)


@friendly_errors
def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the dashboard.")
    ] = Path("out/demo"),
    data_dir: Annotated[
        Path, typer.Option("--data", help="Folder holding ae_attendances.csv.")
    ] = DATA_DIR,
) -> None:
    """Compute XmR charts of four-hour A&E performance for every trust and write the
    dashboard page."""
    started = time.perf_counter()
    path, result = write_ae_dashboard(out_dir, data_dir)
    show_warnings(result.warnings)
    icons = result.icon_table
    concern = int(icons["variation"].astype(str).str.startswith("concern").sum())
    failing = int((icons["assurance"].astype(object) == "fail").sum())
    out.print(
        f"{len(icons)} trusts, {len(result.points):,} months: {concern} show special cause concern, "
        f"{failing} will consistently miss the 95% standard ({time.perf_counter() - started:.1f} s)."
    )
    out.print(f"Dashboard written to [bold]{path.resolve()}[/]")
    out.print(f"Open it in a browser: file://{path.resolve()}")
