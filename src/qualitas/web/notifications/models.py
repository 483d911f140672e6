"""Who is told what by email: people's choices, the measures they follow, the events
worth telling (a signal on a measure, an action falling due) and a record of every
message owed or sent, so each event reaches each person once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from qualitas.web.measures.models import Measure
from qualitas.web.meetings.models import Action
from qualitas.web.organisations.models import Organisation


class Preference(models.Model):
    """How often a person wants email. People without a row get them straight away."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", "Straight away, one email for each event"
        WEEKLY = "weekly", "A weekly digest"
        OFF = "off", "No emails"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()}"


class Follow(models.Model):
    """A person who wants to hear about a measure's signals (besides its owner)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measure__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "measure"], name="follow_once_per_measure"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.measure}"


class Event(models.Model):
    """Something worth telling people about.

    A measure's signal at an organisation starts when its latest point first shows
    it and lasts until a later load shows the latest point without it (``ended``):
    people are told when it starts, not again every month it lasts. An action's event
    is its due date; moving the date makes a new event."""

    class Kind(models.TextChoices):
        CONCERN = "concern", "Special cause concern"
        MISSED_TARGET = "missed_target", "Latest point misses the target"
        ACTION_DUE = "action_due", "Action due"

    MEASURE_KINDS = (Kind.CONCERN, Kind.MISSED_TARGET)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField(
        help_text="The period of the point that showed the signal, or the due date."
    )
    ended = models.DateField(
        null=True,
        blank=True,
        help_text="The first later period whose latest point no longer showed it.",
    )
    # What the message says, fixed when the event happened (a digest sent days later
    # still tells what was seen then).
    subject = models.CharField(max_length=300)
    body = models.TextField()
    link = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=["concern", "missed_target"],
                        measure__isnull=False,
                        organisation__isnull=False,
                        action__isnull=True,
                    )
                    | Q(kind="action_due", action__isnull=False, measure__isnull=True)
                ),
                name="event_has_its_subject",
            ),
            # At most one signal of a kind going on at once for a measure somewhere:
            # two loads checking at the same moment cannot both start one.
            models.UniqueConstraint(
                fields=["kind", "measure", "organisation"],
                condition=Q(ended__isnull=True, measure__isnull=False),
                name="event_one_open_signal",
            ),
            models.UniqueConstraint(
                fields=["kind", "action", "period"],
                condition=Q(action__isnull=False),
                name="event_once_per_due_date",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """One person's copy of one event: owed, sent (alone or in a digest) or dropped
    because they stopped emails before it went."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        DROPPED = "dropped", "Not sent: emails were stopped"

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    reason = models.CharField(
        max_length=100, help_text="Why this person is told, in their email."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    in_digest = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"], name="delivery_once_per_person"
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="delivery_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.user} ({self.status})"
