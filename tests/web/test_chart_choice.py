"""Choosing a measure's chart type and frequency: every chart qualitas draws, the
pairings that make sense, and the advice from the data."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse

from qualitas.web.measures.models import Measure, Observation
from tests.web.factories import MeasureFactory, MembershipFactory

BASE = {
    "owner_organisation": "QAA",
    "code": "new-measure",
    "name": "A new measure",
    "operational_definition": "Counted weekly on the ward.",
    "domain": "safe",
    "measure_type": "outcome",
    "unit": "falls",
    "multiplier": "1",
    "decimals": "0",
    "chart_type": "run",
    "direction": "decrease",
    "frequency": "weekly",
    "aggregation": "sum",
    "owner": "Ward manager",
    "data_source": "Ward log",
    "collection_burden": "medium",
}


@pytest.fixture
def analyst_client(world, client_for):
    return client_for(
        MembershipFactory(organisation=world["system"], role="analyst").user
    )


@pytest.mark.parametrize(
    ("changes", "chart", "frequency"),
    [
        ({}, "run", "weekly"),
        ({"chart_type": "g", "frequency": "events"}, "g", "events"),
        ({"chart_type": "t", "frequency": "events"}, "t", "events"),
        (
            {
                "chart_type": "p",
                "aggregation": "ratio",
                "unit": "%",
                "multiplier": "100",
            },
            "p",
            "weekly",
        ),
        ({"chart_type": "c", "frequency": "daily"}, "c", "daily"),
        ({"chart_type": "xmr", "frequency": "monthly"}, "xmr", "monthly"),
    ],
)
def test_a_measure_can_have_any_chart_and_frequency(
    analyst_client, changes, chart, frequency
):
    response = analyst_client.post(reverse("measures:create"), {**BASE, **changes})
    assert response.status_code == 302
    m = Measure.objects.get(code="new-measure")
    assert (m.chart_type, m.frequency) == (chart, frequency)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"chart_type": "p"}, "chart_type", "needs each period's numerator"),
        ({"chart_type": "g"}, "frequency", "measures the time between events"),
        ({"frequency": "events"}, "chart_type", "choose a g chart"),
    ],
)
def test_charts_that_cannot_draw_the_data_are_refused_in_words(
    analyst_client, changes, field, words
):
    response = analyst_client.post(reverse("measures:create"), {**BASE, **changes})
    assert response.status_code == 200
    assert words in unescape(response.content.decode())
    assert words in " ".join(response.context["form"].errors[field])
    assert not Measure.objects.filter(code="new-measure").exists()


def test_existing_measures_keep_xmr_and_their_frequency(world):
    falls = Measure.objects.get(code="falls")
    assert (falls.chart_type, falls.frequency) == ("xmr", "monthly")


def test_creating_a_count_measure_says_which_chart_is_advised(analyst_client):
    response = analyst_client.post(
        reverse("measures:create"),
        {**BASE, "chart_type": "xmr", "frequency": "monthly"},
        follow=True,
    )
    html = unescape(response.content.decode())
    assert "qualitas advises a c chart for this measure" in html


def test_the_measure_page_advises_from_the_data(world, analyst_client):
    m = MeasureFactory(
        code="mrsa",
        name="MRSA bacteraemia",
        organisation=world["system"],
        aggregation="sum",
        decimals=0,
        unit="cases",
        direction="decrease",
    )
    for i in range(24):
        Observation.objects.create(
            measure=m,
            organisation=world["trust_a"],
            period=dt.date(2023 + i // 12, i % 12 + 1, 1),
            value=1.0 if i % 6 == 0 else 0.0,
        )
    html = unescape(
        analyst_client.get(reverse("measures:detail", args=["mrsa"])).content.decode()
    )
    assert "qualitas advises a g chart: Rare events" in html
    assert "days between events" in html
    edit = unescape(
        analyst_client.get(reverse("measures:edit", args=["mrsa"])).content.decode()
    )
    assert "qualitas advises a g chart for the data so far" in edit


def test_when_a_measures_first_data_arrive_the_advised_chart_is_said(world, client_for):
    from qualitas.web.measures import services

    analyst = MembershipFactory(organisation=world["system"], role="analyst").user
    MeasureFactory(
        code="mrsa",
        name="MRSA bacteraemia",
        organisation=world["system"],
        aggregation="sum",
        decimals=0,
        unit="cases",
        direction="decrease",
    )
    rows = "\n".join(
        f"mrsa,RAA,{2023 + i // 12}-{i % 12 + 1:02d},{1 if i % 8 == 0 else 0}"
        for i in range(24)
    )
    batch = services.check_file(
        by=analyst,
        organisation=world["system"],
        filename="mrsa.csv",
        data=f"measure,organisation,period,value\n{rows}\n".encode(),
    )
    client = client_for(analyst)
    response = client.post(reverse("data:apply", args=[batch.pk]), follow=True)
    html = unescape(response.content.decode())
    assert "MRSA bacteraemia: qualitas advises a g chart for these data." in html
    # Later data for the same measure are not its first: no advice again.
    again = services.check_file(
        by=analyst,
        organisation=world["system"],
        filename="mrsa-2.csv",
        data=b"measure,organisation,period,value\nmrsa,RAA,2025-01,0\n",
    )
    html = unescape(
        client.post(
            reverse("data:apply", args=[again.pk]), follow=True
        ).content.decode()
    )
    assert "qualitas advises" not in html
