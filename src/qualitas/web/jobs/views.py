"""A job's page (with its progress bar, polled by htmx), its result, and the list of
a person's own jobs. Only the person who asked sees a job, and only while they still
hold the permission it needed: anyone else gets 404."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qualitas.web.authorization import get_job_for_user
from qualitas.web.jobs.models import Job
from qualitas.web.signed_in import SignedInRequest

# Seconds between looks at a job that is not finished yet.
POLL_SECONDS = 1


@login_required
@require_GET
def index(request: SignedInRequest) -> HttpResponse:
    jobs = (
        Job.objects.filter(requested_by=request.user)
        .select_related("organisation")
        .defer("result", "payload")
    )
    return render(request, "jobs/index.html", {"jobs": jobs[:50]})


@login_required
@require_GET
@never_cache
def detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    job = get_job_for_user(request.user, pk)
    return render(request, "jobs/detail.html", {"job": job, "poll": POLL_SECONDS})


@login_required
@require_GET
@never_cache
def status(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The progress panel alone, which the job's page swaps in while it waits."""
    job = get_job_for_user(request.user, pk)
    return render(request, "jobs/_status.html", {"job": job, "poll": POLL_SECONDS})


@login_required
@require_GET
def download(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    job = get_job_for_user(request.user, pk, with_result=True)
    if not job.has_file or job.result is None:
        raise Http404("This job has no file to download")
    response = HttpResponse(bytes(job.result), content_type=job.result_type)
    # The name is ours (made from the committee's name with only letters, digits and
    # hyphens), so it needs no quoting beyond the quotes.
    response["Content-Disposition"] = f'attachment; filename="{job.result_name}"'
    response["Cache-Control"] = "private, no-store"
    return response
