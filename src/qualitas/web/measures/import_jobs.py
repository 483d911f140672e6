"""Large imports as background jobs: checking a big file and applying a big batch
each take longer than a request should (about 12 seconds for 100,000 rows).

The import keeps its two steps: the file is checked into a batch the person reviews
(its preview page is the job's result), and only then applied. Small files still go
straight through in the request: for them a job would only add a wait.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.urls import reverse

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission
from qualitas.web.jobs import services as jobs
from qualitas.web.jobs.models import Job
from qualitas.web.jobs.runners import JobFailed, Outcome, Report
from qualitas.web.measures import services
from qualitas.web.measures.models import ImportBatch
from qualitas.web.organisations.models import Organisation


def in_background(size: int) -> bool:
    """Whether a file of ``size`` bytes is checked by the worker."""
    return size >= settings.QUALITAS_BACKGROUND_IMPORT_BYTES


def apply_in_background(batch: ImportBatch) -> bool:
    return batch.rows >= settings.QUALITAS_BACKGROUND_IMPORT_ROWS


def start_check(
    *, by: Any, organisation: Organisation, filename: str, size: int, chunks: Any
) -> Job:
    """Keep the uploaded file on a job for the worker to check. A file over the size
    limit is not kept; the job records it as refused, as the request would."""
    limit = settings.QUALITAS_MAX_UPLOAD_BYTES
    digest = hashlib.sha256()
    kept: list[bytes] = []
    for chunk in chunks:
        digest.update(chunk)
        if size <= limit:
            kept.append(chunk)
    return jobs.start(
        by=by,
        kind="import_check",
        title=f"Checking {filename[:150]}",
        organisation=organisation,
        permission=Permission.IMPORT_DATA,
        params={"filename": filename[:255], "size": size, "hash": digest.hexdigest()},
        payload=b"".join(kept),
    )


def start_apply(*, by: Any, batch: ImportBatch) -> Job:
    return jobs.start(
        by=by,
        kind="import_apply",
        title=f"Loading {batch.rows:,} rows of import #{batch.pk}",
        organisation=batch.organisation,
        permission=Permission.IMPORT_DATA,
        params={"batch": batch.pk},
    )


def _allowed(job: Job) -> None:
    if not has_permission(job.requested_by, Permission.IMPORT_DATA, job.organisation):
        raise JobFailed(
            f"You no longer have permission to load data for {job.organisation.name}."
        )


def check(job: Job, report: Report) -> Outcome:
    _allowed(job)
    report(0.1, "Reading and checking every row")
    batch = services.check_file(
        by=job.requested_by,
        organisation=job.organisation,
        filename=job.params["filename"],
        data=bytes(job.payload or b""),
        size=job.params["size"],
        file_hash=job.params["hash"],
    )
    return Outcome(url=reverse("data:batch", args=[batch.pk]))


def apply(job: Job, report: Report) -> Outcome:
    _allowed(job)
    batch = ImportBatch.objects.filter(
        pk=job.params["batch"], organisation=job.organisation
    ).first()
    if batch is None:
        raise JobFailed("This import no longer exists.")
    report(0.1, f"Loading {batch.rows:,} rows")
    services.apply_import(by=job.requested_by, batch=batch)
    return Outcome(url=reverse("data:batch", args=[batch.pk]))
