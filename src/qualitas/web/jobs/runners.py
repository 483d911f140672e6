"""What each kind of job does. A runner takes the job and a ``report`` callable
(fraction done from 0 to 1, and the step in words) and returns its :class:`Outcome`.

Runners live beside the work they wrap (the board pack in ``meetings``, imports in
``measures``); this table names them by import path so the worker loads only what a
job needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import import_string

Report = Callable[[float, str], None]

RUNNERS = {
    "board_pack": "qualitas.web.meetings.pack_job.run",
    "import_check": "qualitas.web.measures.import_jobs.check",
    "import_apply": "qualitas.web.measures.import_jobs.apply",
    "assessment_proposals": "qualitas.web.assessments.proposal_job.run",
}


@dataclass(frozen=True)
class Outcome:
    """A file to download (``data``, ``filename``, ``content_type``), or a page of
    the application (``url``) that shows the result."""

    data: bytes | None = None
    filename: str = ""
    content_type: str = ""
    url: str = ""


class JobFailed(Exception):
    """A failure the requester can act on; its message is shown to them as it is."""


def runner(kind: str) -> Callable[..., Outcome]:
    return import_string(RUNNERS[kind])
