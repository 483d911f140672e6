"""The background tasks of notifications, run by the worker
(`python -m qualitas.web worker`): checking changed series after data arrive, so a
data load's request never waits for the engine or the mail server, and the daily
run of `notify`, timed by the worker itself (jobs/schedule.py)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import TaskContext, task


@task()
def check_changed_series(pairs: list[list[int]]) -> str:
    from qualitas.web.notifications import events, sending

    started = events.check_measures((m, o) for m, o in pairs)
    sent = sending.send_pending(digests=False)
    return (
        f"{len(started)} signals started; {sent.messages} emails sent, "
        f"{sent.failed} left for notify to retry"
    )


@task(takes_context=True)
def daily_notify(context: TaskContext) -> str:
    """What `notify` does, once a day at ``QUALITAS_NOTIFY_AT``: actions fallen due,
    messages still owed, weekly digests. Then the next day's run is queued."""
    from qualitas.web.jobs import schedule
    from qualitas.web.notifications import events, sending

    try:
        today = timezone.localdate()
        if not schedule.claim("notify", today):
            return f"notify had already run on {today:%Y-%m-%d}"
        due = events.check_due_actions(today)
        sent = sending.send_pending(digests=True)
        return (
            f"{len(due)} actions fell due; sent {sent.messages} emails and "
            f"{sent.digests} weekly digests; {sent.failed} could not be sent and "
            "wait for the next run"
        )
    finally:
        # Even after a failure: tomorrow's run still happens.
        schedule.ensure("notify", besides=context.task_result.id)
