"""Security headers, the Content-Security-Policy and session lifetimes (finding 7).

The browser journeys (tests/browser) check the pages still work under the policy:
their page fixture fails on any CSP violation.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from qualitas.web.accounts import sessions
from tests.web.test_settings import SRC, _settings

TEMPLATES = Path(__file__).resolve().parents[2] / "src/qualitas/web/templates"


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (d.split() for d in header.split(";") if d.strip())
    }


@pytest.mark.parametrize(
    "url",
    ["accounts:login", "admin:login", "healthz", "home"],
)
def test_every_page_carries_the_content_security_policy(world, client_for, url):
    client = client_for(world["users"]["owner"])
    response = client.get(reverse(url), follow=True)
    policy = _csp(response)
    # Script only from our own files: no inline script, no eval, nothing elsewhere.
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_chart_pages_and_api_answers_carry_it_too(world, client_for):
    client = client_for(world["users"]["member"])
    page = client.get(reverse("measures:chart", kwargs={"code": "falls", "ods": "RAA"}))
    assert page.status_code == 200
    assert "'unsafe-eval'" not in page["Content-Security-Policy"]
    api = client.get("/api/v1/organisations")
    assert "Content-Security-Policy" in api


def test_no_template_has_inline_script_or_event_handler_attributes():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        found += [
            f"{path.relative_to(TEMPLATES)}: {m.group(0)}"
            for m in inline_script.finditer(text)
        ]
        # Chart specs go in data-chart attributes (the chart_json filter): htmx,
        # allowed no script tags, would drop a json_script block it swaps in.
        if "json_script" in text:
            found.append(f"{path.relative_to(TEMPLATES)}: json_script")
        found += [
            f"{path.relative_to(TEMPLATES)}: {m.group(0)[:60]}"
            for m in handler.finditer(text)
        ]
    assert found == []


def test_htmx_may_not_eval_or_run_scripts(world, client_for):
    html = client_for(world["users"]["member"]).get(reverse("home")).content.decode()
    meta = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html)
    assert meta is not None
    import json

    config = json.loads(meta.group(1))
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["historyCacheSize"] == 0  # no page copies in local storage


def _age_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[getattr(sessions, key)] = now - ago
    session.save()


def _sign_in(client, user):
    response = client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302


def test_a_session_ends_after_thirty_minutes_without_a_request(world, client):
    _sign_in(client, world["users"]["member"])
    _age_session(client, LAST_SEEN_AT=29 * 60)
    assert client.get(reverse("home")).status_code == 200  # and that renews it
    _age_session(client, LAST_SEEN_AT=31 * 60)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_busy_session_still_ends_twelve_hours_after_signing_in(world, client):
    _sign_in(client, world["users"]["member"])
    _age_session(client, SIGNED_IN_AT=11 * 3600, LAST_SEEN_AT=60)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, SIGNED_IN_AT=12 * 3600 + 60, LAST_SEEN_AT=60)
    assert client.get(reverse("home")).status_code == 302


def test_session_limits_come_from_the_environment(world, client, settings):
    settings.QUALITAS_SESSION_IDLE_MINUTES = 5
    _sign_in(client, world["users"]["member"])
    _age_session(client, LAST_SEEN_AT=6 * 60)
    assert client.get(reverse("home")).status_code == 302


def test_the_session_store_expires_an_idle_session_too(world, client, settings):
    _sign_in(client, world["users"]["member"])
    assert client.session.get_expiry_age() == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


PRODUCTION = {"QUALITAS_ENV": "production", "SECRET_KEY": "x" * 50}


def test_production_turns_on_https_hsts_and_secure_cookies():
    result = _settings(
        PRODUCTION,
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_AGE,"
        " s.QUALITAS_SESSION_MAX_HOURS",
    )
    assert result.stdout.strip() == "True 31536000 True True True 1800 12", (
        result.stderr
    )


def test_production_https_settings_can_be_tuned_from_the_environment():
    result = _settings(
        {
            **PRODUCTION,
            "QUALITAS_HSTS_SECONDS": "600",
            "QUALITAS_HSTS_INCLUDE_SUBDOMAINS": "false",
            "QUALITAS_SESSION_IDLE_MINUTES": "15",
            "QUALITAS_SESSION_MAX_HOURS": "8",
        },
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_AGE,"
        " s.QUALITAS_SESSION_MAX_HOURS",
    )
    assert result.stdout.strip() == "600 False 900 8", result.stderr


def test_local_runs_have_no_hsts_or_https_redirect():
    result = _settings(
        {"QUALITAS_ENV": "demo"}, "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS"
    )
    assert result.stdout.strip() == "False 0", result.stderr


def test_production_responses_carry_hsts_and_redirect_to_https():
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "c = Client();"
        "r = c.get('/accounts/login/');"
        "print(r.status_code, r['Location']);"
        "r = c.get('/accounts/login/', secure=True);"
        "print(r['Strict-Transport-Security']);"
        "print(c.get('/healthz').status_code)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUALITAS_", "DATABASE_URL", "SECRET_KEY", "DJANGO_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **env,
            **PRODUCTION,
            "PYTHONPATH": SRC,
            "DJANGO_SETTINGS_MODULE": "qualitas.web.settings",
            "ALLOWED_HOSTS": "testserver",
            "QUALITAS_STATIC_FROM_FINDERS": "true",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stdout.split("\n")
    assert lines[0] == "301 https://testserver/accounts/login/", result.stderr
    assert lines[1] == "max-age=31536000; includeSubDomains"
    assert lines[2] != "301"  # load balancers check health over plain HTTP
