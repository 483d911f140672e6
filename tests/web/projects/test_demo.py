"""The demonstration's projects: different stages, each journey has something to show."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from qualitas.web.demo import load
from qualitas.web.projects import evidence
from qualitas.web.projects.models import PDSACycle, Project, Spread


@pytest.fixture
def demo(db, settings):
    settings.DEMO_MODE = True
    load.build(lambda _: None)


def test_demo_projects_are_at_different_stages_with_predictions_first(demo):
    projects = list(Project.objects.all())
    assert len(projects) >= 5
    assert {p.status for p in projects} >= {
        "planning",
        "testing",
        "sustaining",
        "completed",
    }
    found = evidence.assess(projects)
    by_title = {p.title: found[p.pk] for p in projects}
    falls = by_title["Fewer falls on Ward 5"]
    assert falls.aim.status == "met"
    assert falls.suggested >= Decimal("4.0")
    assert by_title["Sepsis: antibiotics within the hour"].balancing_alerts
    assert by_title["Home before noon"].stalled
    assert by_title["Pressure ulcer prevention on Ward 9"].no_balancing
    assert Spread.objects.filter(status="adopted").exists()
    assert (
        PDSACycle.objects.filter(decision="abandon")
        .exclude(decision_reason="")
        .exists()
    )


def test_every_demo_prediction_was_written_before_its_test(demo):
    started = PDSACycle.objects.exclude(stage="plan")
    assert started.count() >= 10
    for cycle in started:
        assert cycle.prediction_recorded_at.date() < cycle.started_on, cycle


def test_demo_accounts_see_the_projects_they_should(demo, client):
    falls = Project.objects.get(title="Fewer falls on Ward 5")
    client.login(username="patient-partner", password="demo")
    html = client.get(reverse("projects:portfolio")).content.decode()
    assert "Fewer falls on Ward 5" in html
    assert "Sepsis" not in html
    assert (
        client.get(reverse("projects:involvement", args=[falls.pk])).status_code == 200
    )
    client.login(username="outsider", password="demo")
    assert (
        "Fewer falls" not in client.get(reverse("projects:portfolio")).content.decode()
    )
    assert client.get(reverse("projects:detail", args=[falls.pk])).status_code == 404
