"""Configuration comes from the environment only, and fails loudly with a hint."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def _settings(env: dict[str, str], expr: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUALITAS_", "DATABASE_URL", "SECRET_KEY", "DJANGO_"))
    }
    code = f"import qualitas.web.settings as s; print({expr})"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "PYTHONPATH": SRC, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_needs_a_secret_key():
    result = _settings({"QUALITAS_ENV": "production"}, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "QUALITAS_ENV=demo" in result.stderr


def test_production_with_a_key_is_secure_by_default():
    result = _settings(
        {"SECRET_KEY": "x" * 50}, "s.DEBUG, s.SESSION_COOKIE_SECURE, s.DEMO_MODE"
    )
    assert result.stdout.strip() == "False True False"


def test_unknown_environment_is_refused():
    result = _settings({"QUALITAS_ENV": "staging"}, "1")
    assert "QUALITAS_ENV must be one of" in result.stderr


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("", "django.db.backends.sqlite3"),
        (
            "postgres://postgres@127.0.0.1:5432/qualitas",
            "django.db.backends.postgresql",
        ),
    ],
)
def test_database_from_database_url(url, engine):
    env = {"QUALITAS_ENV": "demo"}
    if url:
        env["DATABASE_URL"] = url
    result = _settings(env, "s.DATABASES['default']['ENGINE']")
    assert result.stdout.strip() == engine


def test_env_example_lists_every_variable_the_settings_read():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    settings = (root / "src/qualitas/web/settings.py").read_text()
    read = set(re.findall(r'_(?:flag|list)\("([A-Z_]+)"', settings)) | set(
        re.findall(r'os\.environ\.get\("([A-Z_]+)"', settings)
    )
    example = (root / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.M))
    assert read - listed == set()


def test_sqlite_writers_queue_for_the_write_lock():
    result = _settings(
        {"QUALITAS_ENV": "demo", "DATABASE_LOCK_TIMEOUT": "7"},
        "s.DATABASES['default']['OPTIONS']['transaction_mode'],"
        " s.DATABASES['default']['OPTIONS']['timeout']",
    )
    assert result.stdout.strip() == "IMMEDIATE 7.0"


def test_postgresql_connections_come_from_one_bounded_pool():
    result = _settings(
        {
            "QUALITAS_ENV": "demo",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/qualitas",
            "DATABASE_POOL_MAX_SIZE": "7",
            "DATABASE_LOCK_TIMEOUT": "3",
        },
        "s.DATABASES['default']['OPTIONS']['pool']['max_size'],"
        " s.DATABASES['default']['CONN_MAX_AGE'],"
        " s.DATABASES['default']['OPTIONS']['options']",
    )
    assert result.stdout.strip() == "7 0 -c lock_timeout=3000"


def test_a_pool_of_no_connections_is_refused():
    result = _settings(
        {
            "QUALITAS_ENV": "demo",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/qualitas",
            "DATABASE_POOL_MAX_SIZE": "0",
        },
        "1",
    )
    assert "DATABASE_POOL_MAX_SIZE must be 1 or more" in result.stderr
