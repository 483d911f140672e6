"""The JSON API: token authentication, reading, loading all or nothing, OpenAPI."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from qualitas.web.accounts.models import ApiToken
from qualitas.web.accounts.services import create_api_token, revoke_api_token
from qualitas.web.measures.models import ImportBatch, Observation
from tests.web.factories import MembershipFactory


@pytest.fixture
def api(world, client):
    analyst = MembershipFactory(organisation=world["system"], role="analyst").user
    token, raw = create_api_token(by=analyst, name="pipeline")

    def call(
        method,
        name,
        body=None,
        raw_token=raw,
        query="",
        content_type="application/json",
        **kwargs,
    ):
        url = reverse(f"api:{name}", kwargs=kwargs) + query
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_token}"} if raw_token else {}
        if method == "post":
            return client.post(url, body, content_type=content_type, **headers)
        return client.get(url, **headers)

    call.token = token
    call.user = analyst
    return call


def test_only_the_hash_of_a_token_is_stored(api):
    token = ApiToken.objects.get(pk=api.token.pk)
    assert token.key_hash != token.hint
    assert len(token.key_hash) == 64


def test_reads_need_a_valid_token(api):
    assert api("get", "measures", raw_token=None).status_code == 401
    assert api("get", "measures", raw_token="qtk_wrong").status_code == 401
    response = api("get", "measures")
    assert response.status_code == 200
    codes = [m["code"] for m in response.json()["measures"]]
    assert codes == ["falls"]  # not the other system's measure


def test_revoked_tokens_stop_working(api):
    revoke_api_token(by=api.user, token=api.token)
    assert api("get", "measures").status_code == 401


def test_measure_definition_and_observations(api):
    definition = api("get", "measure", code="falls").json()
    assert definition["improvement_direction"] == "decrease"
    assert definition["targets"][0]["value"] == 4.0
    obs = api("get", "observations", code="falls", query="?organisation=RAA").json()
    assert len([o for o in obs["observations"] if o["breakdown"] is None]) == 24


def test_a_stored_infinity_is_answered_as_null_in_valid_json(api, world):
    Observation.objects.filter(
        measure=world["measure"], organisation=world["trust_a"]
    ).update(denominator=float("inf"))
    response = api("get", "observations", code="falls", query="?organisation=RAA")
    body = json.loads(response.content, parse_constant=_refuse)
    assert {o["denominator"] for o in body["observations"]} == {None}


def _refuse(constant):
    raise AssertionError(f"{constant} is not JSON")


def test_spc_endpoint_matches_the_engine(api, world):
    import pandas as pd

    from qualitas.spc import xmr

    body = api("get", "spc", code="falls", query="?organisation=RAA").json()
    frame = pd.DataFrame(
        list(
            Observation.objects.totals()
            .filter(measure=world["measure"], organisation=world["trust_a"])
            .values("period", "value")
        )
    )
    expected = xmr(
        frame, value="value", period="period", direction="decrease", target=4.0
    )
    assert body["variation"] == expected.icons.loc[0, "variation"]
    assert [p["special_cause"] for p in body["points"]] == expected.points[
        "special_cause"
    ].astype(str).tolist()
    assert body["points"][0]["upl"] == pytest.approx(expected.points["ucl"].iloc[0])


def test_loading_rows_applies_them_all(api, world):
    rows = [
        {
            "measure": "falls",
            "organisation": "RAA",
            "period": f"2026-{m:02d}",
            "numerator": m,
            "denominator": 1000,
        }
        for m in range(1, 4)
    ]
    response = api("post", "load", {"organisation": "QAA", "observations": rows})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["added"], body["updated"]) == ("applied", 3, 0)
    assert Observation.objects.filter(period__year=2026).count() == 3
    again = api("post", "load", {"organisation": "QAA", "observations": rows}).json()
    assert (again["added"], again["updated"]) == (0, 3)
    assert api("get", "import", pk=body["import"]).json()["status"] == "applied"


def test_a_bad_row_rejects_the_load_and_says_where(api):
    rows = [
        {
            "measure": "falls",
            "organisation": "RAA",
            "period": "2026-01",
            "numerator": 1,
            "denominator": 1000,
        },
        {
            "measure": "falls",
            "organisation": "RAA",
            "period": "2026-02",
            "numerator": "lots",
            "denominator": 1000,
        },
    ]
    response = api("post", "load", {"organisation": "QAA", "observations": rows})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "rejected"
    assert body["errors"] == [
        {
            "row": 2,
            "column": "numerator",
            "message": "'lots' in numerator is not a number",
        }
    ]
    assert not Observation.objects.filter(period__year=2026).exists()
    assert ImportBatch.objects.get(pk=body["import"]).source == "api"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("organisation=QAA", "text/plain", 415, "Send the body as JSON"),
        ("{not json", "application/json", 400, "The body is not valid JSON"),
        ("[" * 100_000, "application/json", 400, "not valid JSON"),
        ({"observations": []}, "application/json", 400, "missing 'organisation'"),
        (
            {"organisation": "QAA", "observations": []},
            "application/json",
            400,
            "'observations' is empty",
        ),
        (
            {"organisation": "QAA", "observations": "x"},
            "application/json",
            400,
            "'observations' must be a list",
        ),
        (
            {"organisation": "QAA", "observations": [{"measure": "falls"}]},
            "application/json",
            400,
            "row 1: missing 'period', 'value' (or both 'numerator' and",
        ),
        (
            {
                "organisation": "QAA",
                "observations": [
                    {"measure": "falls", "organisation": "RAA", "period": "2026-01"}
                ],
            },
            "application/json",
            400,
            "row 1: missing 'value' (or both 'numerator' and 'denominator')",
        ),
        (
            {
                "organisation": "QAA",
                "observations": [
                    {
                        "measure": "falls",
                        "organisation": "RAA",
                        "period": "2026-01",
                        "value": 1,
                    },
                    {"measure": "", "organisation": "", "period": ""},
                ],
            },
            "application/json",
            400,
            "row 2: 'measure' must be a measure code",
        ),
        (
            '{"organisation": "QA\\ud800", "observations": []}',
            "application/json",
            400,
            "not valid JSON",
        ),
        (
            '{"organisation": "QAA", "observations": [{"measure": "falls", '
            '"organisation": "RAA", "period": "2026-01", "value": NaN}]}',
            "application/json",
            400,
            "not valid JSON",
        ),
        (
            {
                "organisation": "QAA",
                "observations": [
                    {
                        "measure": "falls",
                        "organisation": "RAA",
                        "period": "2026-01",
                        "stratum": {
                            "a": [
                                [
                                    [
                                        [
                                            [
                                                [
                                                    [
                                                        [
                                                            [
                                                                [
                                                                    [
                                                                        [
                                                                            [
                                                                                [
                                                                                    [
                                                                                        [
                                                                                            [
                                                                                                [
                                                                                                    [
                                                                                                        [
                                                                                                            [
                                                                                                                [
                                                                                                                    [
                                                                                                                        [
                                                                                                                            [
                                                                                                                                [
                                                                                                                                    [
                                                                                                                                        [
                                                                                                                                            [
                                                                                                                                                [
                                                                                                                                                    [
                                                                                                                                                        [
                                                                                                                                                            [
                                                                                                                                                                [
                                                                                                                                                                    [
                                                                                                                                                                        [
                                                                                                                                                                            [
                                                                                                                                                                                []
                                                                                                                                                                            ]
                                                                                                                                                                        ]
                                                                                                                                                                    ]
                                                                                                                                                                ]
                                                                                                                                                            ]
                                                                                                                                                        ]
                                                                                                                                                    ]
                                                                                                                                                ]
                                                                                                                                            ]
                                                                                                                                        ]
                                                                                                                                    ]
                                                                                                                                ]
                                                                                                                            ]
                                                                                                                        ]
                                                                                                                    ]
                                                                                                                ]
                                                                                                            ]
                                                                                                        ]
                                                                                                    ]
                                                                                                ]
                                                                                            ]
                                                                                        ]
                                                                                    ]
                                                                                ]
                                                                            ]
                                                                        ]
                                                                    ]
                                                                ]
                                                            ]
                                                        ]
                                                    ]
                                                ]
                                            ]
                                        ]
                                    ]
                                ]
                            ]
                        },
                    }
                ],
            },
            "application/json",
            400,
            "'stratum' must be text",
        ),
        (
            '{"organisation": "QAA", "observations": [{"measure": "falls", '
            '"organisation": "RAA", "period": "2026-01", "stratum": '
            + '{"a": ' * 600
            + "1"
            + "}" * 600
            + "}]}",
            "application/json",
            400,
            "nested too deeply",
        ),
        (
            [{"organisation": "QAA"}],
            "application/json",
            400,
            "the body must be an object",
        ),
    ],
    ids=[
        "not-json-type",
        "broken-json",
        "nested-too-deep",
        "no-organisation",
        "no-rows",
        "not-a-list",
        "missing-columns",
        "no-figure",
        "empty-strings",
        "lone-surrogate",
        "nan",
        "nested-value",
        "nested-too-deeply",
        "an-array",
    ],
)
def test_malformed_bodies_get_clear_errors(api, body, content_type, status, message):
    response = api("post", "load", body, content_type=content_type)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert not ImportBatch.objects.exists()


def test_more_rows_than_the_limit_are_refused_as_the_document_says(api, client):
    doc = client.get(reverse("api:schema")).json()
    limit = doc["components"]["schemas"]["Load"]["properties"]["observations"][
        "maxItems"
    ]
    row = {"measure": "falls", "organisation": "RAA", "period": "2026-01", "value": 1}
    response = api(
        "post", "load", {"organisation": "QAA", "observations": [row] * (limit + 1)}
    )
    assert response.status_code == 400
    assert f"more than {limit:,} rows" in response.json()["error"]


def test_a_body_that_breaks_the_schema_lists_each_problem_by_row(api):
    rows = [
        {"measure": "falls", "organisation": "RAA", "period": "2026-01", "value": 1},
        {"measure": "falls", "organisation": "RAA", "period": "Jan", "value": True},
    ]
    response = api("post", "load", {"organisation": "QAA", "observations": rows})
    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [
        (2, "period"),
        (2, "value"),
    ]


def test_api_ignores_the_session_cookie(world, client):
    client.force_login(world["users"]["owner"])
    assert client.get(reverse("api:measures")).status_code == 401


def test_openapi_document_describes_every_api_url(client, db):
    doc = client.get(reverse("api:schema")).json()
    assert doc["openapi"].startswith("3.1")
    paths = set(doc["paths"])
    assert paths == {
        "/organisations",
        "/measures",
        "/measures/{code}",
        "/measures/{code}/observations",
        "/measures/{code}/spc",
        "/measures/{code}/targets",
        "/observations",
        "/imports/{id}",
    }
    for ops in doc["paths"].values():
        for op in ops.values():
            for ref in _refs(op):
                assert ref.split("/")[-1] in doc["components"]["schemas"]


def test_every_response_schema_lists_its_fields_and_every_status(client, db):
    doc = client.get(reverse("api:schema")).json()
    schemas = doc["components"]["schemas"]
    for name, schema in schemas.items():
        if name == "Load":
            continue
        for node in _objects(schema):
            assert set(node["required"]) <= set(node["properties"]), name
            assert node["additionalProperties"] is False, name
    for path, ops in doc["paths"].items():
        for op in ops.values():
            statuses = set(op["responses"])
            assert {"401", "405", "500"} <= statuses, path
            assert "Allow" in op["responses"]["405"]["headers"]


def _objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for v in node.values():
            yield from _objects(v)
    elif isinstance(node, list):
        for v in node:
            yield from _objects(v)


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_api_docs_page_lists_the_operations(world, client_for):
    html = (
        client_for(world["role_users"]["analyst"])
        .get(reverse("api:docs"))
        .content.decode()
    )
    assert "POST /observations" in html
    assert "Authorization: Bearer" in html


def test_one_request_mixes_count_rows_and_rate_rows(api, world):
    from tests.web.factories import MeasureFactory

    MeasureFactory(
        code="pressure-ulcers",
        organisation=world["system"],
        aggregation="sum",
        multiplier=1.0,
        decimals=0,
        unit="cases",
    )
    rows = [
        {"measure": "falls", "period": "2026-01", "numerator": 4, "denominator": 900},
        {"measure": "pressure-ulcers", "period": "2026-01", "value": 3},
    ]
    # The organisation is given once, at the top; the rows leave it out.
    response = api("post", "load", {"organisation": "RAA", "observations": rows})
    assert response.status_code == 201, response.json()
    stored = dict(
        Observation.objects.filter(
            period__year=2026, organisation__ods_code="RAA"
        ).values_list("measure__code", "value")
    )
    assert stored == {"falls": pytest.approx(4 / 900 * 1000), "pressure-ulcers": 3}


def test_a_row_may_still_name_a_member_of_the_requests_system(api):
    rows = [
        {"measure": "falls", "period": "2026-02", "value": 5.5},
        {"measure": "falls", "organisation": "RBB", "period": "2026-02", "value": 6},
    ]
    response = api("post", "load", {"organisation": "QAA", "observations": rows})
    assert response.status_code == 201, response.json()
    assert set(
        Observation.objects.filter(period__year=2026).values_list(
            "organisation__ods_code", "value"
        )
    ) == {("QAA", 5.5), ("RBB", 6.0)}
