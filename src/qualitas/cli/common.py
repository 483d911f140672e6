"""What every `qualitas` sub-command shares: clear errors, warnings and progress.

A user who gives a wrong column name or an unreadable file gets one line saying what to
fix and a non-zero exit status, never a Python traceback.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from typer._click import Context  # typer bundles its own click
from typer._click.exceptions import UsageError
from typer.core import TyperCommand

from qualitas.errors import QualitasError, QualitasWarning

F = TypeVar("F", bound=Callable[..., Any])

# Exit status for input qualitas cannot use (Typer uses 2 for a malformed command line).
EXIT_BAD_INPUT = 1
# Inputs at least this large get a progress bar.
LARGE_FILE_BYTES = 20_000_000

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def friendly_errors(command: F) -> F:
    """Turn QualitasError (and failures to write a file) into one clear message on
    standard error and a non-zero exit status."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                # Engine warnings are shown once, by `show_warnings`, in plain words.
                warnings.simplefilter("ignore", QualitasWarning)
                return command(*args, **kwargs)
        except QualitasError as exc:
            err.print(f"[bold red]Error:[/] {_plain(str(exc))}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except OSError as exc:
            where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            err.print(
                f"[bold red]Error:[/] cannot write or read{_plain(where)}: {_plain(exc.strerror or str(exc))}"
            )
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper  # type: ignore[return-value]


def show_warnings(messages: tuple[str, ...] | list[str]) -> None:
    for message in messages:
        err.print(f"[yellow]Warning:[/] {_plain(message)}")


@contextlib.contextmanager
def reading_notes() -> Iterator[None]:
    """Show what the readers say about how they read a file (decimal commas), which
    `friendly_errors` would otherwise hide with the engine's warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QualitasWarning)
        yield
    show_warnings(
        [str(w.message) for w in caught if issubclass(w.category, QualitasWarning)]
    )


def _plain(text: str) -> str:
    """Escape Rich markup in user-provided text (column names may contain '[')."""
    from rich.markup import escape

    return escape(text)


class Steps:
    """A progress bar over the steps of a command, shown only for large inputs."""

    def __init__(self, progress: Progress | None, task: Any) -> None:
        self._progress = progress
        self._task = task

    def start(self, description: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=description)

    def done(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)


@contextlib.contextmanager
def steps(total: int, *, show: bool) -> Iterator[Steps]:
    if not show:
        yield Steps(None, None)
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with progress:
        task = progress.add_task("Starting", total=total)
        yield Steps(progress, task)


def is_large(path: Path) -> bool:
    try:
        return path.stat().st_size >= LARGE_FILE_BYTES
    except OSError:
        return False


class SingleValued(TyperCommand):
    """A command that refuses an option given twice when it takes one value.

    Click keeps the last of repeated values, so ``--trim 0.1 ... --trim 0.05`` would
    silently run with 0.05; a long command line in a script is where that happens.
    Options that take several values (``--by``) are declared as lists and may repeat.
    """

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        single: dict[str, str] = {}
        for param in self.params:
            option = getattr(param, "param_type_name", "") == "option"
            several = getattr(param, "multiple", False) or getattr(
                param, "count", False
            )
            if option and not several:
                for flag in (*param.opts, *param.secondary_opts):
                    single[flag] = str(param.name)
        given: dict[str, list[str]] = {}
        for arg in args:
            if arg == "--":
                break
            flag = arg.split("=", 1)[0]
            if flag in single:
                given.setdefault(single[flag], []).append(flag)
        for flags in given.values():
            if len(flags) > 1:
                shown = " and ".join(dict.fromkeys(flags))
                raise UsageError(
                    f"{shown} given {len(flags)} times; give it once (only one value "
                    "is used)",
                    ctx,
                )
        return super().parse_args(ctx, args)
