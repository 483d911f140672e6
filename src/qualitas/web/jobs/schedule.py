"""Daily work run by the background worker, at a time of day, without cron.

django-tasks has no timetable, so each daily task is queued with ``run_after`` set
to its next run, and queues its own next run when it finishes. The worker queues
the first when it starts if none is waiting, so the chain survives restarts (a task
waiting in the database is still there after one) and a first install needs nothing
more. A :class:`~qualitas.web.jobs.models.DailyRun` row per task holds the day it
last ran; the task claims the day in it (committed) before doing the work, so two
tasks queued by mistake, or one put back after its worker was killed mid-way, never
do a day's work twice. Both the claim and the queueing of the next run hold that
row's lock, so two workers starting at once queue one chain, not two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from qualitas.web.jobs.models import DailyRun

# Name -> the task that does the work (a django-tasks task taking its context).
DAILY = {"notify": "qualitas.web.notifications.tasks.daily_notify"}


def run_at() -> dt.time | None:
    """The time of day daily work runs (``QUALITAS_NOTIFY_AT``), or None when the
    worker is not to run it (a deployment that runs `notify` from cron instead)."""
    return settings.QUALITAS_NOTIFY_AT


def next_run(now: dt.datetime, at: dt.time, last_run_on: dt.date | None) -> dt.datetime:
    """When the work should next run: at ``at`` today if it has not run today (at
    once if that time has passed: a worker that was stopped catches up), otherwise
    at ``at`` tomorrow. Times are the site's local time (summer time included)."""
    local = timezone.localtime(now)
    today = local.date()
    if last_run_on is not None and last_run_on >= today:
        return timezone.make_aware(dt.datetime.combine(today + dt.timedelta(1), at))
    return max(local, timezone.make_aware(dt.datetime.combine(today, at)))


def _locked(name: str) -> DailyRun:
    DailyRun.objects.get_or_create(name=name)
    return DailyRun.objects.select_for_update().get(name=name)


def ensure(name: str, *, besides: Any = None) -> bool:
    """Queue the next run of the daily task ``name`` unless one is waiting (or
    running, other than the task ``besides``, the one asking). Returns whether it
    queued one."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    at = run_at()
    if at is None:
        return False
    task = import_string(DAILY[name])
    with transaction.atomic():
        row = _locked(name)
        waiting = DBTaskResult.objects.filter(
            task_path=task.module_path,
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        )
        if besides is not None:
            waiting = waiting.exclude(id=besides)
        if waiting.exists():
            return False
        task.using(run_after=next_run(timezone.now(), at, row.last_run_on)).enqueue()
        return True


def ensure_all() -> list[str]:
    """What the worker does as it starts: queue each daily task not waiting yet."""
    return [name for name in DAILY if ensure(name)]


def claim(name: str, today: dt.date) -> bool:
    """Take ``today``'s run of ``name``: True for the first to ask, False after
    (committed at once, before the work, so the work is never done twice)."""
    with transaction.atomic():
        row = _locked(name)
        if row.last_run_on is not None and row.last_run_on >= today:
            return False
        row.last_run_on = today
        row.last_run_at = timezone.now()
        row.save(update_fields=["last_run_on", "last_run_at"])
        return True
