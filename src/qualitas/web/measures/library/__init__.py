"""The measure library: NHS measures, fully defined, shipped as data
(``nhs_measures.json`` beside this module) for any organisation to adopt.

Adopting copies a library entry into the organisation's register as an ordinary
measure, with its targets, so the organisation can then change it like any other.
An organisation extends the library by adopting from its own file in the same
format (``python -m qualitas.web adopt_measures --file ours.json``), or by adding
measures on the site. The demonstration builds its register from the same file
(``qualitas.web.demo.catalogue``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from qualitas.web.measures import services
from qualitas.web.measures.models import Measure

# The entry's keys that are Measure fields, copied as they are.
MEASURE_FIELDS = (
    "name",
    "domain",
    "measure_type",
    "unit",
    "multiplier",
    "decimals",
    "direction",
    "chart_type",
    "frequency",
    "aggregation",
    "operational_definition",
    "description",
    "numerator",
    "denominator",
    "owner",
    "committee",
    "data_source",
    "collection_burden",
    "breakdowns",
)
REQUIRED = ("code", "name", "domain", "measure_type", "unit", "direction")


@dataclass(frozen=True)
class LibraryTarget:
    starts: dt.date
    value: float
    note: str = ""


@dataclass(frozen=True)
class LibraryMeasure:
    code: str
    fields: dict[str, Any]
    targets: tuple[LibraryTarget, ...] = ()
    kind: str = "trust"  # which organisations it suits: trust, practice or system
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.fields["name"])

    def __getattr__(self, name: str) -> Any:
        # library.get("ae-4-hour").unit, .domain ...: the fields read as attributes.
        fields = self.__dict__.get("fields", {})
        if name in fields:
            return fields[name]
        raise AttributeError(name)


def _month(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{text}-01" if len(text) == 7 else text)
    except ValueError:
        raise ValidationError(
            f"{where}: starts must be a month (YYYY-MM), not '{text}'."
        ) from None


def parse(data: dict[str, Any], source: str = "library") -> list[LibraryMeasure]:
    """Entries from a library document, each checked as a measure would be: a problem
    names the entry and the field."""
    entries = data.get("measures") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValidationError(f'{source}: expected {{"measures": [ ... ]}}.')
    out: list[LibraryMeasure] = []
    problems: list[str] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        where = f"{source}, measure {i} ({entry.get('code', 'no code')})"
        missing = [k for k in REQUIRED if not entry.get(k)]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if entry["code"] in seen:
            problems.append(f"{where}: the code appears twice")
        seen.add(entry["code"])
        fields = {k: entry[k] for k in MEASURE_FIELDS if k in entry}
        try:
            # Checked against the model's own rules, without saving anything.
            Measure(code=entry["code"], organisation_id=0, **fields).full_clean(
                exclude=["organisation"], validate_unique=False
            )
            targets = tuple(
                LibraryTarget(
                    _month(str(t["starts"]), where),
                    float(t["value"]),
                    t.get("note", ""),
                )
                for t in entry.get("targets", [])
            )
        except ValidationError as e:
            details = (
                "; ".join(f"{k}: {' '.join(v)}" for k, v in e.message_dict.items())
                if hasattr(e, "error_dict")
                else " ".join(e.messages)
            )
            problems.append(f"{where}: {details}")
            continue
        except (KeyError, TypeError, ValueError):
            problems.append(f"{where}: each target needs starts and a number value")
            continue
        out.append(
            LibraryMeasure(
                code=entry["code"],
                fields=fields,
                targets=targets,
                kind=entry.get("for", "trust"),
                extra={
                    k: v
                    for k, v in entry.items()
                    if k not in (*MEASURE_FIELDS, "code", "targets", "for")
                },
            )
        )
    if problems:
        raise ValidationError(problems)
    return out


@cache
def measures() -> tuple[LibraryMeasure, ...]:
    """The shipped library, in its order."""
    text = resources.files(__package__).joinpath("nhs_measures.json").read_text("utf-8")
    return tuple(parse(json.loads(text), "nhs_measures.json"))


def from_file(path: str | Path) -> list[LibraryMeasure]:
    """A library in the same format from the organisation's own file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValidationError(f"{path}: not JSON ({e.msg}, line {e.lineno}).") from e
    return parse(data, str(path))


def get(code: str) -> LibraryMeasure:
    for m in measures():
        if m.code == code:
            return m
    raise KeyError(code)


def adopted_code(entry: LibraryMeasure, organisation: Any) -> str:
    """The register code for the organisation's copy: the library's own code while
    no other organisation holds it (codes are unique across the register), else
    suffixed with the organisation's ODS code."""
    taken = Measure.objects.filter(code=entry.code).exclude(organisation=organisation)
    return (
        f"{entry.code}-{organisation.ods_code.lower()}"
        if taken.exists()
        else entry.code
    )


def adopted(organisation: Any, library: Any = None) -> dict[str, Measure]:
    """Library code -> the organisation's copy, for the entries it has adopted."""
    entries = library if library is not None else measures()
    codes = {e.code: e for e in entries}
    suffix = f"-{organisation.ods_code.lower()}"
    out = {}
    for m in Measure.objects.filter(organisation=organisation):
        base = m.code[: -len(suffix)] if m.code.endswith(suffix) else m.code
        if base in codes:
            out[base] = m
    return out


@transaction.atomic
def adopt(
    *, by: Any, organisation: Any, codes: list[str], library: Any = None
) -> list[Measure]:
    """Copy the library entries named by ``codes`` into the organisation's register,
    with their targets; entries it has already adopted are left as they are. Returns
    the measures added. Needs the permission to manage measures there."""
    entries = {e.code: e for e in (library if library is not None else measures())}
    unknown = [c for c in codes if c not in entries]
    if unknown:
        raise ValidationError(f"Not in the library: {', '.join(unknown)}.")
    have = adopted(organisation, entries.values())
    added = []
    for code in dict.fromkeys(codes):
        if code in have:
            continue
        entry = entries[code]
        measure = services.create_measure(
            by=by,
            organisation=organisation,
            code=adopted_code(entry, organisation),
            **entry.fields,
        )
        for t in entry.targets:
            services.set_target(
                by=by, measure=measure, starts=t.starts, value=t.value, note=t.note
            )
        added.append(measure)
    return added
