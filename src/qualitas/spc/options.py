"""Options declared once: on the request's dataclass fields, with their help text.

Every option of the engine is a field of its request type (:class:`ChartRequest`,
:class:`FunnelRequest`), declared with :func:`option`: its default, one sentence of
help and, for the command line, how a value is written. The Python functions, the
command line, the batch command and the web read this declaration (through
:func:`options_of` and :func:`build`) instead of listing the options again, so a new
option is one field plus its computation (docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field
from typing import Any, TypeVar, cast

from qualitas.errors import QualitasError

T = TypeVar("T")

# How an option is written on the command line (and in a batch file):
TEXT = "text"  # a word or a column name
NUMBER = "number"  # a number, or per series: a JSON object {"key": number}
WHOLE = "whole"  # a whole number
FLAG = "flag"  # on/off: --name / --no-name
PERIODS = "periods"  # periods: a comma-separated list, or JSON per series
PERIOD = "period"  # one period, or JSON per series
COLUMNS = "columns"  # column names, comma-separated
WORDS = "words"  # a word, or JSON per series {"key": word}
RULES = "rules"  # anhoej, mdc or a JSON object of rule lengths
INTERNAL = "internal"  # not offered on the command line
KINDS = (TEXT, NUMBER, WHOLE, FLAG, PERIODS, PERIOD, COLUMNS, WORDS, RULES, INTERNAL)


def option(
    help: str,
    *,
    default: Any = MISSING,
    kind: str = TEXT,
    choices: tuple[str, ...] = (),
    per_series: bool = False,
) -> Any:
    """A request field: ``help`` is the sentence shown by ``--help`` and the docs;
    ``kind`` how a value is written on the command line; ``choices`` the allowed
    words; ``per_series`` whether a mapping from series key to value is accepted."""
    if kind not in KINDS:
        raise ValueError(f"unknown option kind {kind!r}")
    metadata = {
        "help": help,
        "kind": kind,
        "choices": choices,
        "per_series": per_series,
    }
    return dataclasses.field(default=default, metadata=metadata)


def options_of(request_type: type) -> tuple[Field[Any], ...]:
    """The declared options of a request type, in declaration order."""
    return tuple(
        f for f in dataclasses.fields(request_type) if "help" in (f.metadata or {})
    )


def required(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def check_names(request_type: type, options: Mapping[str, Any], *, caller: str) -> None:
    """Unknown or missing options are a TypeError, as for a Python signature."""
    known = {f.name for f in dataclasses.fields(request_type)}
    unknown = [name for name in options if name not in known]
    if unknown:
        raise TypeError(
            f"{caller}() got an unexpected keyword argument {unknown[0]!r}; its "
            f"options are {', '.join(sorted(known))}"
        )
    absent = [
        f.name
        for f in dataclasses.fields(request_type)
        if required(f) and f.name not in options
    ]
    if absent:
        raise TypeError(
            f"{caller}() missing required keyword argument"
            f"{'s' if len(absent) > 1 else ''}: {', '.join(map(repr, absent))}"
        )


def signature(
    request_type: type,
    *,
    leading: tuple[str, ...] = ("data",),
    skip: tuple[str, ...] = (),
) -> inspect.Signature:
    """A keyword-only signature made from the request's fields, so ``help()`` and
    editors show the options a function built on :func:`check_names` takes."""
    params = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for name in leading
    ]
    for f in dataclasses.fields(request_type):
        if f.name in skip:
            continue
        default = (
            inspect.Parameter.empty
            if required(f)
            else (
                f.default
                if f.default is not MISSING
                else cast(Any, f.default_factory)()
            )
        )
        params.append(
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=f.type,
            )
        )
    return inspect.Signature(params)


def declared(
    request_type: type,
    *,
    leading: tuple[str, ...] = ("data",),
    skip: tuple[str, ...] = (),
) -> Callable[[T], T]:
    """Give the decorated function the signature of ``request_type``'s options."""

    def decorate(function: T) -> T:
        function.__signature__ = signature(  # type: ignore[attr-defined]
            request_type, leading=leading, skip=skip
        )
        return function

    return decorate


def one_of(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise QualitasError(
            f"{name} must be one of {', '.join(map(repr, choices))}, not {value!r}"
        )
