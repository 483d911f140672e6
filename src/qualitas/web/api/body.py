"""A load's body checked against the ``Load`` schema of the OpenAPI document.

The document is the contract: the server checks a body with the very schema it
publishes, so anything the document refuses is refused (400, every problem listed
with its row counted from 1) before a row is looked at. What the schema cannot say
(whether a measure exists, whether a number is plausible) is then checked row by
row like an uploaded file.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from qualitas.web.api import openapi
from qualitas.web.measures.imports import MAX_ERRORS_KEPT, NUMBERS

WHAT = {
    "measure": "a measure code (letters, digits, - and _)",
    "organisation": "an ODS code (letters and digits, at most 12 characters)",
    "period": "a month as 2024-03 or a date as 2024-03-01",
}


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(openapi.SCHEMAS["Load"])


def body_problems(body: Any) -> list[dict[str, Any]]:
    """Every way the body breaks the schema, as {row, column, message}, in order."""
    found: list[dict[str, Any]] = []
    for e in _validator().iter_errors(body):
        problem = _problem(e)
        # One error per missing field comes back, each naming them all.
        if problem not in found:
            found.append(problem)
        if len(found) >= MAX_ERRORS_KEPT:
            break
    found.sort(key=lambda p: (p["row"] or 0, p["column"]))
    return found


def _problem(e: SchemaError) -> dict[str, Any]:
    path = list(e.absolute_path)
    row = path[1] + 1 if len(path) >= 2 and path[0] == "observations" else None
    column = str(path[2]) if row is not None and len(path) >= 3 else ""
    if row is None and path:
        column = str(path[0])
    name = f"'{column}'" if column else "the row" if row else "the body"
    return {"row": row, "column": column, "message": _words(e, column, name)}


def _words(e: SchemaError, column: str, name: str) -> str:
    kind, value = e.validator, e.validator_value
    if kind == "required":
        missing = [k for k in value if k not in (e.instance or {})]
        return "missing " + ", ".join(f"'{k}'" for k in missing)
    if kind == "additionalProperties":
        extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
        return "unknown field " + ", ".join(f"'{k}'" for k in extra)
    if kind == "minItems":
        return f"{name} is empty: give at least one row"
    if kind == "type":
        kinds = value if isinstance(value, list) else [value]
        return f"{name} must be {' or '.join(_a(k) for k in kinds)}"
    if kind == "pattern" and column in WHAT:
        return f"{name} must be {WHAT[column]}"
    if kind == "pattern":
        return f"{name} must not hold control characters"
    if kind == "maxLength":
        return f"{name} is longer than {value} characters"
    if kind == "anyOf" and column in NUMBERS:
        return (
            f"{name} must be a number between {-openapi.MAX_NUMBER:g} and "
            f"{openapi.MAX_NUMBER:g}, text that holds one, or null"
        )
    if kind == "anyOf":
        return f"{name} must be text of at most {openapi.MAX_TEXT} characters, or null"
    return f"{name}: {e.message[:200]}"


def _a(kind: str) -> str:
    return {
        "object": "an object",
        "array": "a list",
        "string": "text",
        "number": "a number",
        "integer": "a whole number",
        "null": "null",
    }.get(kind, kind)
