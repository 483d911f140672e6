"""An offline lookup of ODS codes: the name of a trust or ICB and the ICB a trust
belongs to, from the files beside this module (their source is in README.md)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class OdsEntry:
    code: str
    name: str
    kind: str  # "system" (an ICB) or "trust"
    parent: str = ""  # the ICB's code, for a trust that has one


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def entries() -> dict[str, OdsEntry]:
    """Every known code (upper case) -> its entry."""
    out = {
        r["ods_code"]: OdsEntry(r["ods_code"], r["name"], "system")
        for r in _rows("icbs.csv")
    }
    for r in _rows("trusts.csv"):
        out[r["ods_code"]] = OdsEntry(r["ods_code"], r["name"], "trust", r["icb_code"])
    return out


def lookup(code: str) -> OdsEntry | None:
    """The entry for an ODS code (any case, spaces ignored), or None if unknown.

    >>> lookup("rae").name
    'Bradford Teaching Hospitals NHS Foundation Trust'
    >>> lookup("RAE").parent, lookup("QWO").kind
    ('QWO', 'system')
    >>> lookup("X99") is None
    True
    """
    return entries().get(code.strip().upper())
