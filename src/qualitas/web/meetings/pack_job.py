"""The board pack as a background job: drawing a pack's charts and writing its PDF
or PowerPoint takes from a few seconds to half a minute, too long for a request."""

from __future__ import annotations

from typing import Any

from django.utils import formats

from qualitas.reports import packs
from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission
from qualitas.web.jobs import services as jobs
from qualitas.web.jobs.models import Job
from qualitas.web.jobs.runners import JobFailed, Outcome, Report
from qualitas.web.meetings import pack as meeting_pack
from qualitas.web.meetings.models import Meeting

FORMATS = {
    "pdf": ("PDF", "application/pdf"),
    "pptx": (
        "PowerPoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
}


def start(*, by: Any, meeting: Meeting, fmt: str) -> Job:
    """Queue the pack of a frozen meeting; the caller has checked ``by`` may export
    the organisation's report."""
    name, _ = FORMATS[fmt]
    day = formats.date_format(meeting.date, "j F Y")
    return jobs.start(
        by=by,
        kind="board_pack",
        title=f"Board pack ({name}): {meeting.committee.name}, {day}",
        organisation=meeting.committee.organisation,
        permission=Permission.EXPORT_REPORT,
        params={"meeting": meeting.pk, "format": fmt},
    )


def run(job: Job, report: Report) -> Outcome:
    meeting = (
        Meeting.objects.select_related("committee__organisation", "snapshot")
        .filter(pk=job.params["meeting"])
        .first()
    )
    if meeting is None or not hasattr(meeting, "snapshot"):
        raise JobFailed(
            "The meeting or its frozen report has been deleted since you asked for the pack."
        )
    # Asked again now: a role can be taken away while the job waits.
    if not has_permission(
        job.requested_by, Permission.EXPORT_REPORT, meeting.committee.organisation
    ):
        raise JobFailed("You no longer have permission to download this board pack.")
    fmt = job.params["format"]
    pack, charts = meeting_pack.build(
        meeting, lambda fraction, step: report(0.05 + 0.75 * fraction, step)
    )
    report(0.8, f"Writing the {FORMATS[fmt][0]} file")
    data = (
        packs.pack_pdf(pack, charts) if fmt == "pdf" else packs.pack_pptx(pack, charts)
    )
    return Outcome(
        data=data,
        filename=meeting_pack.filename(meeting, fmt),
        content_type=FORMATS[fmt][1],
    )
