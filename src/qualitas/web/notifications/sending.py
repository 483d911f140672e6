"""Turning owed deliveries into email: one message per event for people who want
them straight away, one weekly digest for the others.

A delivery is claimed (marked sent) by a conditional update before its message goes,
so two senders running at once never send it twice; if the mail server refuses, the
claim is undone and a later run tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from qualitas.web.notifications import tokens
from qualitas.web.notifications.models import Delivery, Preference

log = logging.getLogger(__name__)

DIGEST_EVERY = dt.timedelta(days=7)


@dataclass
class Sent:
    messages: int = 0
    digests: int = 0
    dropped: int = 0
    failed: int = 0


def absolute(path: str) -> str:
    return settings.QUALITAS_BASE_URL + path


def unsubscribe_url(user_id: int) -> str:
    return absolute(reverse("notifications:unsubscribe", args=[tokens.make(user_id)]))


def send_pending(*, digests: bool = True, now: dt.datetime | None = None) -> Sent:
    """Send what is owed: immediate messages always, weekly digests (when ``digests``)
    to people whose last digest was at least a week ago."""
    now = now or timezone.now()
    sent = Sent()
    if not settings.QUALITAS_SEND_EMAIL:
        log.warning("EMAIL_HOST is not set: notifications are kept until it is")
        return sent
    pending = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .select_related("event", "user")
        .order_by("user_id", "created_at", "pk")
    )
    if not pending:
        return sent
    frequency = dict(
        Preference.objects.filter(user_id__in={d.user_id for d in pending}).values_list(
            "user_id", "frequency"
        )
    )
    weekly: dict[int, list[Delivery]] = defaultdict(list)
    connection = get_connection()
    for delivery in pending:
        choice = frequency.get(delivery.user_id, Preference.Frequency.IMMEDIATE)
        if choice == Preference.Frequency.OFF or not delivery.user.is_active:
            sent.dropped += Delivery.objects.filter(
                pk=delivery.pk, status=Delivery.Status.PENDING
            ).update(status=Delivery.Status.DROPPED)
        elif choice == Preference.Frequency.WEEKLY:
            weekly[delivery.user_id].append(delivery)
        elif _claim([delivery], now, in_digest=False):
            if _send(connection, _single(delivery), [delivery]):
                sent.messages += 1
            else:
                sent.failed += 1
    if digests:
        for user_id, owed in weekly.items():
            if not _claim_digest(user_id, now):
                continue
            claimed = [d for d in owed if _claim([d], now, in_digest=True)]
            if claimed and _send(connection, _digest(claimed), claimed):
                sent.digests += 1
            elif claimed:
                sent.failed += 1
                Preference.objects.filter(user_id=user_id).update(last_digest_at=None)
    return sent


def _claim(deliveries: list[Delivery], now: dt.datetime, *, in_digest: bool) -> bool:
    claimed = Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], status=Delivery.Status.PENDING
    ).update(status=Delivery.Status.SENT, sent_at=now, in_digest=in_digest)
    return claimed == len(deliveries)


def _claim_digest(user_id: int, now: dt.datetime) -> bool:
    """Take the week's digest for this person, unless one went out within a week."""
    return bool(
        Preference.objects.filter(user_id=user_id)
        .filter(
            Q(last_digest_at__isnull=True) | Q(last_digest_at__lte=now - DIGEST_EVERY)
        )
        .update(last_digest_at=now)
    )


def _send(connection, message: EmailMessage, deliveries: list[Delivery]) -> bool:
    message.connection = connection
    try:
        message.send()
    except Exception:
        log.exception("Could not send %r; it will be tried again", message.subject)
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            status=Delivery.Status.PENDING, sent_at=None, in_digest=False
        )
        return False
    return True


def _footer(user_id: int, reason: str) -> tuple[str, dict[str, str]]:
    stop = unsubscribe_url(user_id)
    text = (
        f"\n\n--\nYou get this email because {reason}.\n"
        f"Choose how often qualitas emails you: {absolute(reverse('notifications:preferences'))}\n"
        f"Stop these emails: {stop}\n"
    )
    # Mail programs show their own "unsubscribe" button from these (RFC 2369 and
    # RFC 8058 one-click); the link answers a POST without signing in.
    headers = {
        "List-Unsubscribe": f"<{stop}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return text, headers


def _single(delivery: Delivery) -> EmailMessage:
    event = delivery.event
    user = delivery.user
    footer, headers = _footer(user.pk, delivery.reason)
    body = (
        f"Hello {user.display_name},\n\n{event.body}\n\n"
        f"See it in qualitas: {absolute(event.link)}{footer}"
    )
    return EmailMessage(
        subject=f"qualitas: {event.subject}",
        body=body,
        to=[user.email],
        headers=headers,
    )


def _digest(deliveries: list[Delivery]) -> EmailMessage:
    user = deliveries[0].user
    count = len(deliveries)
    items = "\n\n".join(
        f"{i}. {d.event.subject}\n{d.event.body}\nSee it in qualitas: "
        f"{absolute(d.event.link)}"
        for i, d in enumerate(deliveries, start=1)
    )
    reasons = sorted({d.reason for d in deliveries})
    footer, headers = _footer(user.pk, " and ".join(reasons))
    body = (
        f"Hello {user.display_name},\n\n"
        f"Your weekly summary from qualitas: {count} "
        f"{'thing' if count == 1 else 'things'} to know about.\n\n{items}{footer}"
    )
    return EmailMessage(
        subject=f"qualitas: your weekly summary ({count} "
        f"{'update' if count == 1 else 'updates'})",
        body=body,
        to=[user.email],
        headers=headers,
    )
