"""The daily `notify` run by the background worker itself: queued when the worker
starts, at the set time of day, once a day whatever happens (two workers, a task
queued twice, a worker killed mid-way), and the next day's run queued after each.
Emails go to a real SMTP server; the tasks run in django-tasks' own worker code
(``run_jobs``)."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from qualitas.web.jobs import schedule
from qualitas.web.jobs import services as jobs
from qualitas.web.jobs.models import DailyRun
from qualitas.web.notifications.tasks import daily_notify
from tests.web.test_jobs import run_jobs

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def clock(monkeypatch):
    """The time as the application sees it, set by the test."""

    class Clock:
        now = _at(2026, 3, 10, 5, 0)

        def set(self, when: dt.datetime) -> None:
            self.now = when

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now.astimezone(dt.UTC))
    return c


def _waiting() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(
            task_path=daily_notify.module_path, status=TaskResultStatus.READY
        )
    )


@pytest.fixture
def action_owner(gov):
    owner = gov["role_users"]["executive"]
    owner.email = "executive@trust-a.nhs.test"
    owner.save()
    gov["action"].owner_user = owner
    gov["action"].save()
    return owner


def test_the_worker_queues_one_daily_notify_however_often_it_starts(
    db, clock, monkeypatch
):
    ran = []
    monkeypatch.setattr(
        "qualitas.web.jobs.management.commands.worker.call_command",
        lambda *a, **k: ran.append(a),
    )
    out = io.StringIO()
    call_command("worker", "--worker-id", "ward-server", stdout=out)
    assert ran == [("db_worker",)]
    assert "Queued the daily 'notify' (it runs at 07:00 each day)" in out.getvalue()
    call_command("worker", "--worker-id", "ward-server", stdout=io.StringIO())
    call_command("worker", "--worker-id", "other-server", stdout=io.StringIO())
    [task] = _waiting()
    assert task.run_after == _at(2026, 3, 10, 7, 0)
    # --batch (run what waits, then stop) queues nothing.
    DBTaskResult.objects.all().delete()
    call_command("worker", "--batch", stdout=io.StringIO())
    assert _waiting() == []


def test_notify_runs_at_its_time_then_queues_tomorrows(
    gov, action_owner, smtp_server, clock
):
    schedule.ensure_all()
    clock.set(_at(2026, 3, 10, 6, 59))
    run_jobs()
    assert smtp_server.messages == []  # not yet seven o'clock
    clock.set(_at(2026, 3, 10, 7, 0))
    run_jobs()
    [message] = smtp_server.to(action_owner.email)
    assert message["Subject"] == "qualitas: Action due: Present the falls deep dive"
    assert DailyRun.objects.get(name="notify").last_run_on == dt.date(2026, 3, 10)
    [tomorrow] = _waiting()
    assert tomorrow.run_after == _at(2026, 3, 11, 7, 0)


def test_notify_queued_twice_does_the_days_work_once_and_keeps_one_chain(
    gov, action_owner, smtp_server, clock
):
    clock.set(_at(2026, 3, 10, 9, 30))  # the worker was down at seven: it catches up
    schedule.ensure_all()
    daily_notify.enqueue()  # a second, by mistake
    run_jobs()
    assert len(smtp_server.to(action_owner.email)) == 1
    runs = DBTaskResult.objects.filter(task_path=daily_notify.module_path)
    assert sorted(r.return_value for r in runs if r.return_value)[0].startswith(
        "1 actions fell due"
    )
    assert "notify had already run on 2026-03-10" in [r.return_value for r in runs]
    [tomorrow] = _waiting()
    assert tomorrow.run_after == _at(2026, 3, 11, 7, 0)


def test_notify_put_back_after_its_worker_was_killed_sends_nothing_twice(
    gov, action_owner, smtp_server, clock
):
    clock.set(_at(2026, 3, 10, 7, 5))
    schedule.ensure_all()
    [task] = _waiting()
    run_jobs("ward-server")
    assert len(smtp_server.to(action_owner.email)) == 1
    # As if the worker had been killed after sending, before marking the task done.
    DBTaskResult.objects.filter(id=task.id).update(status=TaskResultStatus.RUNNING)
    assert jobs.requeue_interrupted("ward-server") == 1
    run_jobs("ward-server")
    assert len(smtp_server.to(action_owner.email)) == 1
    assert len(_waiting()) == 1
    # The next day it runs again (and the action, told once, is not told again).
    clock.set(_at(2026, 3, 11, 7, 0))
    run_jobs("ward-server")
    assert DailyRun.objects.get(name="notify").last_run_on == dt.date(2026, 3, 11)
    assert len(smtp_server.to(action_owner.email)) == 1


def test_a_deployment_that_runs_notify_from_cron_can_turn_the_worker_s_off(
    db, clock, settings
):
    settings.QUALITAS_NOTIFY_AT = None
    assert schedule.ensure_all() == []
    assert _waiting() == []


@pytest.mark.parametrize(
    ("now", "last", "expected"),
    [
        # Before the time, not run today: today at the time.
        (_at(2026, 3, 10, 5, 0), None, _at(2026, 3, 10, 7, 0)),
        # After it, not run today (the worker was stopped): at once.
        (_at(2026, 3, 10, 9, 0), dt.date(2026, 3, 9), _at(2026, 3, 10, 9, 0)),
        # Run today: tomorrow, at seven o'clock summer time after the clocks change.
        (_at(2026, 3, 28, 8, 0), dt.date(2026, 3, 28), _at(2026, 3, 29, 7, 0)),
    ],
)
def test_next_run_is_at_the_time_of_day_in_local_time(now, last, expected):
    got = schedule.next_run(now, dt.time(7, 0), last)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()
