"""Entry point of the `qualitas` command."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="qualitas",
    help="Statistical process control and funnel plots for NHS quality improvement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Sub-command modules, each with a `register(app)` function.
COMMANDS: tuple[str, ...] = ("spc", "funnel", "dashboard", "batch", "demo")

for _name in COMMANDS:
    importlib.import_module(f"qualitas.cli.{_name}").register(app)


@app.callback()
def _root() -> None:
    """qualitas: SPC that matches the NHS reference tools, for every series at once."""


if __name__ == "__main__":
    app()
