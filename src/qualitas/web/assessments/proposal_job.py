"""Starting a self-assessment as a background job: qualitas looks through a year of
the organisation's records (its integrated report, meetings, projects, training) to
propose an answer to each question, which takes too long for a request on a large
organisation. The person is taken to the new questionnaire when it is ready."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.assessments import services
from qualitas.web.assessments.frameworks import FRAMEWORKS
from qualitas.web.assessments.models import Assessment
from qualitas.web.authorization import has_permission
from qualitas.web.jobs import services as jobs
from qualitas.web.jobs.models import Job
from qualitas.web.jobs.runners import JobFailed, Outcome, Report
from qualitas.web.organisations.models import Organisation, Unit


def start(
    *, by: Any, organisation: Organisation, framework: str, unit: Unit | None
) -> Job:
    """Queue the new assessment; a framework or unit that cannot be used is refused
    here (ValidationError), before anything is queued. The caller has checked ``by``
    may assess the organisation; the job checks again when it runs."""
    services.check_start(organisation=organisation, framework=framework, unit=unit)
    today = timezone.localdate()
    where = f"{organisation.name}{f', {unit.name}' if unit else ''}"
    return jobs.start(
        by=by,
        kind="assessment_proposals",
        title=f"{FRAMEWORKS[framework].name} self-assessment: {where}, "
        f"{formats.date_format(today, 'j F Y')}",
        organisation=organisation,
        permission=Permission.ASSESS_GOVERNANCE,
        params={
            "framework": framework,
            "unit": unit.pk if unit else None,
            "assessed_on": today.isoformat(),
        },
    )


def run(job: Job, report: Report) -> Outcome:
    org = job.organisation
    # Asked again now: a role can be taken away while the job waits.
    if not has_permission(job.requested_by, Permission.ASSESS_GOVERNANCE, org):
        raise JobFailed(
            f"You no longer have permission to assess {org.name}, so the "
            "self-assessment was not started."
        )
    unit = None
    if job.params.get("unit") is not None:
        unit = Unit.objects.filter(pk=job.params["unit"], organisation=org).first()
        if unit is None:
            raise JobFailed(
                "The unit has been removed since you asked, so its self-assessment "
                "was not started."
            )
    # The assessment and the note of it on the job are written together: a job run
    # again (its worker stopped before recording that it was done) finds the
    # assessment it made instead of making a second one.
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        made = Assessment.objects.filter(pk=locked.params.get("assessment")).first()
        if made is None:
            made = services.start_assessment(
                by=job.requested_by,
                organisation=org,
                framework=job.params["framework"],
                unit=unit,
                assessed_on=dt.date.fromisoformat(job.params["assessed_on"]),
                progress=lambda fraction, step: report(0.05 + 0.9 * fraction, step),
            )
            locked.params = {**locked.params, "assessment": made.pk}
            locked.save(update_fields=["params"])
    return Outcome(url=reverse("assessments:assessment", args=[made.pk]))
