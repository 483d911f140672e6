"""A background job as its requester sees it: progress, then a result or a reason."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from qualitas.web.organisations.models import Organisation


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "In progress"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    # A random id in the address: a job's page cannot be found by counting.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+"
    )
    # The permission the requester needs in the organisation to see the result; it is
    # checked again when they come back for it.
    permission = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    # Input too big for params (an uploaded file); cleared once the job has run.
    payload = models.BinaryField(null=True, blank=True, editable=False)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True, help_text="Why the job failed, in words.")
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # The result: a file kept in the database (so the web server and the worker need
    # no shared disk), or a page of the application to go to.
    result = models.BinaryField(null=True, blank=True, editable=False)
    result_name = models.CharField(max_length=200, blank=True)
    result_type = models.CharField(max_length=120, blank=True)
    result_url = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="job_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["done", "failed"])
                | Q(finished_at__isnull=False),
                name="job_finished_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(message=""),
                name="job_failure_has_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display().lower()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def has_file(self) -> bool:
        return self.status == self.Status.DONE and bool(self.result_name)


class DailyRun(models.Model):
    """When a piece of daily work (the notifications' ``notify``) last ran: the
    worker's clock, as the task queue has no timetable of its own
    (jobs/schedule.py). The day is claimed here before the work starts, so a task
    queued twice, or put back after its worker stopped, does a day's work once."""

    name = models.CharField(max_length=60, primary_key=True)
    last_run_on = models.DateField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: last ran {self.last_run_at or 'never'}"
