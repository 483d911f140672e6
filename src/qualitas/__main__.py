"""`python -m qualitas` runs the `qualitas` command."""

from qualitas.cli.main import app

app(prog_name="qualitas")
