"""How corrections and withdrawals show where a value is read: a note on the chart at
the period, and a mark in the integrated report and meeting reports.

The records themselves are :class:`~qualitas.web.measures.models.Correction`; the
services that make them are ``services.correct_value`` and ``services.withdraw_value``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from django.utils import timezone

from qualitas.web.authorization import descendants, hierarchy
from qualitas.web.measures import words
from qualitas.web.measures.models import Correction
from qualitas.web.organisations.models import Organisation


def describe(c: Correction, decimals: int) -> str:
    """One sentence: what changed, when, and why."""
    when = f"{timezone.localtime(c.created_at):%-d %b %Y}"
    old = words.number(c.old_value, decimals)
    if c.withdrawn:
        return f"Value withdrawn on {when} (it was {old}): {c.reason}"
    new = words.number(c.new_value, decimals)
    return f"Value corrected on {when} from {old} to {new}: {c.reason}"


def in_report(c: Correction, organisation: Organisation, decimals: int) -> str:
    """The sentence for a report's row, starting with the period (and the member
    organisation, when a system's figure combines its members')."""
    where = f"{c.period:%B %Y}"
    if c.organisation_id != organisation.pk:
        where += f", {c.organisation.name}"
    return f"{where}: {describe(c, decimals)}"


def chart_notes(
    corrections: Iterable[Correction], decimals: int
) -> list[tuple[pd.Timestamp, str]]:
    """Chart notes, one per correction, at the period corrected."""
    return [(pd.Timestamp(c.period), describe(c, decimals)) for c in corrections]


def of_series(measure_id: int, organisation_id: int, unit_id: int | None = None):
    """Corrections of one chart's values: the organisation's (or one unit's) totals."""
    qs = Correction.objects.filter(
        measure_id=measure_id, organisation_id=organisation_id, breakdown=""
    )
    return qs.filter(unit_id=unit_id) if unit_id else qs.filter(unit__isnull=True)


def by_measure(
    measure_ids: Iterable[int],
    organisation: Organisation,
    *,
    until: dt.date | None = None,
    after: dt.datetime | None = None,
) -> dict[int, list[Correction]]:
    """Corrections of the totals a report draws for ``organisation`` (its own and, as
    a system's figures may combine them, its members'), per measure, oldest first.
    ``until``: only periods up to then (a data cut); ``after``: only corrections made
    after then (since a report was frozen)."""
    _, children = hierarchy()
    orgs = {organisation.pk, *descendants(organisation.pk, children)}
    qs = Correction.objects.totals().filter(
        measure_id__in=list(measure_ids), organisation_id__in=orgs
    )
    if until is not None:
        qs = qs.filter(period__lte=until)
    if after is not None:
        qs = qs.filter(created_at__gt=after)
    out: dict[int, list[Correction]] = {}
    for c in qs.select_related("organisation").order_by("created_at", "id"):
        out.setdefault(c.measure_id, []).append(c)
    return out
