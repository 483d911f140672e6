"""Measures and targets created and changed through the JSON API, with the API's
conventions: bodies checked against the published schema, JSON errors, permissions."""

from __future__ import annotations

import pytest

from qualitas.web.accounts.models import ApiToken, hash_token
from qualitas.web.measures.models import Measure

NEW = {
    "code": "ward-falls",
    "owner_organisation": "RAA",
    "name": "Inpatient falls per 1,000 bed days",
    "operational_definition": "Falls on inpatient wards per 1,000 bed days.",
    "domain": "safe",
    "type": "outcome",
    "unit": "falls per 1,000 bed days",
    "multiplier": 1000,
    "aggregation": "ratio",
    "improvement_direction": "decrease",
    "owner": "Chief Nurse",
    "data_source": "Incident reporting system",
    "targets": [{"starts": "2025-04", "value": 5.5, "note": "local ambition"}],
}


def _api(client, user):
    # Made directly: only roles that may import get tokens on the site, and these
    # tests ask what the API answers to the others too.
    raw = ApiToken.new_secret()
    ApiToken.objects.create(user=user, name="test", key_hash=hash_token(raw), hint="x")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def call(method: str, path: str, body=None):
        return getattr(client, method)(
            f"/api/v1{path}", body, content_type="application/json", **headers
        )

    return call


@pytest.fixture
def analyst_api(client, world):
    return _api(client, world["role_users"]["analyst"])


def test_a_measure_is_created_with_its_targets(analyst_api, world):
    response = analyst_api("post", "/measures", NEW)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "ward-falls"
    assert body["owner_organisation"] == "RAA"
    assert body["improvement_direction"] == "decrease"
    assert body["targets"] == [
        {
            "starts": "2025-04-01",
            "value": 5.5,
            "organisation": None,
            "note": "local ambition",
        }
    ]
    m = Measure.objects.get(code="ward-falls")
    assert (m.measure_type, m.direction, m.multiplier) == ("outcome", "decrease", 1000)


def test_every_schema_problem_is_listed(analyst_api):
    body = {k: v for k, v in NEW.items() if k not in ("name", "unit")}
    body["domain"] = "tasty"
    body["colour"] = "blue"
    response = analyst_api("post", "/measures", body)
    assert response.status_code == 400
    messages = [e["message"] for e in response.json()["errors"]]
    assert "missing 'name'" in messages
    assert "missing 'unit'" in messages
    assert "unknown field 'colour'" in messages
    assert any(m.startswith("'domain'") for m in messages)
    assert not Measure.objects.filter(code="ward-falls").exists()


def test_the_registers_own_rules_answer_400(analyst_api, world):
    taken = analyst_api("post", "/measures", {**NEW, "code": "falls"})
    assert taken.status_code == 400
    assert "code" in taken.json()["error"].lower()
    needs_ratio = analyst_api(
        "post", "/measures", {**NEW, "chart_type": "p", "aggregation": "sum"}
    )
    assert needs_ratio.status_code == 400
    # Nothing of a refused measure is kept, its targets included.
    assert not Measure.objects.filter(code="ward-falls").exists()


def test_a_bad_target_month_refuses_the_whole_measure(analyst_api):
    body = {**NEW, "targets": [{"starts": "2025-13", "value": 3}]}
    response = analyst_api("post", "/measures", body)
    assert response.status_code == 400
    assert not Measure.objects.filter(code="ward-falls").exists()


def test_only_people_who_may_define_measures_there(client, world):
    team = _api(client, world["role_users"]["team_member"])
    assert team("post", "/measures", NEW).status_code == 403
    outsider = _api(client, world["users"]["outsider"])
    assert outsider("post", "/measures", NEW).status_code == 404
    assert not Measure.objects.filter(code="ward-falls").exists()


def test_a_measure_is_changed_field_by_field(analyst_api):
    analyst_api("post", "/measures", NEW)
    response = analyst_api(
        "patch",
        "/measures/ward-falls",
        {"committee": "Quality Committee", "decimals": 2},
    )
    assert response.status_code == 200
    assert response.json()["committee"] == "Quality Committee"
    m = Measure.objects.get(code="ward-falls")
    assert (m.committee, m.decimals, m.unit) == ("Quality Committee", 2, NEW["unit"])
    assert (
        analyst_api("patch", "/measures/ward-falls", {"code": "x"}).status_code == 400
    )


def test_a_target_is_set_and_changed(analyst_api, world):
    analyst_api("post", "/measures", NEW)
    added = analyst_api(
        "post", "/measures/ward-falls/targets", {"starts": "2026-04", "value": 5}
    )
    assert added.status_code == 201
    changed = analyst_api(
        "post", "/measures/ward-falls/targets", {"starts": "2026-04", "value": 4.5}
    )
    targets = {t["starts"]: t["value"] for t in changed.json()["targets"]}
    assert targets == {"2025-04-01": 5.5, "2026-04-01": 4.5}
    elsewhere = analyst_api(
        "post",
        "/measures/ward-falls/targets",
        {"starts": "2026-04", "value": 4, "organisation": "RBB"},
    )
    assert elsewhere.status_code == 404  # Trust A's analyst cannot see Trust B


def test_people_who_may_not_change_it_cannot_set_its_target(client, world):
    board = _api(client, world["role_users"]["board_member"])
    response = board(
        "post", "/measures/falls/targets", {"starts": "2026-04", "value": 1}
    )
    assert response.status_code == 403


def test_the_document_describes_the_new_operations(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["paths"]["/measures"]["post"]["operationId"] == "createMeasure"
    assert doc["paths"]["/measures/{code}"]["patch"]["operationId"] == "updateMeasure"
    assert (
        doc["paths"]["/measures/{code}/targets"]["post"]["operationId"] == "setTarget"
    )
    assert (
        "95% is 95"
        in doc["components"]["schemas"]["TargetInput"]["properties"]["value"][
            "description"
        ]
    )
