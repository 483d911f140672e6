"""Every change to self-assessments, training records and staff numbers. Each
function takes the acting user as ``by=``, checks their permission, runs in one
transaction and records an audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.assessments import proposals, scoring
from qualitas.web.assessments.frameworks import FRAMEWORKS
from qualitas.web.assessments.models import (
    Answer,
    Assessment,
    Headcount,
    TrainingRecord,
)
from qualitas.web.audit.services import record, snapshot
from qualitas.web.authorization import require
from qualitas.web.organisations.models import Organisation, Unit

P = Permission


def check_start(
    *, organisation: Organisation, framework: str, unit: Unit | None
) -> None:
    """Refuse, with the reason, an assessment that cannot be started (asked before
    it is queued, so the person hears at once)."""
    spec = FRAMEWORKS.get(framework)
    if spec is None:
        raise ValidationError({"framework": "Choose a framework."})
    if unit is not None and (
        not spec.per_unit or unit.organisation_id != organisation.pk
    ):
        raise ValidationError(
            {"unit": "Choose a unit of the organisation (capability only)."}
        )


@transaction.atomic
def start_assessment(
    *,
    by: Any,
    organisation: Organisation,
    framework: str,
    unit: Unit | None = None,
    assessed_on: dt.date | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> Assessment:
    """A new assessment with every question listed and qualitas's proposals beside
    them (nothing is answered yet). Looking through the records for the proposals
    takes a while: the web starts this as a background job (proposal_job.py), which
    passes its progress bar as ``progress``."""
    require(by, P.ASSESS_GOVERNANCE, organisation)
    check_start(organisation=organisation, framework=framework, unit=unit)
    spec = FRAMEWORKS[framework]
    assessment = Assessment.objects.create(
        organisation=organisation,
        unit=unit,
        framework=framework,
        assessed_on=assessed_on or timezone.localdate(),
        created_by=by,
    )
    proposed = proposals.propose(assessment, progress)
    Answer.objects.bulk_create(
        Answer(
            assessment=assessment,
            question=q.key,
            proposed_level=proposed[q.key].level if q.key in proposed else "",
            proposed_reason=proposed[q.key].reason if q.key in proposed else "",
        )
        for q in spec.questions
    )
    record(
        by=by,
        action="assessment.started",
        obj=assessment,
        summary=f"Started a self-assessment: {assessment}",
        after={
            "framework": framework,
            "unit": unit.pk if unit else None,
            "proposed": len(proposed),
        },
    )
    return assessment


def _editable(assessment: Assessment) -> None:
    if assessment.is_completed:
        raise ValidationError(
            "The assessment is completed; start a new one to assess again."
        )


@transaction.atomic
def save_answers(
    *, by: Any, assessment: Assessment, answers: dict[str, tuple[str, str]]
) -> Assessment:
    """``answers``: question key -> (level key or "", evidence)."""
    require(by, P.ASSESS_GOVERNANCE, assessment.organisation)
    _editable(assessment)
    spec = assessment.spec
    valid = {lv.key for lv in spec.levels}
    stored = {a.question: a for a in assessment.answers.all()}
    changed = {}
    for key, (level, evidence) in answers.items():
        if key not in stored:
            raise ValidationError(f"{key} is not a question of this assessment.")
        if level and level not in valid:
            raise ValidationError({key: f"Choose one of {', '.join(sorted(valid))}."})
        answer = stored[key]
        if (answer.level, answer.evidence) != (level, evidence.strip()):
            changed[key] = {"level": level, "was": answer.level}
            answer.level, answer.evidence = level, evidence.strip()
            answer.answered_by, answer.answered_at = by, timezone.now()
            answer.save()
    if changed:
        record(
            by=by,
            action="assessment.answered",
            obj=assessment,
            summary=f"Answered {len(changed)} question(s) of {assessment}",
            after=changed,
        )
    return assessment


@transaction.atomic
def complete(*, by: Any, assessment: Assessment) -> Assessment:
    """Every question needs a level and evidence; an answer that takes qualitas's
    proposal may use its reason as the evidence."""
    require(by, P.ASSESS_GOVERNANCE, assessment.organisation)
    _editable(assessment)
    spec = assessment.spec
    problems = []
    for answer in assessment.answers.all():
        q = spec.question(answer.question)
        if not answer.level:
            problems.append(f"Answer: {q.text}")
        elif not answer.evidence:
            if answer.level == answer.proposed_level and answer.proposed_reason:
                answer.evidence = f"From qualitas's records: {answer.proposed_reason}"
                answer.save(update_fields=["evidence"])
            else:
                problems.append(f"Give the evidence for: {q.text}")
    if problems:
        raise ValidationError(problems)
    assessment.status = Assessment.Status.COMPLETED
    assessment.completed_at = timezone.now()
    assessment.completed_by = by
    assessment.save(update_fields=["status", "completed_at", "completed_by"])
    score = scoring.overall(assessment)
    record(
        by=by,
        action="assessment.completed",
        obj=assessment,
        summary=f"Completed {assessment}"
        + (f": overall {score:.1f} of {spec.top}" if score is not None else ""),
        after={"scores": scoring.dimension_scores(assessment)},
    )
    return assessment


@transaction.atomic
def record_training(
    *,
    by: Any,
    organisation: Organisation,
    level: str,
    people: int,
    completed_on: dt.date,
    unit: Unit | None = None,
    course: str = "",
) -> TrainingRecord:
    require(by, P.RECORD_TRAINING, organisation)
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ValidationError({"unit": "Choose a unit of the organisation."})
    row = TrainingRecord(
        organisation=organisation,
        unit=unit,
        level=level,
        people=people,
        completed_on=completed_on,
        course=course.strip(),
        recorded_by=by,
    )
    row.full_clean()
    row.save()
    record(
        by=by,
        action="training.recorded",
        obj=row,
        summary=f"Recorded {people} people trained in QI ({row.get_level_display().split(' (')[0].lower()})"
        + (f" on {unit.name}" if unit else ""),
        after=snapshot(row),
    )
    return row


@transaction.atomic
def set_headcount(
    *,
    by: Any,
    organisation: Organisation,
    staff: int,
    unit: Unit | None = None,
    as_of: dt.date | None = None,
) -> Headcount:
    require(by, P.RECORD_TRAINING, organisation)
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ValidationError({"unit": "Choose a unit of the organisation."})
    row = Headcount(
        organisation=organisation,
        unit=unit,
        staff=staff,
        as_of=as_of or timezone.localdate(),
    )
    row.full_clean()
    row.save()
    record(
        by=by,
        action="headcount.recorded",
        obj=row,
        summary=f"{staff} staff in post"
        + (f" on {unit.name}" if unit else f" at {organisation.name}"),
        after=snapshot(row),
    )
    return row
