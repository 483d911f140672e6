"""The admin site, attacked by a scoped administrator (finding 1 of issue 11).

``owner`` administers the system QAA (and so its trusts). Each test tries one way to
take over an account outside that scope: a superuser with no memberships, a person of
another system, a person who also belongs (or administers) elsewhere.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from qualitas.web.audit.models import AuditEvent
from qualitas.web.organisations.models import Membership
from tests.web.factories import MembershipFactory, UserFactory

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new long passphrase"


@pytest.fixture
def people(world):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    loner = UserFactory(username="loner")  # no memberships at all
    # Works at Trust A and administers the other system: out of owner's reach.
    straddler = MembershipFactory(
        organisation=world["trust_a"], role="team_member", user__username="straddler"
    ).user
    MembershipFactory(
        user=straddler, organisation=world["other_system"], role="administrator"
    )
    return {
        "superuser": superuser,
        "loner": loner,
        "straddler": straddler,
        "outsider": world["users"]["outsider"],
        "member": world["users"]["member"],
    }


OUT_OF_SCOPE = ["superuser", "loner", "straddler", "outsider"]


def _password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def _set_password(client, user):
    return client.post(
        _password_url(user),
        {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )


def test_user_list_shows_only_people_inside_the_administered_organisations(
    world, people, client_for
):
    client = client_for(world["users"]["owner"])
    html = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert people["member"].username in html
    for name in OUT_OF_SCOPE:
        assert f">{people[name].username}<" not in html, name


@pytest.mark.parametrize("name", OUT_OF_SCOPE)
def test_change_and_password_forms_of_people_out_of_scope_are_not_found(
    world, people, client_for, name
):
    client = client_for(world["users"]["owner"])
    target = people[name]
    change = client.get(reverse("admin:accounts_user_change", args=[target.pk]))
    # Django's admin answers an object outside the queryset with a redirect to the
    # index ("doesn't exist"), never the form.
    assert change.status_code == 302
    assert client.get(_password_url(target)).status_code == 404


@pytest.mark.parametrize("name", OUT_OF_SCOPE)
def test_administrator_cannot_set_the_password_of_people_out_of_scope(
    world, people, client_for, client, name
):
    target = people[name]
    response = _set_password(client_for(world["users"]["owner"]), target)
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    assert not target.check_password(NEW_PASSWORD)
    assert not AuditEvent.objects.filter(action="password.reset_by_admin").exists()


def test_administrator_cannot_give_another_systems_user_a_role_then_take_them_over(
    world, people, client_for
):
    owner_client = client_for(world["users"]["owner"])
    outsider = people["outsider"]
    response = owner_client.post(
        reverse("admin:organisations_membership_add"),
        {"user": outsider.pk, "organisation": world["trust_a"].pk, "role": "analyst"},
    )
    assert response.status_code == 200  # the form again, with an error
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(
        user=outsider, organisation=world["trust_a"]
    ).exists()
    # Even had the role been given, they still belong to another system.
    MembershipFactory(user=outsider, organisation=world["trust_a"], role="analyst")
    assert _set_password(owner_client, outsider).status_code == 404
    outsider.refresh_from_db()
    assert outsider.check_password(PASSWORD)


def test_membership_form_offers_only_people_and_organisations_in_scope(
    world, people, client_for
):
    client = client_for(world["users"]["owner"])
    response = client.get(reverse("admin:organisations_membership_add"))
    form = response.context["adminform"].form
    users = set(form.fields["user"].queryset.values_list("username", flat=True))
    assert people["member"].username in users
    assert users.isdisjoint(people[n].username for n in OUT_OF_SCOPE)
    orgs = set(form.fields["organisation"].queryset.values_list("ods_code", flat=True))
    assert orgs == {"QAA", "RAA", "RBB"}


@pytest.mark.parametrize("name", OUT_OF_SCOPE)
def test_autocomplete_finds_no_one_out_of_scope(world, people, client_for, name):
    client = client_for(world["users"]["owner"])
    target = people[name]
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "organisations",
            "model_name": "membership",
            "field_name": "user",
            "term": target.username,
        },
    ).json()
    assert found["results"] == []
    member = people["member"]
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "organisations",
            "model_name": "membership",
            "field_name": "user",
            "term": member.username,
        },
    ).json()
    assert [r["id"] for r in found["results"]] == [str(member.pk)]


def test_password_set_by_an_administrator_is_audited_for_each_organisation(
    world, people, client_for
):
    member = people["member"]
    MembershipFactory(user=member, organisation=world["trust_b"], role="board_member")
    owner = world["users"]["owner"]
    response = _set_password(client_for(owner), member)
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="password.reset_by_admin")
    assert event.by == owner
    assert NEW_PASSWORD not in str(event.before) + str(event.after) + event.summary
    # Visible to an administrator of either trust the person belongs to.
    for trust in ("trust_a", "trust_b"):
        admin = MembershipFactory(organisation=world[trust], role="administrator").user
        assert AuditEvent.objects.visible_to(admin).filter(pk=event.pk).exists()
    assert (
        not AuditEvent.objects.visible_to(people["straddler"])
        .filter(pk=event.pk)
        .exists()
    )


def test_a_person_added_by_an_administrator_must_be_given_a_role_in_scope(
    world, client_for
):
    client = client_for(world["users"]["owner"])
    form = {
        "username": "newcomer",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "usable_password": "true",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "1",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-organisation": "",
        "memberships-0-role": "",
    }
    response = client.post(reverse("admin:accounts_user_add"), form)
    assert response.status_code == 200
    assert not response.context["inline_admin_formsets"][0].formset.is_valid()
    form["memberships-0-organisation"] = str(world["other_trust"].pk)
    form["memberships-0-role"] = "analyst"
    response = client.post(reverse("admin:accounts_user_add"), form)
    assert response.status_code == 200  # another system: not a valid choice
    form["memberships-0-organisation"] = str(world["trust_a"].pk)
    response = client.post(reverse("admin:accounts_user_add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="user.added")
    assert event.organisations.filter(pk=world["trust_a"].pk).exists()


def test_superuser_still_manages_everyone(world, people, client_for):
    client = client_for(people["superuser"])
    html = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    for name in ("loner", "straddler", "outsider", "member"):
        assert people[name].username in html


def test_a_password_set_by_an_administrator_ends_the_persons_sessions(
    world, people, client_for
):
    from django.test import Client

    member = people["member"]
    theirs = Client()
    theirs.force_login(member)
    assert theirs.get(reverse("home")).status_code == 200
    assert _set_password(client_for(world["users"]["owner"]), member).status_code == 302
    assert theirs.get(reverse("home")).status_code == 302  # signed out
