"""Every answer under /api/v1/ that is not a success is JSON with an ``error`` message:
404s for addresses that match no route, 405 with ``Allow``, 413, and 500."""

from __future__ import annotations

import pytest
from django.test import Client

from qualitas.web.accounts.services import create_api_token
from qualitas.web.api import views
from tests.web.factories import MembershipFactory


@pytest.fixture
def token(world):
    analyst = MembershipFactory(organisation=world["system"], role="analyst").user
    return create_api_token(by=analyst, name="pipeline")[1]


def _call(client, method, path, token, **extra):
    return getattr(client, method)(path, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def _assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/imports/-1",
        "/api/v1/imports/0",
        "/api/v1/imports/abc",
        "/api/v1/imports/99999999999999999999999",
        "/api/v1/measures/a%20b",
        "/api/v1/measures/a%00b",
        "/api/v1/measures/" + "x" * 61,
        "/api/v1/measures/falls/spc?organisation=RA%00A",
        "/api/v1/measures/falls/spc?organisation=NOPE",
        "/api/v1/no-such-thing",
        "/api/v1/measures/",
        "/api/v1/measures/falls/spc/extra",
    ],
)
def test_addresses_that_match_nothing_are_json_404s(client, token, path):
    _assert_json_error(_call(client, "get", path, token), 404)


def test_missing_organisation_is_a_400(client, token):
    response = _call(client, "get", "/api/v1/measures/falls/spc", token)
    _assert_json_error(response, 400)
    assert "?organisation=" in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("put", "/api/v1/measures", "GET, POST, HEAD"),
        ("delete", "/api/v1/measures/falls", "GET, PATCH, HEAD"),
        ("post", "/api/v1/measures/a%20b/spc", "GET, HEAD"),
        ("patch", "/api/v1/imports/-1", "GET, HEAD"),
        ("get", "/api/v1/observations", "POST"),
        ("options", "/api/v1/organisations", "GET, HEAD"),
        ("post", "/api/v1/openapi.json", "GET, HEAD"),
    ],
)
def test_other_methods_get_405_with_allow_before_the_token_is_asked(
    client, db, method, path, allow
):
    response = getattr(client, method)(path)
    _assert_json_error(response, 405)
    assert response["Allow"] == allow


def test_head_is_answered_where_get_is(client, token):
    response = _call(client, "head", "/api/v1/measures/falls", token)
    assert response.status_code == 200
    assert response.content == b""


def test_a_crash_is_a_json_500(world, token, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "measure_json", broken)
    client = Client(raise_request_exception=False)
    response = _call(client, "get", "/api/v1/measures/falls", token)
    _assert_json_error(response, 500)
    assert "a bug" not in response.content.decode()  # no internals leak


def test_a_body_over_the_limit_is_a_json_413(client, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"organisation": "QAA", "observations": [' + " " * 2000 + "]}"
    response = _call(
        client,
        "post",
        "/api/v1/observations",
        token,
        data=body,
        content_type="application/json",
    )
    _assert_json_error(response, 413)


def test_the_site_outside_the_api_keeps_its_html_pages(client, db):
    response = client.get("/measures/no-such-measure/at/X/")
    assert not response["Content-Type"].startswith("application/json")
