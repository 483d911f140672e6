"""Administrators import people from a CSV file: checked row by row, all or nothing,
only into organisations they administer; new people are invited by email to choose
a password."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from qualitas.web.accounts import people_import
from qualitas.web.accounts.models import User
from qualitas.web.organisations.models import Membership

URL = "/accounts/people/import/"


def _file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")


@pytest.fixture
def admin(world):
    return world["role_users"]["administrator"]  # administrator of Trust A


def _post(client, user, text):
    client.force_login(user)
    return client.post(URL, {"file": _file(text)})


TEN = "name,email,organisation,role\n" + "".join(
    f"Person {i},person{i}@nhs.net,RAA,{role}\n"
    for i, role in enumerate(
        [
            "Board member",
            "executive",
            "Quality improvement lead",
            "QI lead",
            "team_member",
            "Team member",
            "Analyst",
            "patient partner",
            "Finance",
            "Administrator",
        ]
    )
)


def test_ten_people_are_imported_and_invited(
    client, world, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, admin, TEN)
    assert response.status_code == 200
    assert "10 people imported" in response.content.decode()
    people = User.objects.filter(email__endswith="@nhs.net", email__startswith="person")
    assert people.count() == 10
    roles = set(
        Membership.objects.filter(user__in=people).values_list("role", flat=True)
    )
    assert roles == {
        "board_member",
        "executive",
        "qi_lead",
        "team_member",
        "analyst",
        "patient_partner",
        "finance",
        "administrator",
    }
    assert len(mail.outbox) == 10
    assert all(not u.has_usable_password() for u in people)
    assert {m.to[0] for m in mail.outbox} == {u.email for u in people}


def test_the_invitation_link_sets_a_password_once(
    client, world, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(
            client,
            admin,
            "name,email,organisation,role\nAna Lyst,ana@nhs.net,RAA,analyst\n",
        )
    body = mail.outbox[0].body
    assert "Analyst at Trust A" in body
    link = re.search(r"http://\S+/accounts/welcome/\S+/", body).group(0)
    path = link.split("8000", 1)[1] if "8000" in link else link
    client.logout()
    form = client.get(path, follow=True)
    assert "Choose your password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"new_password1": "Ward-Five-Falls-42", "new_password2": "Ward-Five-Falls-42"},
    )
    assert done.status_code == 302
    ana = User.objects.get(email="ana@nhs.net")
    assert ana.check_password("Ward-Five-Falls-42")
    again = client.get(path, follow=True).content.decode()
    assert "This link no longer works" in again


def test_every_problem_is_named_by_row_and_column_and_nobody_is_added(
    client, world, admin
):
    text = (
        "name,email,organisation,role\n"
        "Good Person,good@nhs.net,RAA,analyst\n"
        ",not-an-email,RAA,analyst\n"
        "Twice,good@nhs.net,RAA,wizard\n"
        "Elsewhere,else@nhs.net,RZZ,analyst\n"
        "Nowhere,nowhere@nhs.net,XXX,analyst\n"
    )
    response = _post(client, admin, text)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nobody was imported" in page
    checked = response.context["checked"]
    found = {(p.row, p.column) for p in checked.problems}
    assert found == {
        (3, "name"),
        (3, "email"),
        (4, "email"),
        (4, "role"),
        (5, "organisation"),
        (6, "organisation"),
    }
    messages = {(p.row, p.column): p.message for p in checked.problems}
    assert messages[(4, "email")] == "good@nhs.net is already on row 2"
    # Another system's trust and a code that does not exist read the same.
    assert messages[(5, "organisation")].replace("RZZ", "?") == messages[
        (6, "organisation")
    ].replace("XXX", "?")
    assert not User.objects.filter(email="good@nhs.net").exists()


def test_a_file_without_the_columns_is_refused(client, world, admin):
    response = _post(client, admin, "who,where\nA,B\n")
    assert response.status_code == 400
    assert "missing name, email, organisation, role" in response.content.decode()


def test_someone_with_an_account_gets_the_role_and_no_invitation(
    client, world, admin, django_capture_on_commit_callbacks
):
    member = world["users"]["member"]
    member.email = "member@nhs.net"
    member.save()
    with django_capture_on_commit_callbacks(execute=True):
        _post(
            client,
            admin,
            "name,email,organisation,role\nM,MEMBER@nhs.net,RAA,analyst\n",
        )
    assert Membership.objects.filter(user=member, role="analyst").exists()
    assert mail.outbox == []


def test_only_administrators_may_import(client, world):
    client.force_login(world["role_users"]["analyst"])
    assert client.get(URL).status_code == 403
    response = client.post(URL, {"file": _file(TEN)})
    assert response.status_code == 403
    assert not User.objects.filter(email="person0@nhs.net").exists()


def test_another_systems_administrator_cannot_add_people_to_us(client, world):
    from tests.web.factories import MembershipFactory

    foreign = MembershipFactory(
        organisation=world["other_system"], role="administrator"
    ).user
    response = _post(client, foreign, TEN)
    assert response.status_code == 400
    assert not User.objects.filter(email="person0@nhs.net").exists()


def test_a_system_administrator_may_add_people_to_its_trusts(client, world):
    response = _post(
        client,
        world["users"]["owner"],
        "name,email,organisation,role\nB,b@nhs.net,RBB,board\n",
    )
    assert response.status_code == 200
    assert (
        Membership.objects.get(user__email="b@nhs.net").organisation.ods_code == "RBB"
    )


def test_roles_are_read_by_name_or_key_in_any_case():
    assert people_import.ROLE_WORDS["quality improvement lead"] == "qi_lead"
    assert people_import.ROLE_WORDS["patient_partner"] == "patient_partner"
