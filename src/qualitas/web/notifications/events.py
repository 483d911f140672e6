"""Finding the events people are told about, and who is owed a message for each.

Signals on measures are checked after data arrive (``after_data_change``, called by
the data-in services, queues the check for the background worker); actions falling due are
checked by the scheduled ``notify`` command. Both only record events and deliveries;
``sending`` turns deliveries into email.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission
from qualitas.web.board import report
from qualitas.web.measures import words
from qualitas.web.measures.models import Measure
from qualitas.web.meetings.models import Action
from qualitas.web.notifications.models import Delivery, Event, Preference
from qualitas.web.organisations.models import Organisation


def after_data_change(pairs: Iterable[tuple[int, int]]) -> None:
    """Queue a check of the latest points of these (measure id, organisation id)
    series, for the background worker; call it inside the transaction that saves the
    data, so the check is queued exactly when the data are kept.

    The worker records the signals that start and sends what is owed straight away;
    if the mail server cannot be reached the deliveries stay owed and the scheduled
    ``notify`` command sends them later."""
    from qualitas.web.notifications.tasks import check_changed_series

    series = sorted({(int(m), int(o)) for m, o in pairs})
    if series:
        check_changed_series.enqueue([list(s) for s in series])


def check_measures(pairs: Iterable[tuple[int, int]]) -> list[Event]:
    """Start or end the signals of these series from their latest points; returns the
    events that started (each with its deliveries recorded)."""
    by_org: dict[int, set[int]] = defaultdict(set)
    for measure_id, org_id in pairs:
        by_org[org_id].add(measure_id)
    started: list[Event] = []
    for org_id, measure_ids in sorted(by_org.items()):
        organisation = Organisation.objects.filter(pk=org_id).first()
        measures = list(
            Measure.objects.filter(pk__in=measure_ids).select_related(
                "organisation", "owner_user"
            )
        )
        if organisation is None or not measures:
            continue
        rows = report.build(organisation, measures).rows
        for row in rows:
            found = {
                Event.Kind.CONCERN: row.variation.startswith("concern"),
                Event.Kind.MISSED_TARGET: misses_target(row),
            }
            for kind, showing in found.items():
                event = _update_signal(kind, row, organisation, showing)
                if event is not None:
                    started.append(event)
    return started


def misses_target(row: report.Row) -> bool:
    """Is the latest point on the wrong side of its target?"""
    if row.target is None:
        return False
    direction = row.measure.direction
    if direction == Measure.Direction.INCREASE:
        return row.value < row.target
    if direction == Measure.Direction.DECREASE:
        return row.value > row.target
    return False


def _update_signal(
    kind: str, row: report.Row, organisation: Organisation, showing: bool
) -> Event | None:
    period = row.period.date()
    with transaction.atomic():
        going_on = (
            Event.objects.select_for_update()
            .filter(
                kind=kind,
                measure=row.measure,
                organisation=organisation,
                ended__isnull=True,
            )
            .first()
        )
        if going_on is not None:
            if not showing and period > going_on.period:
                going_on.ended = period
                going_on.save(update_fields=["ended"])
            return None
        if not showing:
            return None
        subject, body = _signal_words(kind, row, organisation)
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    kind=kind,
                    measure=row.measure,
                    organisation=organisation,
                    period=period,
                    subject=subject,
                    body=body,
                    link=reverse(
                        "measures:chart", args=[row.measure.code, organisation.ods_code]
                    ),
                )
        except IntegrityError:
            return None  # another load started the same signal a moment ago
        _owe(event, _measure_audience(row.measure, organisation))
    return event


def _signal_words(
    kind: str, row: report.Row, organisation: Organisation
) -> tuple[str, str]:
    m = row.measure
    where = f"{m.name} at {organisation.name}"
    point = f"{row.period_label}: {row.fmt(row.value)} {m.unit}".rstrip()
    if kind == Event.Kind.CONCERN:
        subject = f"Special cause concern: {where}"
        body = (
            f"The latest point for {where} ({point}) shows "
            f"{words.VARIATION[row.variation].lower()}.\n\n"
            f"{words.VARIATION_MEANING[row.variation]}"
        )
    else:
        subject = f"Target missed: {where}"
        body = (
            f"The latest point for {where} ({point}) misses the target of "
            f"{row.fmt(row.target)} ({m.get_direction_display().lower()}).\n\n"
            f"{row.assurance_text}: "
            f"{words.ASSURANCE_MEANING[row.assurance or '']}"
        )
    return subject, body


def _measure_audience(measure: Measure, organisation: Organisation) -> dict[Any, str]:
    """The owner and followers who may see the measure's data at the organisation."""
    people: dict[Any, str] = {}
    for follow in measure.followers.select_related("user"):
        people[follow.user] = "you follow this measure"
    if measure.owner_user is not None:
        people[measure.owner_user] = "you own this measure"
    return {
        user: reason
        for user, reason in people.items()
        if has_permission(user, Permission.VIEW_MEASURES, organisation)
    }


def _owe(event: Event, audience: dict[Any, str]) -> None:
    """Record a delivery for each person who wants email and has an address."""
    stopped = set(
        Preference.objects.filter(
            user__in=list(audience), frequency=Preference.Frequency.OFF
        ).values_list("user_id", flat=True)
    )
    Delivery.objects.bulk_create(
        [
            Delivery(event=event, user=user, reason=reason)
            for user, reason in audience.items()
            if user.is_active and user.email and user.pk not in stopped
        ],
        ignore_conflicts=True,
    )


def check_due_actions(today: dt.date | None = None) -> list[Event]:
    """An event for every open action with an owner's account that is due by ``today``
    and has not had one for its due date."""
    today = today or dt.date.today()
    started = []
    due = (
        Action.objects.filter(
            status=Action.Status.OPEN, due__lte=today, owner_user__isnull=False
        )
        .select_related("meeting__committee__organisation", "owner_user")
        .order_by("due", "pk")
    )
    for action in due:
        if Event.objects.filter(
            kind=Event.Kind.ACTION_DUE, action=action, period=action.due
        ).exists():
            continue
        meeting = action.meeting
        when = "today" if action.due == today else f"on {action.due:%-d %B %Y}"
        try:
            with transaction.atomic():
                event = Event.objects.create(
                    kind=Event.Kind.ACTION_DUE,
                    action=action,
                    period=action.due,
                    subject=f"Action due: {_short(action.text)}",
                    body=(
                        f"The action “{action.text}” from the "
                        f"{meeting.committee.name} meeting of "
                        f"{meeting.date:%-d %B %Y} fell due {when}. It stays on the "
                        "committee's action log until it is closed at a meeting."
                    ),
                    link=reverse("meetings:meeting", args=[meeting.pk]),
                )
                _owe(event, {action.owner_user: "you own this action"})
        except IntegrityError:
            continue
        started.append(event)
    return started


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
