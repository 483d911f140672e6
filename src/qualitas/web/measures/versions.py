"""Data versions, and the cache of results computed from a measure's data.

Every write to a measure's figures, targets, baselines, notes or corrections moves
the measure's ``data_version`` on, in the same transaction as the write. A result
computed from measures (the integrated report, a chart) is kept in the cache under a
key made of those measures' versions, so a change gives new keys and the old entries
are simply never asked for again: nothing has to be found and deleted, and a result
is never served after its data change, whichever server process kept it.

Keys say what was computed from what, never who asked: the person's own part of a
page (which measures they may read, the projects they can see, their permissions)
is worked out on every request, outside the cache, and only the measures they may
read go into the key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import caches
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from qualitas.web.authorization import descendants, hierarchy
from qualitas.web.measures.models import (
    Annotation,
    Correction,
    Measure,
    Observation,
    Rebase,
    Target,
)
from qualitas.web.organisations.models import Organisation

CACHE = "results"
T = TypeVar("T")


def bump(measure_ids: Iterable[int]) -> None:
    """Move the data version of these measures on (call inside the write's
    transaction, so the new version and the new data are seen together)."""
    ids = sorted({int(i) for i in measure_ids})
    if ids:
        Measure.objects.filter(pk__in=ids).update(data_version=F("data_version") + 1)


Stamp = tuple[int, int, str]


def stamps(measures: Any) -> list[Stamp]:
    """What of each measure a result depends on: its id, its data version and its
    definition's last save. ``measures`` is a queryset (read in one small query) or
    measures already loaded."""
    if hasattr(measures, "values_list"):
        rows = measures.values_list("pk", "data_version", "updated_at")
    else:
        rows = ((m.pk, m.data_version, m.updated_at) for m in measures)
    return sorted((pk, v, at.isoformat() if at else "") for pk, v, at in rows)


def key(kind: str, measure_stamps: list[Stamp], *parts: Any) -> str:
    """The cache key of a result of ``kind`` computed from the measures of
    ``measure_stamps`` (see :func:`stamps`) and ``parts`` (organisation, filters)."""
    digest = hashlib.blake2b(
        repr((kind, parts, measure_stamps)).encode(), digest_size=20
    )
    return f"qualitas:{kind}:{digest.hexdigest()}"


def organisation_part(organisation: Organisation) -> tuple[Any, ...]:
    """What of an organisation a result depends on: itself, and for a system the
    members whose figures are combined into its own."""
    members: tuple[int, ...] = ()
    if organisation.is_system:
        _, children = hierarchy()
        members = tuple(sorted(descendants(organisation.pk, children)))
    return (organisation.pk, organisation.ods_code, organisation.kind, members)


def cached(cache_key: str, compute: Callable[[], T]) -> T:
    """The value kept under ``cache_key``, computed (and kept) if there is none."""
    store = caches[CACHE]
    value = store.get(cache_key)
    if value is None:
        value = compute()
        store.set(cache_key, value)
    return value


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    bump([instance.measure_id])


# Single rows written through the models (services, the admin). Bulk writes of
# observations (imports) call bump() themselves. Observations deleted one at a
# time are withdrawals, which record a Correction (and so bump); no receiver on
# Observation's deletes, which would stop Django deleting a measure's thousands of
# rows in one statement.
for _model in (Target, Annotation, Rebase, Correction):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"version-{_model}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"version-{_model}-")
post_save.connect(_changed, sender=Observation, dispatch_uid="version-observation")
