"""The production pair as real processes: `python -m qualitas.web serve` (gunicorn)
answers pages and static files on a free port, and `python -m qualitas.web worker`
runs a queued job end to end, including one that a stopped worker left half done.

Each test has its own SQLite database file, so it needs no server of its own.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def site(tmp_path):
    """Run `python -m qualitas.web ...` against a fresh, migrated database file."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUALITAS_", "DATABASE_", "SECRET_KEY", "DJANGO_"))
    }
    env = {
        **clean,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "QUALITAS_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
    }

    def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "-m", "qualitas.web", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    def start(*args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "qualitas.web", *args],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    run("migrate", "--verbosity", "0")
    return run, start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read()


def test_the_server_command_serves_pages_and_static_files(site):
    _, start = site
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "2")
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _, body = _get(f"{base}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        assert (status, body) == (200, b'{"status": "ok"}')
        status, kind, body = _get(f"{base}/accounts/login/")
        assert status == 200
        assert b"Sign in" in body
        status, kind, _ = _get(f"{base}/static/qualitas/css/qualitas.css")
        assert (status, kind.split(";")[0]) == (200, "text/css")
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    assert server.returncode == 0, output
    assert "Using worker: gthread" in output  # gunicorn, not Django's runserver
    assert 'GET /accounts/login/ HTTP/1.1" 200' in output  # the access log


SETUP = """
from django_tasks_db.models import DBTaskResult
from qualitas.web.jobs.models import Job
from qualitas.web.measures import import_jobs
from tests.web import factories as f

org = f.OrganisationFactory(ods_code="RAA")
f.MeasureFactory(code="falls", organisation=org)
user = f.MembershipFactory(organisation=org, role="analyst").user
data = b"measure,organisation,period,numerator,denominator\\n" + b"".join(
    b"falls,RAA,2024-%02d,%d,9000\\n" % (m, 40 + m) for m in range(1, 13)
)
job = import_jobs.start_check(
    by=user, organisation=org, filename="falls.csv", size=len(data), chunks=[data]
)
if STOPPED:
    # A worker called "ward-server" took the job, then was killed mid-way.
    DBTaskResult.objects.get(id=job.task_id).claim("ward-server")
    Job.objects.filter(pk=job.pk).update(status="running", progress=40)
"""

REPORT = """
from qualitas.web.jobs.models import Job
from qualitas.web.measures.models import ImportBatch
job = Job.objects.get()
batch = ImportBatch.objects.first()
print(job.status, job.progress, job.result_url or "-", batch.status if batch else "-")
"""


@pytest.mark.parametrize("stopped", [False, True], ids=["queued", "left-running"])
def test_the_worker_command_runs_a_queued_job_to_the_end(site, stopped):
    run, _ = site
    run("shell", "--no-imports", "-c", f"STOPPED = {stopped}\n{SETUP}")
    before = run("shell", "--no-imports", "-c", REPORT).stdout.split()
    assert before == (
        ["running", "40", "-", "-"] if stopped else ["queued", "0", "-", "-"]
    )

    worker = run("worker", "--batch", "--worker-id", "ward-server")

    assert ("Put back 1 job" in worker.stdout) is stopped
    status, progress, url, batch = run(
        "shell", "--no-imports", "-c", REPORT
    ).stdout.split()
    assert (status, progress, batch) == ("done", "100", "previewed")
    assert url.startswith("/data/")
