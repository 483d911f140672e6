"""Boards and committees, their members and meetings; a meeting's frozen quality
report, its narrative per measure, and the decisions and actions it records."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from qualitas.web.measures.models import Measure
from qualitas.web.organisations.models import Organisation


class CommitteeQuerySet(models.QuerySet):
    def visible_to(self, user):
        from qualitas.web.accounts.permissions import Permission
        from qualitas.web.authorization import organisation_ids

        return self.filter(
            organisation_id__in=organisation_ids(user, Permission.VIEW_MEASURES)
        )


class Committee(models.Model):
    """A board, or a committee of the board (quality, finance, people...)."""

    class Kind(models.TextChoices):
        BOARD = "board", "Board"
        COMMITTEE = "committee", "Committee"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="committees"
    )
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subcommittees",
        help_text="The board a committee reports to.",
    )
    measures_committee = models.CharField(
        "measures reviewed",
        max_length=100,
        blank=True,
        help_text="The report shows the measures whose committee in the register has "
        "this name; leave empty for every measure (a board).",
    )
    purpose = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommitteeQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="committee_name_unique"
            ),
            models.CheckConstraint(
                condition=~Q(reports_to=models.F("id")),
                name="committee_not_reporting_to_itself",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="committee_has_name"),
        ]

    def __str__(self) -> str:
        return self.name


class CommitteeMember(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        MEMBER = "member", "Member"
        ATTENDEE = "attendee", "In attendance"
        SECRETARY = "secretary", "Secretary"

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seats"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(
        max_length=150, blank=True, help_text="e.g. Chief Nurse, Non-executive director"
    )

    class Meta:
        ordering = ["role", "user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "user"], name="committee_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.committee})"

    @property
    def organisation_id(self) -> int:
        return self.committee.organisation_id


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held"

    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="meetings"
    )
    date = models.DateField()
    data_cut = models.DateField(
        help_text="The last month of data the meeting's report shows (its first day)."
    )
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "date"], name="meeting_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(data_cut__lte=models.F("date")),
                name="meeting_data_cut_not_after_meeting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.committee.name}, {self.date.day} {self.date:%B %Y}"

    @property
    def organisation_id(self) -> int:
        return self.committee.organisation_id

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.HELD

    def previous(self) -> Meeting | None:
        return (
            Meeting.objects.filter(committee_id=self.committee_id, date__lt=self.date)
            .order_by("-date")
            .first()
        )


class ReportSnapshot(models.Model):
    """The integrated quality report as it stood at the meeting's data cut, frozen:
    later uploads, rebases or new targets do not change what the meeting saw.

    ``rows`` holds the summary table (one dict per measure); ``points`` and ``icons``
    the engine's tables as columns of values, enough to draw every chart again;
    ``notes`` the chart annotations at the time (measure id -> [[period, text]]);
    ``system_grid`` a system meeting's system report (see meetings.snapshot).
    """

    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, related_name="snapshot"
    )
    taken_at = models.DateTimeField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    data_cut = models.DateField()
    rows = models.JSONField(default=list)
    points = models.JSONField(default=dict)
    icons = models.JSONField(default=dict)
    notes = models.JSONField(default=dict)
    without_data = models.JSONField(default=list)
    # A system's meeting: its system report (every measure × every organisation of
    # the system) at the same data cut; empty for other meetings.
    system_grid = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Report for {self.meeting} (data to {self.data_cut:%B %Y})"


class ChartImage(models.Model):
    """A frozen chart drawn as PNG for the board pack, kept so that the second
    download does not draw it again. Dropped whenever the report is frozen again."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="chart_images"
    )
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    png = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "measure"], name="chart_image_unique"
            )
        ]


class ReportItem(models.Model):
    """The narrative for one measure at one meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    chart_tells_us = models.TextField("what the chart tells us", blank=True)
    doing = models.TextField("what we are doing", blank=True)
    # True while the text is still what qualitas suggested (from the chart and the
    # linked projects); freezing the report again refreshes only such items.
    prefilled = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "measure"], name="report_item_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} at {self.meeting}"

    @property
    def organisation_id(self) -> int:
        return self.meeting.committee.organisation_id


class Decision(models.Model):
    """What the meeting decided, often about a signal on a measure."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="decisions"
    )
    text = models.TextField()
    measure = models.ForeignKey(
        Measure,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The measure whose chart prompted the decision, if any.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="decision_has_text")
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def organisation_id(self) -> int:
        return self.meeting.committee.organisation_id


class ActionQuerySet(models.QuerySet):
    def open_at(self, meeting: Meeting):
        """Actions of the committee raised before ``meeting`` and still open when it
        met, or closed at it: the log the meeting reviews."""
        return self.filter(
            meeting__committee_id=meeting.committee_id, meeting__date__lt=meeting.date
        ).filter(
            Q(status=Action.Status.OPEN)
            | Q(closed_on__gte=meeting.date)
            | Q(closed_at_meeting=meeting)
        )


class Action(models.Model):
    """Something someone must do by a date. It comes back to each meeting of the
    committee until it is closed."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        related_name="actions",
        help_text="The meeting that raised it.",
    )
    text = models.TextField()
    owner = models.CharField(
        max_length=150, help_text="Who will do it, e.g. Chief Nurse."
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting_actions",
    )
    due = models.DateField()
    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.ForeignKey(
        Decision,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    closed_at_meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="closed_actions",
    )
    closed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="action_has_text"),
            models.CheckConstraint(condition=~Q(owner=""), name="action_has_owner"),
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False),
                name="action_closed_with_date",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def organisation_id(self) -> int:
        return self.meeting.committee.organisation_id

    def is_overdue(self, on: dt.date | None = None) -> bool:
        return self.status == self.Status.OPEN and self.due < (on or dt.date.today())


class ActionUpdate(models.Model):
    """Progress reported on an action at a meeting."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField()
    closed = models.BooleanField(default=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="action_update_has_note")
        ]
