"""Scores from answers: each level's score (Low 1, Medium 2, High 3; or 1 to 4 for
capability), averaged over the questions answered in each dimension."""

from __future__ import annotations

from qualitas.web.assessments.models import Assessment


def dimension_scores(assessment: Assessment) -> dict[str, float | None]:
    """Dimension key -> mean score of its answered questions (None if none)."""
    spec = assessment.spec
    levels = {lv.key: lv.score for lv in spec.levels}
    answers = {a.question: a.level for a in assessment.answers.all() if a.level}
    out: dict[str, float | None] = {}
    for d in spec.dimensions:
        scores = [levels[answers[q.key]] for q in d.questions if q.key in answers]
        out[d.key] = sum(scores) / len(scores) if scores else None
    return out


def overall(assessment: Assessment) -> float | None:
    scores = [s for s in dimension_scores(assessment).values() if s is not None]
    return sum(scores) / len(scores) if scores else None
