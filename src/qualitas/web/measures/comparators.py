"""Whose figures a comparison may show: the measure's sharing decides.

- published statistics (A&E, cancer waiting times, bed occupancy, PROMs): every
  organisation's figures, to anyone who may read the measure;
- shared within a system under its data-sharing agreement: the figures of every
  organisation in the same system as one of the reader's organisations;
- not shared: only the organisations whose own data the reader may see anyway.

This is the one place that answers the question; the compare page, the value
ledger's opportunities and the system report ask it, never the observations table
directly, so unpublished and unshared data of another organisation never appear.
"""

from __future__ import annotations

from typing import Any

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import organisation_ids, same_system
from qualitas.web.measures.models import Measure


def comparable_ids(user: Any, measure: Measure) -> set[int] | None:
    """Organisations whose figures for ``measure`` the user may see in a comparison;
    None for every organisation (published statistics). The caller must already have
    checked that the user may read the measure itself."""
    if measure.sharing == Measure.Sharing.PUBLISHED:
        return None
    readers = organisation_ids(user, Permission.VIEW_MEASURES)
    if measure.sharing == Measure.Sharing.SYSTEM:
        return readers | same_system(readers)
    return set(readers)


def sharing_words(measure: Measure) -> str:
    """What the comparison is allowed to show, in plain words."""
    if measure.sharing == Measure.Sharing.PUBLISHED:
        return (
            "These figures are published statistics, so every organisation that "
            "publishes them can be compared."
        )
    if measure.sharing == Measure.Sharing.SYSTEM:
        return (
            "These figures are shared within each system under its data-sharing "
            "agreement: you can compare with the organisations of your system."
        )
    return (
        "These figures are not shared: you can compare only the organisations whose "
        "own data you may see."
    )
