"""The first run of a real deployment: one command reads .env, sets up the database,
the first organisations (by ODS code, with their ICB) and the first administrator;
the administrator's home page says what to do next; roles are explained."""

from __future__ import annotations

import csv
import doctest
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PASSWORD = "Correct-Horse-Battery-42"


def _setup(*args: str) -> str:
    out = io.StringIO()
    call_command("setup", "--skip-migrate", "--no-input", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def admin_password(monkeypatch):
    monkeypatch.setenv("QUALITAS_ADMIN_PASSWORD", PASSWORD)


def _run(
    tmp_path: Path, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUALITAS_", "DATABASE_URL", "SECRET_KEY", "DJANGO_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "qualitas.web", *args],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(SRC), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_one_command_sets_up_production_from_the_env_file(tmp_path):
    db = tmp_path / "qualitas.sqlite3"
    (tmp_path / ".env").write_text(
        "QUALITAS_ENV=production\n"
        "SECRET_KEY=" + "k" * 50 + "\n"
        f"DATABASE_URL=sqlite:///{db}\n"
        f"STATIC_ROOT={tmp_path / 'static'}\n"
    )
    result = _run(
        tmp_path,
        "setup",
        "--organisation",
        "RAE",
        "--admin-username",
        "sam",
        "--admin-email",
        "sam@example.nhs.uk",
        "--no-input",
        env={"QUALITAS_ADMIN_PASSWORD": PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    assert f"read {tmp_path / '.env'}" in result.stdout
    assert "Added NHS West Yorkshire Integrated Care Board (QWO)" in result.stdout
    assert (tmp_path / "static").is_dir()
    with sqlite3.connect(db) as con:
        orgs = dict(
            con.execute(
                "SELECT o.ods_code, p.ods_code FROM organisations_organisation o "
                "LEFT JOIN organisations_organisation p ON o.parent_id = p.id"
            ).fetchall()
        )
        admin = con.execute(
            "SELECT u.is_superuser, m.role, o.ods_code FROM accounts_user u "
            "JOIN organisations_membership m ON m.user_id = u.id "
            "JOIN organisations_organisation o ON m.organisation_id = o.id "
            "WHERE u.username = 'sam'"
        ).fetchall()
    assert orgs == {"QWO": None, "RAE": "QWO"}
    assert admin == [(1, "administrator", "RAE")]
    # Run again: nothing new, nothing fails (it is also the upgrade command).
    again = _run(
        tmp_path,
        "setup",
        "--organisation",
        "RAE",
        "--admin-username",
        "sam",
        "--no-input",
        env={},
    )
    assert again.returncode == 0, again.stderr
    assert "was already there" in again.stdout


def test_without_an_env_file_it_says_settings_come_from_the_environment(tmp_path):
    result = _run(
        tmp_path,
        "setup",
        env={"QUALITAS_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/d"},
    )
    assert result.returncode == 0, result.stderr
    assert "no .env file here" in result.stdout
    assert "No administrator yet" in result.stdout


def test_a_missing_named_env_file_is_an_error(tmp_path):
    result = _run(
        tmp_path, "setup", env={"QUALITAS_ENV_FILE": str(tmp_path / "nope.env")}
    )
    assert result.returncode != 0
    assert "nope.env, which is not a file" in result.stderr


def test_the_real_environment_wins_over_the_file(tmp_path):
    (tmp_path / ".env").write_text("QUALITAS_BASE_URL=https://from-file.example\n")
    result = _run(
        tmp_path,
        "setup",
        env={
            "QUALITAS_ENV": "development",
            "DATABASE_URL": f"sqlite:///{tmp_path}/d",
            "QUALITAS_BASE_URL": "https://from-env.example",
        },
    )
    assert "https://from-env.example/accounts/login/" in result.stdout


def test_an_unknown_code_needs_its_name(db):
    with pytest.raises(CommandError, match="ZZ9=Name of the organisation"):
        _setup("--organisation", "ZZ9")


def test_an_unknown_code_with_a_name_joins_the_icb_given(db):
    from qualitas.web.organisations.models import Organisation

    _setup(
        "--organisation",
        "Y12345=Riverside Practice",
        "--parent",
        "QWO",
        "--kind",
        "practice",
    )
    practice = Organisation.objects.get(ods_code="Y12345")
    assert (practice.name, practice.kind) == ("Riverside Practice", "practice")
    assert practice.parent.name == "NHS West Yorkshire Integrated Care Board"


def test_what_the_lookup_knows_wins_over_options_for_unknown_codes(db):
    from qualitas.web.organisations.models import Organisation

    _setup("--organisation", "RJR", "--parent", "QWO", "--kind", "practice")
    trust = Organisation.objects.get(ods_code="RJR")
    assert trust.kind == "trust"
    assert trust.parent.ods_code == "QYG"


def test_a_trust_cannot_be_a_parent(db):
    with pytest.raises(CommandError, match="not an integrated care board"):
        _setup("--organisation", "Y1=Somewhere", "--parent", "RAE")


def test_the_first_administrator_administers_the_organisations(db, admin_password):
    from qualitas.web.accounts.models import User
    from qualitas.web.audit.models import AuditEvent

    out = _setup(
        "--organisation",
        "RR8",
        "--admin-username",
        "sam",
        "--admin-email",
        "sam@example.nhs.uk",
    )
    sam = User.objects.get(username="sam")
    assert sam.is_superuser
    assert sam.check_password(PASSWORD)
    assert [(m.organisation.ods_code, m.role) for m in sam.memberships.all()] == [
        ("RR8", "administrator")
    ]
    assert "Sign in as sam" in out
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"organisation.added", "user.added", "membership.added"} <= actions


def test_a_weak_password_is_refused(db, monkeypatch):
    from qualitas.web.accounts.models import User

    monkeypatch.setenv("QUALITAS_ADMIN_PASSWORD", "sam")
    with pytest.raises(CommandError, match="Password"):
        _setup("--admin-username", "sam", "--admin-email", "sam@example.nhs.uk")
    assert not User.objects.filter(username="sam").exists()


def test_the_offline_lookup_is_consistent():
    from qualitas.web.organisations import ods

    assert doctest.testmod(ods).failed == 0
    folder = Path(ods.__file__).parent
    icbs = {
        r["ods_code"]
        for r in csv.DictReader(io.StringIO((folder / "icbs.csv").read_text()))
    }
    trusts = list(csv.DictReader(io.StringIO((folder / "trusts.csv").read_text())))
    assert len(icbs) == 42
    assert len({t["ods_code"] for t in trusts}) == len(trusts)
    assert {t["icb_code"] for t in trusts} - {""} <= icbs


# --- the administrator's home page -------------------------------------------------


def test_an_administrator_with_no_organisation_is_told_what_to_do(client, db):
    from tests.web.factories import UserFactory

    sam = UserFactory(username="sam", is_superuser=True, is_staff=True)
    client.force_login(sam)
    page = client.get("/").content.decode()
    assert "Ask an administrator" not in page
    assert "python -m qualitas.web setup --organisation YOUR-ODS-CODE" in page
    assert "--admin-username sam" in page
    assert "/admin/organisations/organisation/add/" in page


def test_an_administrator_sees_the_first_steps_until_they_are_done(client, world):
    from tests.web.factories import MembershipFactory, OrganisationFactory

    new = OrganisationFactory(name="New Trust", ods_code="RNEW")
    admin = MembershipFactory(organisation=new, role="administrator").user
    client.force_login(admin)
    page = client.get("/").content.decode()
    assert "Getting started" in page
    assert "<s>" not in page  # nothing done yet
    MembershipFactory(organisation=new, role="analyst")
    page = client.get("/").content.decode()
    assert page.count("<s>") == 1


def test_people_who_are_not_administrators_see_no_setup_steps(client, world):
    client.force_login(world["users"]["member"])
    page = client.get("/").content.decode()
    assert "Getting started" not in page
    assert "setup --organisation" not in page


# --- roles ------------------------------------------------------------------------


def test_the_roles_page_shows_what_every_role_may_do(client, world):
    from django.utils.html import escape

    from qualitas.web.accounts.permissions import ROLES, Permission

    client.force_login(world["users"]["member"])
    page = client.get("/roles/").content.decode()
    for role in ROLES.values():
        assert escape(role.name) in page
        assert escape(role.description) in page
    for permission in Permission:
        assert escape(permission.description) in page
    analyst_yes = [p for p in Permission if p in ROLES["analyst"].permissions]
    assert len(analyst_yes) < len(Permission)


def test_docs_roles_is_generated_from_the_rules():
    from qualitas.web.accounts.permissions import roles_markdown

    assert (ROOT / "docs" / "roles.md").read_text() == roles_markdown(), (
        "docs/roles.md is out of date: "
        "python -m qualitas.web roles --markdown > docs/roles.md"
    )


def test_django_groups_are_not_in_the_admin(client, db):
    from tests.web.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert ">Groups<" not in client.get("/admin/").content.decode()
    assert client.get("/admin/auth/group/").status_code == 404
