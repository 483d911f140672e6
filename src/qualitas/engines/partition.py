"""Running one request on part of the series at a time.

Engines split a table into groups of whole series (blocks on one machine, partitions on
Spark) and run the kernel on each. A result is the same whether a series is computed
alone or with others, except for settings given per series (a mapping from series key
to target, direction or rebase dates): each group gets only the entries for its own
series, and the engine checks afterwards that every entry named some series.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from qualitas.errors import QualitasError


def mapped_settings(request: Any) -> dict[str, list[Hashable]]:
    """The request's per-series settings: field name -> the series keys it names."""
    return {
        f.name: list(getattr(request, f.name))
        for f in dataclasses.fields(request)
        if isinstance(getattr(request, f.name), Mapping)
    }


def restrict(request: Any, frame: pd.DataFrame) -> tuple[Any, dict[str, list[int]]]:
    """The request with per-series settings cut down to the series in ``frame``, and
    for each such setting the positions of the keys that were found."""
    settings = mapped_settings(request)
    if not settings:
        return request, {}
    present = series_present(frame, request.by)
    changes: dict[str, Any] = {}
    found: dict[str, list[int]] = {}
    for name, keys in settings.items():
        mapping = getattr(request, name)
        hits = [i for i, key in enumerate(keys) if _normal(key, request.by) in present]
        found[name] = hits
        changes[name] = {keys[i]: mapping[keys[i]] for i in hits}
    return dataclasses.replace(request, **changes), found


def check_found(request: Any, found: Iterable[dict[str, list[int]]]) -> None:
    """Raise if a per-series setting names a series that no group held."""
    settings = mapped_settings(request)
    seen: dict[str, set[int]] = {name: set() for name in settings}
    for part in found:
        for name, hits in part.items():
            seen[name].update(hits)
    for name, keys in settings.items():
        unknown = [keys[i] for i in range(len(keys)) if i not in seen[name]]
        if unknown:
            raise QualitasError(
                f"{name} names {len(unknown)} series not in the data: "
                + ", ".join(map(repr, unknown[:5]))
                + (" ..." if len(unknown) > 5 else "")
            )


def series_present(frame: pd.DataFrame, by: Sequence[str]) -> set[Hashable]:
    if not by:
        return set()
    if len(by) == 1:
        return set(frame[by[0]].dropna().unique().tolist())
    return set(frame[list(by)].drop_duplicates().itertuples(index=False, name=None))


def _normal(key: Hashable, by: Sequence[str]) -> Hashable:
    # A one-column key may be given bare or as a 1-tuple, as the kernels accept.
    if len(by) == 1 and isinstance(key, tuple) and len(key) == 1:
        bare: Hashable = key[0]
        return bare
    return key


def count_series(summary: pd.DataFrame, by: Sequence[str]) -> int:
    """How many series a result covers (its summary has a row per series and
    segment or phase)."""
    if not by:
        return int(len(summary) > 0)
    return len(summary[list(by)].drop_duplicates())
