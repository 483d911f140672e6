"""The measure form names every missing field, takes a target on the same page and
says its units (95% is entered as 95)."""

from __future__ import annotations

from django.urls import reverse

from qualitas.web.measures.models import Measure
from tests.web.factories import MembershipFactory

DATA = {
    "owner_organisation": "QAA",
    "code": "sepsis",
    "name": "Sepsis antibiotics within 1 hour",
    "operational_definition": "Audited monthly.",
    "domain": "effective",
    "measure_type": "process",
    "unit": "%",
    "multiplier": "100",
    "decimals": "1",
    "chart_type": "xmr",
    "direction": "increase",
    "frequency": "monthly",
    "aggregation": "ratio",
    "owner": "Medical Director",
    "data_source": "Audit",
    "collection_burden": "high",
}


def _analyst(world, client_for):
    return client_for(
        MembershipFactory(organisation=world["system"], role="analyst").user
    )


def test_every_missing_field_is_named(world, client_for):
    client = _analyst(world, client_for)
    response = client.post(reverse("measures:create"), {"owner_organisation": "QAA"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "This field is required" not in page
    for words in (
        "Enter a code",
        "Enter the measure&#x27;s name",
        "Enter the operational definition",
        "Choose the quality domain",
        "Choose the type",
        "Enter the unit",
        "Enter the owner",
        "Enter the data source",
    ):
        assert words in page, words


def test_a_target_is_saved_with_the_new_measure(world, client_for):
    client = _analyst(world, client_for)
    response = client.post(
        reverse("measures:create"),
        {
            **DATA,
            "target_starts": "2025-04",
            "target_value": "95",
            "target_note": "standard",
        },
    )
    assert response.status_code == 302
    m = Measure.objects.get(code="sepsis")
    assert [(t.starts.isoformat(), t.value, t.note) for t in m.targets.all()] == [
        ("2025-04-01", 95.0, "standard")
    ]


def test_the_form_says_how_to_enter_a_percentage(world, client_for):
    client = _analyst(world, client_for)
    page = client.get(reverse("measures:create")).content.decode()
    assert "95% is entered as 95, not 0.95" in page
    response = client.post(
        reverse("measures:create"),
        {**DATA, "target_starts": "2025-04", "target_value": "0.95"},
    )
    assert "enter 95 (95% is entered as 95)" in response.content.decode()
    assert not Measure.objects.filter(code="sepsis").exists()


def test_half_a_target_is_refused_naming_the_other_half(world, client_for):
    client = _analyst(world, client_for)
    page = client.post(
        reverse("measures:create"), {**DATA, "target_value": "90"}
    ).content.decode()
    assert "Enter the month the target starts" in page
    page = client.post(
        reverse("measures:create"), {**DATA, "target_starts": "2025-04"}
    ).content.decode()
    assert "Enter the target, or leave its month empty" in page
    assert not Measure.objects.filter(code="sepsis").exists()


def test_editing_adds_or_changes_a_target_on_the_same_page(world, client_for):
    client = _analyst(world, client_for)
    client.post(reverse("measures:create"), DATA)
    edit = reverse("measures:edit", kwargs={"code": "sepsis"})
    assert "In %." in client.get(edit).content.decode()
    for value in ("90", "92"):
        response = client.post(
            edit, {**DATA, "target_starts": "2026-04", "target_value": value}
        )
        assert response.status_code == 302
    m = Measure.objects.get(code="sepsis")
    assert [(t.starts.isoformat(), t.value) for t in m.targets.all()] == [
        ("2026-04-01", 92.0)
    ]
