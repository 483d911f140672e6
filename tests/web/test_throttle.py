"""Sign-in throttling and the security events in the audit log (findings 5 and 6).

Written as the attacker: guessing one account's password from anywhere, guessing
many accounts' passwords from one address, and probing which accounts exist.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from qualitas.web.audit.models import AuditEvent
from tests.web.factories import MembershipFactory

PASSWORD = "correct horse battery staple"
LOGINS = ["accounts:login", "admin:login"]


def _try(client, url_name, username, password, address="192.0.2.1"):
    return client.post(
        reverse(url_name),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _signed_in(response) -> bool:
    return response.status_code == 302


@pytest.fixture
def admin_user(world):
    """A superuser: the account an attacker most wants, and one the admin login's
    staff-only form accepts."""
    from tests.web.factories import UserFactory

    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.mark.parametrize("url_name", LOGINS)
def test_twenty_wrong_passwords_lock_the_account_even_for_the_right_one(
    world, admin_user, url_name
):
    for n in range(20):
        # From a new address each time: the account itself is what is paused.
        response = _try(Client(), url_name, admin_user.username, "wrong", f"10.0.0.{n}")
        assert not _signed_in(response)
    response = _try(Client(), url_name, admin_user.username, PASSWORD, "10.9.9.9")
    assert response.status_code == 429
    assert "Signing in is paused" in response.content.decode()
    # When the pause ends (30 minutes by default), the right password works again.
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)
    )
    assert _signed_in(_try(Client(), url_name, admin_user.username, PASSWORD))


def test_nineteen_wrong_passwords_do_not_lock(world, admin_user):
    for _ in range(19):
        _try(Client(), "accounts:login", admin_user.username, "wrong")
    assert _signed_in(_try(Client(), "accounts:login", admin_user.username, PASSWORD))


def test_twenty_failures_from_one_address_pause_every_account_there(world):
    member = world["users"]["member"]
    for n in range(20):
        _try(Client(), "accounts:login", f"guess{n}", "wrong", "198.51.100.7")
    assert (
        _try(
            Client(), "accounts:login", member.username, PASSWORD, "198.51.100.7"
        ).status_code
        == 429
    )
    # The same person from elsewhere is not paused: their account had no failures.
    assert _signed_in(
        _try(Client(), "accounts:login", member.username, PASSWORD, "203.0.113.5")
    )


def test_lockout_never_reveals_whether_an_account_exists(world):
    member = world["users"]["member"]
    answers = []
    for n, username in enumerate((member.username, "no-such-person")):
        for _ in range(20):
            _try(Client(), "accounts:login", username, "wrong", f"10.1.{n}.1")
        response = _try(Client(), "accounts:login", username, "wrong", f"10.1.{n}.1")
        assert response.status_code == 429
        page = response.content.decode().replace(username, "NAME")
        answers.append(re.sub(r'CSRFToken": "\w+"', "", page))
    assert answers[0] == answers[1]


def test_lockout_period_comes_from_the_environment(world, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=5)
    settings.QUALITAS_LOCKOUT_MINUTES = 5
    member = world["users"]["member"]
    for _ in range(20):
        _try(Client(), "accounts:login", member.username, "wrong")
    response = _try(Client(), "accounts:login", member.username, PASSWORD)
    assert "paused for 5 minutes" in response.content.decode()
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)
    )
    assert _signed_in(_try(Client(), "accounts:login", member.username, PASSWORD))


def _visible(user, action):
    return AuditEvent.objects.visible_to(user).filter(action=action)


def test_sign_in_failure_lockout_and_sign_out_are_audited_for_each_organisation(world):
    member = world["users"]["member"]  # team member at trust A
    MembershipFactory(user=member, organisation=world["other_trust"], role="analyst")
    admin_a = world["role_users"]["administrator"]  # administrator at trust A
    admin_other = MembershipFactory(
        organisation=world["other_system"], role="administrator"
    ).user
    client = Client()
    assert _signed_in(_try(client, "accounts:login", member.username, PASSWORD))
    client.post(reverse("accounts:logout"))
    for _ in range(20):
        _try(Client(), "accounts:login", member.username, "wrong")
    for action in (
        "auth.signed_in",
        "auth.signed_out",
        "auth.sign_in_failed",
        "auth.locked_out",
    ):
        for admin in (admin_a, admin_other, world["users"]["owner"]):
            assert _visible(admin, action).exists(), (action, admin)
        # An administrator of an unrelated trust sees none of it.
        assert not _visible(world["users"]["outsider"], action).exists()
    failed = _visible(admin_a, "auth.sign_in_failed").first()
    assert failed.by_name == "anonymous"
    assert failed.after == {"username": member.username, "ip_address": "192.0.2.1"}
    assert "wrong" not in str(failed.after) + failed.summary


def test_failures_for_unknown_usernames_are_recorded_for_no_organisation(world):
    _try(Client(), "accounts:login", "no-such-person", "wrong")
    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert event.organisation is None
    assert not event.organisations.exists()
    assert (
        not AuditEvent.objects.visible_to(world["users"]["owner"])
        .filter(pk=event.pk)
        .exists()
    )


def test_token_and_password_events_reach_the_organisations_administrators(
    world, client_for
):
    analyst = world["role_users"]["analyst"]  # at trust A
    client = client_for(analyst)
    client.post(reverse("accounts:tokens"), {"name": "nightly"})
    token = analyst.api_tokens.get()
    client.post(reverse("accounts:revoke_token", args=[token.pk]))
    client.post(
        reverse("accounts:password"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer new passphrase",
            "new_password2": "a much longer new passphrase",
        },
    )
    for action in ("api_token.created", "api_token.revoked", "password.changed"):
        assert _visible(world["users"]["owner"], action).exists(), action
        assert _visible(world["role_users"]["administrator"], action).exists()
        assert not _visible(world["users"]["outsider"], action).exists()


def test_membership_changes_in_the_admin_are_visible_to_the_persons_organisations(
    world, client_for
):
    member = world["users"]["member"]
    MembershipFactory(user=member, organisation=world["trust_b"], role="board_member")
    admin_b = MembershipFactory(
        organisation=world["trust_b"], role="administrator"
    ).user
    # The trust A administrator gives the member a new role at trust A ...
    client = client_for(world["role_users"]["administrator"])
    membership = member.memberships.get(organisation=world["trust_a"])
    response = client.post(
        reverse("admin:organisations_membership_change", args=[membership.pk]),
        {"organisation": world["trust_a"].pk, "role": "qi_lead"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.changed")
    assert event.changes() == [("role", "team_member", "qi_lead")]
    # ... and trust B's administrator, whose colleague it is, sees that too.
    assert AuditEvent.objects.visible_to(admin_b).filter(pk=event.pk).exists()
