"""The measure library ships as data; any organisation adopts measures from it (site
or command), with their targets; the demonstration builds its register from it."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from qualitas.web.measures import library


def test_the_shipped_library_is_valid_and_complete(db):
    entries = library.measures()
    assert len(entries) == 42
    for e in entries:
        assert e.fields["operational_definition"]
        assert e.fields["data_source"]
        assert "demonstration" not in e.fields["data_source"].lower()
        assert e.fields["chart_type"]
    ae = library.get("ae-4-hour")
    assert ae.unit == "% within 4 hours"
    assert [(t.starts.isoformat(), t.value) for t in ae.targets] == [
        ("2016-04-01", 95.0)
    ]


def test_a_bad_entry_is_refused_naming_the_entry_and_the_field(db):
    doc = {
        "measures": [
            {**_entry("good")},
            {**_entry("bad"), "direction": "sideways"},
            {"code": "half", "name": "Half"},
        ]
    }
    with pytest.raises(ValidationError) as e:
        library.parse(doc, "ours.json")
    text = " ".join(e.value.messages)
    assert "ours.json, measure 2 (bad): direction" in text
    assert "measure 3 (half): missing domain, measure_type, unit, direction" in text


def _entry(code: str) -> dict:
    return {
        "code": code,
        "name": f"Measure {code}",
        "domain": "safe",
        "measure_type": "outcome",
        "unit": "%",
        "multiplier": 100,
        "direction": "increase",
        "aggregation": "ratio",
        "operational_definition": "What is counted.",
        "owner": "Chief Nurse",
        "data_source": "Local audit",
        "targets": [{"starts": "2024-04", "value": 90, "note": "local"}],
    }


@pytest.fixture
def analyst(world):
    return world["role_users"]["analyst"]


def test_adopting_copies_the_measure_and_its_targets(world, analyst):
    from qualitas.web.audit.models import AuditEvent

    added = library.adopt(
        by=analyst, organisation=world["trust_a"], codes=["ae-4-hour", "shmi"]
    )
    assert [m.code for m in added] == ["ae-4-hour", "shmi"]
    ae = added[0]
    assert ae.organisation == world["trust_a"]
    assert ae.unit == "% within 4 hours"
    assert ae.direction == "increase"
    assert list(ae.targets.values_list("value", flat=True)) == [95.0]
    assert AuditEvent.objects.filter(action="measure.created").count() == 2
    # Adopting again adds nothing.
    assert (
        library.adopt(by=analyst, organisation=world["trust_a"], codes=["shmi"]) == []
    )


def test_a_second_organisation_gets_its_own_copy(world, analyst):
    from tests.web.factories import MembershipFactory

    library.adopt(by=analyst, organisation=world["trust_a"], codes=["shmi"])
    other = world["users"]["outsider"]  # an analyst at the other trust
    added = library.adopt(by=other, organisation=world["other_trust"], codes=["shmi"])
    assert added[0].code == "shmi-rzz"
    assert library.adopted(world["other_trust"])["shmi"] == added[0]
    # Trust B's administrator sees Trust A's copy as Trust A's, not Trust B's.
    admin_b = MembershipFactory(organisation=world["trust_b"], role="administrator")
    assert "shmi" not in library.adopted(world["trust_b"])
    assert admin_b


def test_adopting_needs_the_right_to_define_measures_there(world):
    with pytest.raises(PermissionDenied):
        library.adopt(
            by=world["role_users"]["team_member"],
            organisation=world["trust_a"],
            codes=["shmi"],
        )
    with pytest.raises(PermissionDenied):
        library.adopt(
            by=world["users"]["outsider"], organisation=world["trust_a"], codes=["shmi"]
        )


def test_an_unknown_code_is_refused(world, analyst):
    with pytest.raises(ValidationError, match="Not in the library: nope"):
        library.adopt(by=analyst, organisation=world["trust_a"], codes=["nope"])


# --- the site -------------------------------------------------------------------------


def test_the_library_page_offers_adoption_to_those_who_may(client, world, analyst):
    client.force_login(analyst)
    page = client.get("/measures/library/?at=RAA").content.decode()
    assert "A&amp;E 4-hour performance (type 1)" in page
    assert 'action="/measures/library/at/RAA/"' in page
    assert 'value="ae-4-hour"' in page
    client.force_login(world["role_users"]["board_member"])
    page = client.get("/measures/library/").content.decode()
    assert "A&amp;E 4-hour performance (type 1)" in page
    assert 'name="code"' not in page


def test_adopting_in_a_few_clicks(client, world, analyst):
    from qualitas.web.measures.models import Measure

    client.force_login(analyst)
    response = client.post(
        "/measures/library/at/RAA/", {"code": ["ae-4-hour", "falls-with-harm"]}
    )
    assert response.status_code == 302
    codes = set(
        Measure.objects.filter(organisation=world["trust_a"]).values_list(
            "code", flat=True
        )
    )
    assert {"ae-4-hour", "falls-with-harm"} <= codes
    page = client.get("/measures/library/?at=RAA").content.decode()
    assert 'Adopted: <a href="/measures/ae-4-hour/">' in page


def test_people_from_elsewhere_cannot_adopt_for_us(client, world):
    client.force_login(world["users"]["outsider"])
    assert (
        client.post("/measures/library/at/RAA/", {"code": ["shmi"]}).status_code == 404
    )


# --- the command -------------------------------------------------------------------


def test_one_command_adopts_every_measure(world, analyst):
    from qualitas.web.measures.models import Measure

    out = io.StringIO()
    call_command(
        "adopt_measures",
        "--all",
        "--organisation",
        "raa",
        "--user",
        analyst.username,
        stdout=out,
    )
    assert "42 measures added" in out.getvalue()
    assert Measure.objects.filter(organisation=world["trust_a"]).count() == 42


def test_an_organisation_extends_the_library_with_its_own_file(
    world, analyst, tmp_path
):
    path = tmp_path / "ours.json"
    path.write_text(json.dumps({"measures": [_entry("ward-audit")]}))
    out = io.StringIO()
    call_command(
        "adopt_measures",
        "ward-audit",
        "--file",
        str(path),
        "--organisation",
        "RAA",
        "--user",
        analyst.username,
        stdout=out,
    )
    assert "Adopted Measure ward-audit as ward-audit" in out.getvalue()


def test_the_command_lists_the_library_without_codes(db):
    out = io.StringIO()
    call_command("adopt_measures", stdout=out)
    assert out.getvalue().count("\n") == 42


def test_the_command_refuses_without_permission(world):
    with pytest.raises(CommandError, match="permission"):
        call_command(
            "adopt_measures",
            "shmi",
            "--organisation",
            "RAA",
            "--user",
            world["role_users"]["team_member"].username,
        )


def test_the_demonstration_uses_the_library(db):
    from qualitas.web.demo import catalogue

    codes = {e.code for e in library.measures()}
    assert set(catalogue.REAL_SOURCES) <= codes
    assert codes >= catalogue.PRACTICE_MEASURES
