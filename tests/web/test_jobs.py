"""Background jobs: board packs and large imports leave the request, show progress,
keep their result for the person who asked (and nobody else), say why they failed,
and are put back when the worker that was running them stops.

The jobs run through django-tasks' real database worker, in this process, on the
test database (``run_jobs``); tests/web/test_server.py runs the worker command as
its own process.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from qualitas.web.jobs import services as jobs
from qualitas.web.jobs.models import Job
from qualitas.web.measures.models import ImportBatch, Observation


def run_jobs(worker_id: str = "test-worker") -> None:
    """What `python -m qualitas.web worker --batch` does, in this process: put back
    what this worker id left running, then claim and run each waiting task with the
    database worker's own ``run_task``. (Its loop also closes the database connection
    between tasks, which would end the test's transaction.)"""
    jobs.requeue_interrupted(worker_id)
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    while True:
        with transaction.atomic():
            task = DBTaskResult.objects.ready().get_locked()
            if task is None:
                return
            task.claim(worker_id)
        worker.run_task(task)


def _status(client, job) -> str:
    return client.get(reverse("jobs:status", args=[job.pk])).content.decode()


def _ask_for_pack(client, meeting, fmt="pdf"):
    response = client.post(reverse("meetings:pack", args=[meeting.pk]), {"format": fmt})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    return job


def test_the_board_pack_is_prepared_by_the_worker_and_kept_for_download(gov, client):
    client.force_login(gov["role_users"]["board_member"])
    job = _ask_for_pack(client, gov["first"])
    # Asking returns at once; the page polls while the job waits for the worker.
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Waiting to start" in page
    assert 'hx-trigger="every 1s"' in page
    assert "<progress" in page

    run_jobs()

    job.refresh_from_db()
    assert (job.status, job.progress) == (Job.Status.DONE, 100)
    status = _status(client, job)
    assert "Your file is ready" in status
    assert "hx-trigger" not in status  # finished: the page stops polling
    pdf = client.get(reverse("jobs:download", args=[job.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content[:5] == b"%PDF-"
    assert (
        'filename="quality-and-safety-committee-2024-07-10-pack.pdf"'
        in pdf["Content-Disposition"]
    )
    # The job stays listed with its result, to come back to.
    listed = client.get(reverse("jobs:index")).content.decode()
    assert "Board pack (PDF): Quality and Safety Committee, 10 July 2024" in listed
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_the_powerpoint_pack_is_a_presentation(gov, client):
    client.force_login(gov["role_users"]["board_member"])
    job = _ask_for_pack(client, gov["first"], "pptx")
    run_jobs()
    pptx = client.get(reverse("jobs:download", args=[job.pk]))
    assert pptx.content[:2] == b"PK"
    assert pptx["Content-Disposition"].endswith('-2024-07-10-pack.pptx"')


def test_a_pack_needs_a_frozen_report_and_a_known_format(gov, client):
    client.force_login(gov["role_users"]["board_member"])
    url = reverse("meetings:pack", args=[gov["second"].pk])
    assert client.post(url, {"format": "pdf"}).status_code == 404
    url = reverse("meetings:pack", args=[gov["first"].pk])
    assert client.post(url, {"format": "docx"}).status_code == 302
    assert client.get(url).status_code == 405
    assert not Job.objects.exists()


def test_nobody_but_the_requester_sees_a_job_or_its_file(gov, client):
    client.force_login(gov["role_users"]["board_member"])
    job = _ask_for_pack(client, gov["first"])
    run_jobs()
    urls = [
        reverse(name, args=[job.pk])
        for name in ("jobs:detail", "jobs:status", "jobs:download")
    ]
    # A colleague in the same organisation, with the same rights, and an outsider.
    for other in (gov["role_users"]["executive"], gov["users"]["outsider"]):
        client.force_login(other)
        assert [client.get(u).status_code for u in urls] == [404, 404, 404]
        assert (
            "Quality and Safety"
            not in client.get(reverse("jobs:index")).content.decode()
        )
    client.logout()
    assert all(client.get(u).status_code == 302 for u in urls)  # to sign in


def test_a_requester_who_loses_the_permission_loses_the_result(gov, client):
    user = gov["role_users"]["board_member"]
    client.force_login(user)
    job = _ask_for_pack(client, gov["first"])
    run_jobs()
    user.memberships.all().delete()
    client.force_login(user)
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_a_job_whose_meeting_went_says_so_plainly(gov, client):
    client.force_login(gov["role_users"]["board_member"])
    job = _ask_for_pack(client, gov["first"])
    gov["first"].snapshot.delete()
    run_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    status = _status(client, job)
    assert "This could not be done" in status
    assert "frozen report has been deleted" in status
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_an_unexpected_error_is_a_plain_message_and_a_logged_traceback(gov, client):
    user = gov["role_users"]["board_member"]
    job = jobs.start(
        by=user,
        kind="board_pack",
        title="A pack in a format nobody offers",
        organisation=gov["trust_a"],
        permission="export_report",
        params={"meeting": gov["first"].pk, "format": "docx"},
    )
    run_jobs()
    job.refresh_from_db()
    assert (job.status, job.message) == (Job.Status.FAILED, jobs.UNEXPECTED)
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == TaskResultStatus.FAILED
    assert "KeyError" in task.traceback


def test_jobs_a_stopped_worker_was_running_are_put_back_and_finished(gov, client):
    client.force_login(gov["role_users"]["board_member"])
    job = _ask_for_pack(client, gov["first"])
    # A worker called "ward-server" claims the task, then is killed mid-way.
    task = DBTaskResult.objects.get(id=job.task_id)
    task.claim("ward-server")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=40)
    run_jobs("another-machine")  # a different worker leaves it alone
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING

    run_jobs("ward-server")  # the same worker, started again, puts it back first

    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert client.get(reverse("jobs:download", args=[job.pk])).content[:5] == b"%PDF-"


LARGE_ROWS = 40


def _csv(rows: int) -> bytes:
    lines = ["measure,organisation,period,numerator,denominator"]
    day = dt.date(2010, 1, 1)
    for i in range(rows):
        month = dt.date(
            day.year + (day.month - 1 + i) // 12, (day.month - 1 + i) % 12 + 1, 1
        )
        lines.append(f"falls,RAA,{month:%Y-%m},{40 + i % 7},9000")
    return ("\n".join(lines) + "\n").encode()


def test_a_large_file_is_checked_then_applied_in_the_background(
    world, client, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.QUALITAS_BACKGROUND_IMPORT_BYTES = 100
    settings.QUALITAS_BACKGROUND_IMPORT_ROWS = 10
    analyst = world["role_users"]["analyst"]
    client.force_login(analyst)
    before = Observation.objects.count()
    response = client.post(
        reverse("data:upload"),
        {
            "organisation": "RAA",
            "file": SimpleUploadedFile("big.csv", _csv(LARGE_ROWS), "text/csv"),
        },
    )
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.payload is not None
    run_jobs()

    job.refresh_from_db()
    batch = ImportBatch.objects.get()
    assert job.status == Job.Status.DONE
    assert job.payload is None  # the file is not kept once checked
    assert job.result_url == reverse("data:batch", args=[batch.pk])
    assert (batch.status, batch.rows) == (ImportBatch.Status.PREVIEWED, LARGE_ROWS)
    assert Observation.objects.count() == before  # checked, not applied

    response = client.post(reverse("data:apply", args=[batch.pk]))
    apply_job = Job.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("jobs:detail", args=[apply_job.pk])
    run_jobs()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert Observation.objects.count() > before


def test_a_small_file_is_still_checked_in_the_request(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world["role_users"]["analyst"])
    response = client.post(
        reverse("data:upload"),
        {"organisation": "RAA", "file": SimpleUploadedFile("s.csv", _csv(3))},
    )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("data:batch", args=[batch.pk])
    assert not Job.objects.exists()


@pytest.mark.parametrize("role", ["team_member", "board_member"])
def test_people_who_may_not_import_cannot_start_an_import_job(world, client, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world["role_users"][role])
    response = client.post(
        reverse("data:upload"),
        {"organisation": "RAA", "file": SimpleUploadedFile("s.csv", _csv(3))},
    )
    assert response.status_code == 403
    assert not Job.objects.exists()
