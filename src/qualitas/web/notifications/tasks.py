"""The background task that checks changed series and sends what is owed, run by
the worker (`python -m qualitas.web worker`) so a data load's request never waits
for the engine or the mail server."""

from __future__ import annotations

from django_tasks import task


@task()
def check_changed_series(pairs: list[list[int]]) -> str:
    from qualitas.web.notifications import events, sending

    started = events.check_measures((m, o) for m, o in pairs)
    sent = sending.send_pending(digests=False)
    return (
        f"{len(started)} signals started; {sent.messages} emails sent, "
        f"{sent.failed} left for notify to retry"
    )
