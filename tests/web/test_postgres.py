"""The web tests run on SQLite and, a second time, on PostgreSQL (`make test` sets
DATABASE_URL for that run). These checks make sure the second run really happens in CI
and really uses PostgreSQL."""

from __future__ import annotations

import os

import pytest
from django.db import connection

pytestmark = pytest.mark.postgres

DEFAULT = "postgres://postgres@127.0.0.1:5432/test"


def test_postgresql_is_reachable_for_the_second_run():
    import psycopg

    url = os.environ.get("DATABASE_URL_POSTGRES") or DEFAULT
    try:
        psycopg.connect(
            url.replace("postgres://", "postgresql://", 1), connect_timeout=5
        ).close()
    except psycopg.OperationalError as e:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is not reachable at {url}: {e}", pytrace=False)
        pytest.skip(f"PostgreSQL is not running at {url}")


def test_the_database_is_the_one_database_url_names(db):
    url = os.environ.get("DATABASE_URL", "")
    expected = (
        "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    )
    assert connection.vendor == expected
