"""The kinds of record that can be well-led evidence, and what each suggests.

Each kind says how to find its records for an organisation, how to describe one in
the evidence list, and which key line of enquiry and quality statement it most often
evidences (the map in the research note: decisions on signals for governance and
information, learning for improvement, involvement for engagement). Improvement
projects add their learning and involvement logs when that app is installed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import reverse

from qualitas.web.meetings.project_links import project_url


@dataclass(frozen=True)
class Item:
    """One record, described for the evidence list."""

    kind: str
    obj: models.Model
    organisation_id: int
    date: dt.date
    summary: str
    url: str


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    model: str  # app_label.ModelName
    kloe: str
    statement: str
    find: Callable[[list[int], dt.date], Iterable[Item]]  # (organisation ids, since)
    describe: Callable[[Any], Item]
    why: str = ""  # what qualifies, said when something else is tagged


def _decisions(orgs: list[int], since: dt.date) -> Iterable[Item]:
    from qualitas.web.meetings.models import Decision

    qs = Decision.objects.filter(
        meeting__committee__organisation_id__in=orgs, meeting__date__gte=since
    ).select_related("meeting__committee", "measure")
    return [_decision(d) for d in qs]


def _decision(d) -> Item:
    about = f" ({d.measure.name})" if d.measure_id else ""
    return Item(
        "decision",
        d,
        d.meeting.committee.organisation_id,
        d.meeting.date,
        f"{d.meeting.committee.name}: {d.text}{about}"[:500],
        reverse("meetings:meeting", args=[d.meeting_id]) + "#decisions",
    )


def _rebases(orgs: list[int], since: dt.date) -> Iterable[Item]:
    from qualitas.web.measures.models import Rebase

    qs = Rebase.objects.filter(
        organisation_id__in=orgs, created_at__date__gte=since
    ).select_related("measure", "organisation")
    return [_rebase(r) for r in qs]


def _rebase(r) -> Item:
    return Item(
        "rebase",
        r,
        r.organisation_id,
        r.created_at.date(),
        f"New baseline for {r.measure.name} from {r.period:%B %Y}: {r.reason}"[:500],
        reverse("measures:chart", args=[r.measure.code, r.organisation.ods_code]),
    )


def _assessments(orgs: list[int], since: dt.date) -> Iterable[Item]:
    from qualitas.web.assessments.models import Assessment

    qs = Assessment.objects.filter(
        organisation_id__in=orgs, status="completed", assessed_on__gte=since
    ).select_related("organisation", "unit")
    return [_assessment(a) for a in qs]


def _assessment(a) -> Item:
    from qualitas.web.assessments.scoring import overall

    score = overall(a)
    text = str(a) + (
        f": overall {score:.1f} of {a.spec.top}" if score is not None else ""
    )
    return Item(
        "assessment",
        a,
        a.organisation_id,
        a.assessed_on,
        text[:500],
        reverse("assessments:assessment", args=[a.pk]),
    )


def _training(orgs: list[int], since: dt.date) -> Iterable[Item]:
    from qualitas.web.assessments.models import TrainingRecord

    qs = TrainingRecord.objects.filter(
        organisation_id__in=orgs, completed_on__gte=since
    ).select_related("organisation", "unit")
    return [_train(t) for t in qs]


def _train(t) -> Item:
    where = f" on {t.unit.name}" if t.unit_id else ""
    course = f" ({t.course})" if t.course else ""
    return Item(
        "training",
        t,
        t.organisation_id,
        t.completed_on,
        (
            f"{t.people} {'person' if t.people == 1 else 'people'} trained in QI"
            f"{where}: {t.get_level_display()}{course}"
        )[:500],
        reverse("assessments:training", args=[t.organisation.ods_code]),
    )


def _claims(orgs: list[int], since: dt.date) -> Iterable[Item]:
    from qualitas.web.value.models import BenefitClaim

    qs = BenefitClaim.objects.filter(
        organisation_id__in=orgs, status="realised", signed_off_at__date__gte=since
    )
    return [_claim(c) for c in qs]


def _claim(c) -> Item:
    return Item(
        "claim",
        c,
        c.organisation_id,
        c.signed_off_at.date() if c.signed_off_at else c.created_at.date(),
        f"Saving signed off by finance: {c.title}, £{c.realised_amount or 0:,.0f} realised"[
            :500
        ],
        reverse("value:claim", args=[c.pk]),
    )


def _learning(orgs: list[int], since: dt.date) -> Iterable[Item]:
    from qualitas.web.projects.models import PDSACycle

    qs = (
        PDSACycle.objects.filter(
            change_idea__project__organisation_id__in=orgs, decided_on__gte=since
        )
        .exclude(learning="")
        .select_related("change_idea__project")
    )
    return [_cycle(c) for c in qs]


def _cycle(c) -> Item:
    project = c.change_idea.project
    return Item(
        "learning",
        c,
        project.organisation_id,
        c.decided_on or c.ended_on or c.planned_end,
        f"{project.title}, {c}: {c.get_decision_display().lower()}. Learning: {c.learning}"[
            :500
        ],
        project_url(project.pk),
    )


def _involvement(orgs: list[int], since: dt.date) -> Iterable[Item]:
    from qualitas.web.projects.models import InvolvementEntry

    qs = InvolvementEntry.objects.filter(
        project__organisation_id__in=orgs, on__gte=since
    ).select_related("project")
    return [_involved(e) for e in qs]


def _involved(e) -> Item:
    did = f" We did: {e.we_did}" if e.we_did else ""
    return Item(
        "involvement",
        e,
        e.project.organisation_id,
        e.on,
        f"{e.project.title}. You said: {e.you_said}{did}"[:500],
        project_url(e.project_id),
    )


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "decision",
            "Board or committee decision",
            "meetings.Decision",
            "W6",
            "governance",
            _decisions,
            _decision,
            "only a decision of one of the organisation's boards or committees.",
        ),
        Kind(
            "rebase",
            "Decision on a chart's signal (new baseline)",
            "measures.Rebase",
            "W6",
            "governance",
            _rebases,
            _rebase,
            "only a new baseline recorded with its reason.",
        ),
        Kind(
            "assessment",
            "Self-assessment",
            "assessments.Assessment",
            "W1",
            "capable_leaders",
            _assessments,
            _assessment,
            "only a self-assessment once it is completed.",
        ),
        Kind(
            "training",
            "QI capability: training",
            "assessments.TrainingRecord",
            "W8",
            "learning",
            _training,
            _train,
            "only a record of people trained.",
        ),
        Kind(
            "claim",
            "Realised saving",
            "value.BenefitClaim",
            "W5",
            "governance",
            _claims,
            _claim,
            "only a saving once finance has signed it off as realised.",
        ),
        Kind(
            "learning",
            "Learning from a test of change",
            "projects.PDSACycle",
            "W8",
            "learning",
            _learning,
            _cycle,
            "only a test of change once its decision and learning are written down.",
        ),
        Kind(
            "involvement",
            "Patient and carer involvement",
            "projects.InvolvementEntry",
            "W7",
            "partnerships",
            _involvement,
            _involved,
            "only an entry of a project's 'you said, we did' log.",
        ),
    )
}


def available() -> list[Kind]:
    """Kinds whose app is installed."""
    return [
        k
        for k in KINDS.values()
        if apps.is_installed(f"qualitas.web.{k.model.split('.')[0]}")
    ]


def model_of(kind: Kind) -> type[models.Model]:
    return apps.get_model(kind.model)


def suggest(kind: Kind, obj: Any) -> tuple[str, str]:
    """The KLOE and statement a record most likely evidences."""
    if kind.key == "assessment" and getattr(obj, "framework", "") == "capability":
        return "W8", "learning"
    return kind.kloe, kind.statement
