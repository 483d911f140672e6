"""What the database can take: many readers at once within a bounded number of
PostgreSQL connections, and a write that waits too long answered with 503 and
Retry-After (JSON under /api/), never a 500. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from qualitas.web.accounts.services import create_api_token
from qualitas.web.measures.models import Observation
from qualitas.web.measures.services import _series_lock_key
from tests.web import factories as f
from tests.web.live_http import send

READERS = 50


@pytest.fixture
def scene(transactional_db):
    system = f.SystemFactory(ods_code="QDD")
    trust = f.OrganisationFactory(ods_code="RDD", parent=system)
    measure = f.MeasureFactory(code="falls-read", organisation=system)
    Observation.objects.bulk_create(
        Observation(
            measure=measure,
            organisation=trust,
            period=f"{2022 + i // 12}-{i % 12 + 1:02d}-01",
            numerator=40 + i % 7,
            denominator=9000,
            value=(40 + i % 7) / 9000 * 1000,
        )
        for i in range(36)
    )
    analyst = f.MembershipFactory(organisation=trust, role="analyst").user
    _, token = create_api_token(by=analyst, name="reader")
    return {"trust": trust, "measure": measure, "analyst": analyst, "token": token}


def _server_connections(monitor: psycopg.Connection, database: str) -> int:
    """Connections to the test database, but the monitor's own."""
    row = monitor.execute(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        [database],
    ).fetchone()
    assert row is not None
    return int(row[0])


def _monitor() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=int(s["PORT"] or 5432),
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def test_fifty_simultaneous_readers_all_get_their_chart_within_the_connection_bound(
    live_server, scene
):
    url = (
        live_server.url
        + f"/api/v1/measures/{scene['measure'].code}/spc?organisation=RDD"
    )
    headers = {"Authorization": f"Bearer {scene['token']}"}
    postgres = connection.vendor == "postgresql"
    monitor = _monitor() if postgres else None
    database = connection.settings_dict["NAME"]
    seen = [0]
    done = threading.Event()

    def watch():
        while not done.is_set():
            seen[0] = max(seen[0], _server_connections(monitor, database))
            time.sleep(0.01)

    statuses: list[int] = []
    start = threading.Barrier(READERS)

    def read():
        start.wait()
        answer = send("GET", url, headers=headers)
        statuses.append(answer.status)
        if answer.status == 200:
            assert len(answer.json()["points"]) == 36

    watcher = threading.Thread(target=watch) if postgres else None
    if watcher:
        watcher.start()
    readers = [threading.Thread(target=read) for _ in range(READERS)]
    for t in readers:
        t.start()
    for t in readers:
        t.join(timeout=120)
    done.set()
    if watcher:
        watcher.join()

    assert statuses == [200] * READERS
    if postgres:
        bound = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
        assert bound < READERS
        assert 0 < seen[0] <= bound
        # Nothing beyond the pool is held once the readers have gone.
        assert _server_connections(monitor, database) <= bound
        monitor.close()


def _hold_the_write_lock(scene):
    """Another writer holding what the API needs, from outside the server, and a short
    wait for this test's connection (the test client shares it)."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        holder = psycopg.connect(
            host=s["HOST"] or "127.0.0.1",
            port=int(s["PORT"] or 5432),
            user=s["USER"],
            password=s["PASSWORD"] or None,
            dbname=s["NAME"],
            autocommit=True,
        )
        key = _series_lock_key(scene["measure"].pk, scene["trust"].pk)
        holder.execute("SELECT pg_advisory_lock(%s)", [key])
        with connection.cursor() as c:
            c.execute("SET lock_timeout = '200ms'")

        def release():
            holder.close()
            with connection.cursor() as c:
                c.execute("RESET lock_timeout")

        return release
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with connection.cursor() as c:
        c.execute("PRAGMA busy_timeout = 200")

    def release():
        holder.rollback()
        holder.close()
        with connection.cursor() as c:
            timeout = settings.DATABASES["default"]["OPTIONS"]["timeout"]
            c.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")

    return release


def test_an_api_write_that_waits_too_long_is_a_503_to_retry_and_the_retry_works(
    scene, client
):
    body = {
        "organisation": "RDD",
        "observations": [
            {
                "measure": scene["measure"].code,
                "organisation": "RDD",
                "period": "2025-01",
                "numerator": 3,
                "denominator": 100,
            }
        ],
    }
    post = lambda: client.post(  # noqa: E731
        reverse("api:load"),
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {scene['token']}",
    )
    release = _hold_the_write_lock(scene)
    try:
        busy = post()
    finally:
        release()
    assert busy.status_code == 503
    assert busy["Content-Type"] == "application/json"
    assert int(busy["Retry-After"]) > 0
    assert "try again" in busy.json()["error"]
    assert not Observation.objects.filter(period="2025-01-01").exists()

    again = post()
    assert again.status_code == 201
    assert Observation.objects.filter(period="2025-01-01").count() == 1


def test_an_entry_form_save_that_waits_too_long_is_a_busy_page(scene, client):
    client.force_login(scene["analyst"])
    release = _hold_the_write_lock(scene)
    try:
        busy = client.post(
            reverse("measures:entry", args=[scene["measure"].code, "RDD"]),
            {"period": "2025-01", "numerator": "3", "denominator": "100"},
        )
    finally:
        release()
    assert busy.status_code == 503
    assert busy["Retry-After"]
    assert b"The service is busy" in busy.content
    assert not Observation.objects.filter(period="2025-01-01").exists()
