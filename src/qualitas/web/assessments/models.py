"""Self-assessments (QI-governance maturity, improvement capability) with their
answers and evidence, and the training records and staff numbers that feed the
capability picture."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from qualitas.web.assessments.frameworks import FRAMEWORKS
from qualitas.web.organisations.models import Organisation, Unit

FRAMEWORK_CHOICES = [(f.key, f.name) for f in FRAMEWORKS.values()]


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        COMPLETED = "completed", "Completed"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="assessments"
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments",
        help_text="For a team's improvement capability; empty for the organisation.",
    )
    framework = models.CharField(max_length=20, choices=FRAMEWORK_CHOICES)
    assessed_on = models.DateField(default=dt.date.today)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    note = models.TextField(blank=True, help_text="Who took part and how.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", completed_at__isnull=True)
                | Q(status="completed", completed_at__isnull=False),
                name="assessment_completed_with_time",
            ),
            models.CheckConstraint(
                condition=Q(framework="capability") | Q(unit__isnull=True),
                name="assessment_only_capability_per_unit",
            ),
        ]

    def __str__(self) -> str:
        where = self.unit.name if self.unit_id else self.organisation.name
        return f"{self.get_framework_display()}: {where}, {self.assessed_on:%B %Y}"

    @property
    def spec(self):
        return FRAMEWORKS[self.framework]

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED


class Answer(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.CharField(max_length=60)
    level = models.CharField(max_length=12, blank=True)
    evidence = models.TextField(blank=True)
    # What qualitas proposed from its own records, kept beside the people's answer.
    proposed_level = models.CharField(max_length=12, blank=True)
    proposed_reason = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="answer_once_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.level or 'not answered'}"


class TrainingRecord(models.Model):
    """People trained in quality improvement: how many, at what level, when."""

    class Level(models.TextChoices):
        AWARENESS = "awareness", "Awareness (an introduction for everyone)"
        FOUNDATION = "foundation", "Foundation (can take part in a project)"
        PRACTITIONER = "practitioner", "Practitioner (can lead a project)"
        EXPERT = "expert", "Expert or coach (can teach and coach others)"
        BOARD = "board", "Board development (governing for improvement)"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="training_records"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(max_length=12, choices=Level.choices)
    people = models.PositiveIntegerField(help_text="How many people completed it.")
    completed_on = models.DateField()
    course = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(people__gt=0), name="training_has_people"
            )
        ]

    def __str__(self) -> str:
        return f"{self.people} trained ({self.get_level_display()}), {self.completed_on:%B %Y}"


class Headcount(models.Model):
    """Staff in post in an organisation or unit, so training can be read as a share."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="headcounts"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    staff = models.PositiveIntegerField()
    as_of = models.DateField(default=dt.date.today)

    class Meta:
        ordering = ["-as_of", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(staff__gt=0), name="headcount_positive")
        ]
