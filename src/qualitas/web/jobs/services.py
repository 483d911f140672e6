"""Starting jobs, running them in the worker, and putting back what a stopped worker
left half done."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.jobs.models import Job
from qualitas.web.jobs.runners import RUNNERS, JobFailed, runner

log = logging.getLogger(__name__)

UNEXPECTED = (
    "Something went wrong while doing this, and it has been logged for your "
    "qualitas administrator. Try again; if it fails again, tell them."
)
# Progress is written at most this often (seconds), so a fast loop of small steps
# does not turn into a stream of database writes.
PROGRESS_EVERY = 0.5


@transaction.atomic
def start(
    *,
    by: Any,
    kind: str,
    title: str,
    organisation: Any,
    permission: Permission,
    params: dict[str, Any] | None = None,
    payload: bytes | None = None,
) -> Job:
    """Record a job and queue it. The caller has checked ``by`` may do it; the worker
    checks again when it runs. Queued in the same transaction, so a job the
    database does not keep is never run."""
    from qualitas.web.jobs.tasks import run_job

    if kind not in RUNNERS:
        raise ValueError(f"no runner for jobs of kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        title=title[:200],
        requested_by=by,
        organisation=organisation,
        permission=str(permission),
        params=params or {},
        payload=payload,
        step="Waiting for the background worker",
    )
    result = run_job.enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)
    return job


class _Progress:
    def __init__(self, job: Job) -> None:
        self.job_id = job.pk
        self.last = 0.0
        self.step = ""

    def __call__(self, fraction: float, step: str) -> None:
        now = time.monotonic()
        if step == self.step and now - self.last < PROGRESS_EVERY:
            return
        self.last, self.step = now, step
        percent = max(0, min(99, int(fraction * 100)))
        Job.objects.filter(pk=self.job_id).update(progress=percent, step=step[:200])


def run(job_id: str) -> str:
    """Run one job (the worker calls this through the task). Returns its status."""
    job = Job.objects.select_related("requested_by", "organisation").get(pk=job_id)
    if job.finished:
        return job.status  # run already (a task queued twice does nothing twice)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), progress=0
    )
    try:
        outcome = runner(job.kind)(job, _Progress(job))
    except (JobFailed, ValidationError) as e:
        message = "; ".join(e.messages) if isinstance(e, ValidationError) else str(e)
        _fail(job, message)
        return Job.Status.FAILED
    except Exception:
        log.exception("Job %s (%s) failed", job.pk, job.kind)
        _fail(job, UNEXPECTED)
        raise  # the task's own record keeps the traceback for the administrator
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE,
        progress=100,
        step="Done",
        finished_at=timezone.now(),
        payload=None,
        result=outcome.data,
        result_name=outcome.filename[:200],
        result_type=outcome.content_type[:120],
        result_url=outcome.url[:300],
    )
    return Job.Status.DONE


def _fail(job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED,
        step="Stopped",
        message=message or UNEXPECTED,
        finished_at=timezone.now(),
        payload=None,
    )


def requeue_interrupted(worker_id: str) -> int:
    """Put back the tasks a worker with this id was running when it stopped (killed,
    or its machine restarted): a worker starting with that id is not running them,
    so they will never finish otherwise. Returns how many were put back."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    put_back = 0
    with transaction.atomic():
        running = DBTaskResult.objects.select_for_update().filter(
            status=TaskResultStatus.RUNNING
        )
        for task in running:
            if not task.worker_ids or task.worker_ids[-1] != worker_id:
                continue
            task.status = TaskResultStatus.READY
            task.started_at = None
            task.save(update_fields=["status", "started_at"])
            job_id = (task.args_kwargs.get("args") or [None])[0]
            if job_id:
                Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
                    status=Job.Status.QUEUED,
                    progress=0,
                    step="Waiting to start again (the background worker restarted)",
                )
            put_back += 1
    return put_back
