"""Signing in and out, changing a password, roles and permissions, demo accounts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qualitas.web import authorization as access
from qualitas.web.accounts.permissions import ROLES, Permission
from qualitas.web.audit.models import AuditEvent
from tests.web.factories import MembershipFactory, UserFactory

PASSWORD = "correct horse battery staple"


def test_sign_in_and_out(world, client):
    user = world["users"]["member"]
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_refused_with_a_message(world, client):
    response = client.post(
        reverse("accounts:login"),
        {"username": world["users"]["member"].username, "password": "nope"},
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_sign_out_needs_a_post(world, client_for):
    client = client_for(world["users"]["member"])
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_csrf_is_checked(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["role_users"]["executive"])
    response = client.post(
        reverse("measures:annotate", kwargs={"code": "falls", "ods": "RAA"}),
        {"period": "2024-01", "text": "x"},
    )
    assert response.status_code == 403


def test_change_password_is_audited_without_the_password(world, client_for):
    user = world["users"]["member"]
    client = client_for(user)
    response = client.post(
        reverse("accounts:password"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer new passphrase",
            "new_password2": "a much longer new passphrase",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a much longer new passphrase")
    event = AuditEvent.objects.get(action="password.changed")
    assert event.before is None
    assert event.after is None


def test_demo_accounts_sign_in_only_in_demo_mode(db, client, settings):
    user = UserFactory(username="board", is_demo=True)
    settings.DEMO_MODE = False
    assert not client.login(username="board", password=PASSWORD)
    settings.DEMO_MODE = True
    assert client.login(username="board", password=PASSWORD)
    settings.DEMO_MODE = False
    # A session from demo mode stops working when the mode ends.
    assert client.get(reverse("home")).status_code == 302
    assert user.is_demo


def test_demo_accounts_api_tokens_work_only_in_demo_mode(world, client, settings):
    from qualitas.web.accounts import services

    analyst = world["role_users"]["analyst"]
    _, raw = services.create_api_token(by=analyst, name="pipeline")
    analyst.is_demo = True
    analyst.save()
    url = reverse("api:organisations")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    settings.DEMO_MODE = True
    assert client.get(url, **auth).status_code == 200
    # The demo's passwords are public, so its tokens must not outlive demo mode.
    settings.DEMO_MODE = False
    assert client.get(url, **auth).status_code == 401


def test_every_role_has_a_plain_description_and_only_administrators_read_the_log():
    for role in ROLES.values():
        assert role.description.endswith(".")
        assert Permission.VIEW_MEASURES in role.permissions
    readers = {
        k for k, r in ROLES.items() if Permission.VIEW_AUDIT_LOG in r.permissions
    }
    assert readers == {"administrator"}
    for p in Permission:
        assert p.description


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        ("board_member", Permission.EXPORT_REPORT, True),
        ("board_member", Permission.ANNOTATE_CHART, False),
        ("executive", Permission.ANNOTATE_CHART, True),
        ("qi_lead", Permission.REBASE_CHART, True),
        ("qi_lead", Permission.IMPORT_DATA, False),
        ("team_member", Permission.ENTER_DATA, True),
        ("team_member", Permission.REBASE_CHART, False),
        ("analyst", Permission.IMPORT_DATA, True),
        ("patient_partner", Permission.EXPORT_REPORT, False),
        ("finance", Permission.EXPORT_REPORT, True),
        ("finance", Permission.ENTER_DATA, False),
        ("administrator", Permission.VIEW_AUDIT_LOG, True),
    ],
)
def test_roles_grant_their_permissions_in_their_organisation_only(
    world, role, permission, allowed
):
    user = MembershipFactory(organisation=world["trust_a"], role=role).user
    assert access.has_permission(user, permission, world["trust_a"]) is allowed
    assert access.has_permission(user, permission, world["trust_b"]) is False
    assert access.has_permission(user, permission, world["system"]) is False


def test_a_role_in_a_system_reaches_its_members(world):
    user = MembershipFactory(organisation=world["system"], role="analyst").user
    for org in ("system", "trust_a", "trust_b"):
        assert access.has_permission(user, Permission.IMPORT_DATA, world[org])
    assert not access.has_permission(user, Permission.IMPORT_DATA, world["other_trust"])


def test_members_read_their_systems_shared_measures_but_cannot_change_them(world):
    member = world["role_users"]["qi_lead"]
    assert access.has_permission(member, Permission.VIEW_MEASURES, world["measure"])
    assert not access.has_permission(
        member, Permission.MANAGE_MEASURES, world["measure"]
    )
    assert not access.has_permission(
        member, Permission.VIEW_MEASURES, world["other_measure"]
    )


def test_inactive_and_anonymous_users_have_no_permissions(world):
    from django.contrib.auth.models import AnonymousUser

    user = world["users"]["owner"]
    user.is_active = False
    access.forget_grants(user)
    assert not access.has_permission(user, Permission.VIEW_MEASURES)
    assert not access.has_permission(AnonymousUser(), Permission.VIEW_MEASURES)


def test_tokens_page_shows_a_new_token_once(world, client_for):
    client = client_for(world["role_users"]["analyst"])
    html = client.post(
        reverse("accounts:tokens"), {"name": "warehouse"}
    ).content.decode()
    assert "qtk_" in html
    assert "copy it now" in html.lower()
    html = client.get(reverse("accounts:tokens")).content.decode()
    assert "warehouse" in html
    assert "copy it now" not in html.lower()


def test_home_lists_the_users_organisations(world, client_for):
    html = client_for(world["users"]["owner"]).get(reverse("home")).content.decode()
    for name in ("Test ICB", "Trust A", "Trust B"):
        assert name in html
    assert "Other Trust" not in html


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        ("short pass", "at least 12 characters"),
        ("password1234", "too common"),
        ("834759283745", "entirely numeric"),
    ],
)
def test_weak_new_passwords_are_refused(world, client_for, new, problem):
    user = world["users"]["member"]
    response = client_for(user).post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200
    assert problem in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_sign_in_never_redirects_to_another_site(world, client):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {
            "username": world["users"]["member"].username,
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_signing_in_starts_a_new_session(world, client):
    client.get(reverse("accounts:login"))
    client.cookies["sessionid"] = "planted-by-an-attacker"
    client.post(
        reverse("accounts:login"),
        {"username": world["users"]["member"].username, "password": PASSWORD},
    )
    assert client.cookies["sessionid"].value != "planted-by-an-attacker"
    assert client.get(reverse("home")).status_code == 200
