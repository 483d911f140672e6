"""The one task the worker runs: a job, by id (its inputs are in the database)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_job(job_id: str) -> str:
    from qualitas.web.jobs import services

    return services.run(job_id)
