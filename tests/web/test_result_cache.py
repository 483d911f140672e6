"""Results kept in the cache under data versions: every kind of write moves the
version on (so a kept page is never served after its data change), and a kept page
never shows one person what only another may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qualitas.web.measures import services, versions
from qualitas.web.measures.models import Measure, Observation
from tests.web.factories import MeasureFactory
from tests.web.project_factories import ProjectFactory, ProjectMeasureFactory

NEXT = dt.date(2025, 1, 1)


def _version(measure: Measure) -> int:
    return Measure.objects.get(pk=measure.pk).data_version


def _entered(world):
    """An observation of the world's measure at trust A, entered by its owner."""
    obs, _ = services.enter_value(
        by=world["users"]["owner"],
        measure=world["measure"],
        organisation=world["trust_a"],
        period=NEXT,
        numerator=90,
        denominator=9000,
    )
    return obs


WRITES = {
    "value entered": lambda w: _entered(w),
    "value corrected": lambda w: services.correct_value(
        by=w["users"]["owner"],
        observation=Observation.objects.filter(
            measure=w["measure"], organisation=w["trust_a"], breakdown=""
        ).first(),
        reason="Miscounted",
        numerator=12,
        denominator=9000,
    ),
    "value withdrawn": lambda w: services.withdraw_value(
        by=w["users"]["owner"],
        observation=Observation.objects.filter(
            measure=w["measure"], organisation=w["trust_a"], breakdown=""
        ).first(),
        reason="Entered twice",
    ),
    "target set": lambda w: services.set_target(
        by=w["users"]["owner"], measure=w["measure"], starts=NEXT, value=3.0
    ),
    "note added": lambda w: services.add_annotation(
        by=w["users"]["owner"],
        measure=w["measure"],
        organisation=w["trust_a"],
        period=w["periods"][3],
        text="New falls policy",
    ),
    "baseline changed": lambda w: services.rebase(
        by=w["users"]["owner"],
        measure=w["measure"],
        organisation=w["trust_a"],
        period=w["periods"][12],
        reason="New process from here",
    ),
    "rows loaded": lambda w: services.load_records(
        by=w["users"]["owner"],
        organisation=w["trust_a"],
        records=[
            {
                "measure": "falls",
                "organisation": "RAA",
                "period": "2025-01",
                "numerator": 40,
                "denominator": 9000,
            }
        ],
    ),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_to_a_measures_data_moves_its_version_on(world, write):
    before = _version(world["measure"])
    WRITES[write](world)
    assert _version(world["measure"]) > before


def test_a_changed_definition_gives_a_new_key_though_the_data_are_the_same(world):
    measure = Measure.objects.get(pk=world["measure"].pk)
    old = versions.key("report", versions.stamps([measure]))
    services.update_measure(
        by=world["users"]["owner"], measure=measure, name="Falls (all wards)"
    )
    new = versions.key("report", versions.stamps(Measure.objects.filter(pk=measure.pk)))
    assert new != old


def _latest_value_cell(html: str) -> str:
    return html.split('class="num"><strong>', 1)[1].split("</strong>", 1)[0]


def test_the_report_shows_a_new_value_at_once_though_the_old_page_was_kept(
    world, client_for
):
    client = client_for(world["users"]["owner"])
    url = reverse("board:report", args=["RAA"])
    first = client.get(url).content.decode()
    with CaptureQueriesContext(connection) as kept:
        again = client.get(url).content.decode()
    assert _latest_value_cell(again) == _latest_value_cell(first)
    _entered(world)  # 90 in 9,000: 10 per 1,000 bed days, far above the rest
    after = client.get(url).content.decode()
    assert _latest_value_cell(after) == "10.0"
    assert _latest_value_cell(after) != _latest_value_cell(first)
    # The kept page saved the engine's work: no query of the observations.
    assert not any("measures_observation" in q["sql"] for q in kept.captured_queries)


@pytest.fixture
def project_on_falls(world):
    project = ProjectFactory(
        organisation=world["trust_a"], title="Safer nights on Ward 5"
    )
    ProjectMeasureFactory(project=project, measure=world["measure"])
    return project


@pytest.mark.parametrize("first", ["owner", "patient_partner"])
def test_a_kept_report_shows_each_reader_only_the_projects_they_may_see(
    world, client_for, project_on_falls, first
):
    readers = {
        "owner": world["users"]["owner"],
        "patient_partner": world["role_users"]["patient_partner"],
    }
    url = reverse("board:report", args=["RAA"])
    order = [first, *(r for r in readers if r != first)]
    pages = {name: client_for(readers[name]).get(url) for name in order}
    assert all(p.status_code == 200 for p in pages.values())
    # The same table was kept for both (the same measures at the same versions)...
    assert len([k for k in caches[versions.CACHE]._cache if ":page" in k]) == 1
    # ...yet only the owner, who may read the project, is shown it.
    assert project_on_falls.title in pages["owner"].content.decode()
    assert project_on_falls.title not in pages["patient_partner"].content.decode()
    assert "<!--projects:" not in pages["owner"].content.decode()


def test_a_measure_defined_after_the_report_was_kept_is_in_it_at_once(
    world, client_for
):
    url = reverse("board:report", args=["QAA"])
    client = client_for(world["users"]["owner"])
    client.get(url)
    own = MeasureFactory(
        code="trust-b-waits",
        name="Trust B waiting times",
        organisation=world["trust_b"],
        aggregation="sum",
    )
    # Straight into the table, as no service does: the new measure alone must
    # change what the page is kept under.
    Observation.objects.bulk_create(
        Observation(measure=own, organisation=world["trust_b"], period=p, value=5.0 + i)
        for i, p in enumerate(world["periods"])
    )
    assert own.name in client.get(url).content.decode()
    assert world["measure"].name in client.get(url).content.decode()


def test_the_chart_shows_a_new_note_and_value_at_once_though_it_was_kept(
    world, client_for
):
    client = client_for(world["users"]["owner"])
    url = reverse("measures:chart", args=["falls", "RAA"])
    first = client.get(url).content.decode()
    assert "New falls policy" not in first
    WRITES["note added"](world)
    _entered(world)
    after = client.get(url).content.decode()
    assert "New falls policy" in after
    assert "January 2025" in after
    assert "January 2025" not in first


@pytest.mark.parametrize("first", ["owner", "patient_partner"])
def test_a_kept_chart_shows_each_reader_only_the_projects_they_may_see(
    world, client_for, project_on_falls, first
):
    readers = {
        "owner": world["users"]["owner"],
        "patient_partner": world["role_users"]["patient_partner"],
    }
    url = reverse("measures:chart", args=["falls", "RAA"])
    order = [first, *(r for r in readers if r != first)]
    pages = {name: client_for(readers[name]).get(url) for name in order}
    assert all(p.status_code == 200 for p in pages.values())
    assert len([k for k in caches[versions.CACHE]._cache if ":chart:" in k]) == 1
    assert project_on_falls.title in pages["owner"].content.decode()
    assert project_on_falls.title not in pages["patient_partner"].content.decode()


def test_the_api_chart_answers_a_new_value_at_once_though_it_was_kept(world, client):
    from qualitas.web.accounts.services import create_api_token

    _, token = create_api_token(by=world["users"]["owner"], name="pipeline")
    url = reverse("api:spc", args=["falls"]) + "?organisation=RAA"

    def periods() -> list[str]:
        answer = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert answer.status_code == 200
        return [p["period"] for p in answer.json()["points"]]

    before = periods()
    assert periods() == before  # kept
    _entered(world)
    assert periods() == [*before, "2025-01-01"]
