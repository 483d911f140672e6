"""The changes people make to their own notifications: follow or stop following a
measure, and choose how often to be emailed. Each is recorded in the audit log."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import record
from qualitas.web.authorization import require
from qualitas.web.measures.models import Measure
from qualitas.web.notifications.models import Follow, Preference


@transaction.atomic
def follow(*, by: Any, measure: Measure) -> Follow:
    require(by, Permission.VIEW_MEASURES, measure)
    follow, created = Follow.objects.get_or_create(user=by, measure=measure)
    if created:
        record(
            by=by,
            action="notifications.followed",
            obj=follow,
            organisation=measure.organisation,
            summary=f"{by} follows {measure.name}",
        )
    return follow


@transaction.atomic
def unfollow(*, by: Any, measure: Measure) -> None:
    deleted, _ = Follow.objects.filter(user=by, measure=measure).delete()
    if deleted:
        record(
            by=by,
            action="notifications.unfollowed",
            organisation=measure.organisation,
            object_type="notifications.follow",
            object_id=measure.pk,
            summary=f"{by} no longer follows {measure.name}",
        )


@transaction.atomic
def set_frequency(*, by: Any, user: Any, frequency: str) -> Preference:
    """``by`` is the person themself, or None when they used an unsubscribe link
    (which proves who they are without signing in)."""
    if frequency not in Preference.Frequency.values:
        raise ValueError(f"unknown frequency {frequency!r}")
    preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
    before = preference.frequency
    if before != frequency:
        preference.frequency = frequency
        preference.save(update_fields=["frequency", "updated_at"])
        how = "with the link in an email" if by is None else "on their preferences page"
        record(
            by=by,
            action="notifications.frequency_changed",
            obj=preference,
            organisation=None,
            summary=f"{user} chose “{preference.get_frequency_display()}” {how}",
            before={"frequency": before},
            after={"frequency": frequency},
        )
    return preference
