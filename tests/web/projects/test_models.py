"""The invariants the database itself keeps for projects (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from qualitas.web.projects.models import PDSACycle, ProgressScore
from tests.web.projects import factories as pf


def _started(cycle: PDSACycle) -> PDSACycle:
    cycle.stage = PDSACycle.Stage.DO
    cycle.prediction_recorded_at = timezone.now()
    cycle.started_on = dt.date(2024, 2, 1)
    cycle.save()
    return cycle


def test_a_started_cycle_keeps_its_prediction_even_against_direct_updates(db):
    cycle = _started(pf.CycleFactory())
    with pytest.raises(DatabaseError, match="prediction"), transaction.atomic():
        PDSACycle.objects.filter(pk=cycle.pk).update(prediction="Something else")
    with pytest.raises(DatabaseError), transaction.atomic():
        PDSACycle.objects.filter(pk=cycle.pk).update(question="Another question")
    with pytest.raises(DatabaseError), transaction.atomic():
        PDSACycle.objects.filter(pk=cycle.pk).update(
            stage="plan", prediction_recorded_at=None, started_on=None
        )
    cycle.refresh_from_db()
    assert cycle.prediction.startswith("At least 8")


def test_a_started_cycle_can_still_record_what_happened(db):
    cycle = _started(pf.CycleFactory())
    cycle.what_happened = "Done on 9 of 10 patients."
    cycle.save()
    cycle.refresh_from_db()
    assert cycle.what_happened == "Done on 9 of 10 patients."


def test_a_cycle_in_planning_may_change_its_prediction(db):
    cycle = pf.CycleFactory()
    PDSACycle.objects.filter(pk=cycle.pk).update(prediction="Half of them")
    cycle.refresh_from_db()
    assert cycle.prediction == "Half of them"


def test_no_test_starts_without_a_written_prediction(db):
    cycle = pf.CycleFactory(prediction="")
    cycle.stage = PDSACycle.Stage.DO
    cycle.prediction_recorded_at = timezone.now()
    cycle.started_on = dt.date(2024, 2, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        cycle.save()


def test_abandoning_an_idea_must_say_why(db):
    cycle = _started(pf.CycleFactory())
    cycle.stage = PDSACycle.Stage.DONE
    cycle.ended_on = dt.date(2024, 2, 8)
    cycle.result = "No change"
    cycle.outcome = "no"
    cycle.decision = "abandon"
    cycle.decided_on = dt.date(2024, 2, 9)
    with pytest.raises(IntegrityError), transaction.atomic():
        cycle.save()
    cycle.decision_reason = "Staff could not find time at handover."
    cycle.save()


def test_progress_scores_stay_on_the_ihi_scale(db):
    project = pf.ProjectFactory()
    ProgressScore.objects.create(project=project, score=Decimal("3.5"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressScore.objects.create(project=project, score=Decimal("3.2"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressScore.objects.create(project=project, score=Decimal("0.0"))
