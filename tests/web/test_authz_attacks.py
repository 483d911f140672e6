"""The authorization holes of issue 11 (findings 2, 4 and 7), each tried as the
attacker who found it. Each test fails on the code before its fix."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from qualitas.web.projects.models import ProjectInvitation, TeamMember

NO_ACCESS = "You don't have access to Trust B's data."


# --- finding 2: another organisation's data drawn on our pages ------------------------


def _claim_landing_at_trust_b(gov):
    from qualitas.web.value import services

    return services.create_claim(
        by=gov["qi"],
        organisation=gov["trust_a"],
        lands_in=gov["trust_b"],
        title="Fewer falls at Trust B",
        kind="cash",
        estimate_amount=Decimal(20000),
        method="Falls avoided at the cost of a fall",
        owner="Director of Nursing",
        evidence_measure=gov["measure"],
    )


@pytest.mark.parametrize("role", ["patient_partner", "executive"])
def test_a_claim_does_not_draw_the_data_of_the_trust_it_lands_in(gov, client, role):
    claim = _claim_landing_at_trust_b(gov)
    client.force_login(gov["role_users"][role])  # at Trust A only
    page = client.get(reverse("value:claim", args=[claim.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert NO_ACCESS in html
    assert 'id="spc-chart"' not in html  # no chart, so no Trust B values


def test_a_claim_draws_the_evidence_for_someone_who_sees_both_trusts(gov, client):
    claim = _claim_landing_at_trust_b(gov)
    client.force_login(gov["users"]["owner"])  # the system's administrator
    html = client.get(reverse("value:claim", args=[claim.pk])).content.decode()
    assert 'id="spc-chart"' in html
    assert NO_ACCESS not in html


def test_a_project_shared_with_everyone_does_not_show_its_trusts_data(pworld, client):
    project = pworld["project"]
    project.sharing = "everyone"
    project.save()
    client.force_login(pworld["people"]["outsider"])  # another system
    page = client.get(reverse("projects:measures", args=[project.pk]))
    assert page.status_code == 200  # the project is shared: its work may be read
    html = page.content.decode()
    assert "You don't have access to Trust A's data." in html
    assert 'id="measure-chart-0"' not in html
    client.force_login(pworld["people"]["colleague"])  # Trust A sees its own chart
    html = client.get(reverse("projects:measures", args=[project.pk])).content.decode()
    assert 'id="measure-chart-0"' in html


# --- finding 4: adding people to a project ----------------------------------------------


def _add(client, project, username, role="member"):
    return client.post(
        reverse("projects:team_add", args=[project.pk]),
        {"username": username, "role": role},
    )


def test_a_team_member_cannot_add_people_or_promote_themselves(pworld, client):
    from tests.web.projects.factories import TeamMemberFactory

    project, colleague = pworld["project"], pworld["people"]["colleague"]
    TeamMemberFactory(project=project, user=colleague, role="member")
    client.force_login(colleague)
    assert _add(client, project, colleague.username, "lead").status_code == 403
    outsider = pworld["people"]["outsider"]
    assert _add(client, project, outsider.username, "lead").status_code == 403
    assert project.team.get(user=colleague).role == "member"
    assert not project.team.filter(user=outsider).exists()
    assert not ProjectInvitation.objects.exists()


def test_someone_from_another_system_joins_only_when_their_administrator_approves(
    pworld, client
):
    from tests.web.factories import MembershipFactory

    project, outsider = pworld["project"], pworld["people"]["outsider"]
    client.force_login(pworld["people"]["lead"])
    assert _add(client, project, outsider.username, "lead").status_code == 302
    assert not project.team.filter(user=outsider).exists()
    invitation = ProjectInvitation.objects.get(project=project, user=outsider)
    assert invitation.status == "pending"
    decide = reverse("projects:invitation_decide", args=[invitation.pk])
    # Trust A's administrator cannot let someone of another system in.
    client.force_login(pworld["role_users"]["administrator"])
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    # The administrator of the outsider's own system can.
    theirs = MembershipFactory(
        organisation=pworld["other_system"], role="administrator"
    ).user
    client.force_login(theirs)
    listed = client.get(reverse("projects:invitations")).content.decode()
    assert project.title in listed
    assert client.post(decide, {"decision": "approve"}).status_code == 302
    assert project.team.get(user=outsider).role == "lead"
    # A team member from elsewhere still sees no Trust A data on the measures page.
    client.force_login(outsider)
    html = client.get(reverse("projects:measures", args=[project.pk])).content.decode()
    assert 'id="measure-chart-0"' not in html


def test_a_declined_invitation_adds_no_one(pworld):
    from qualitas.web.projects import services
    from tests.web.factories import MembershipFactory

    project, outsider = pworld["project"], pworld["people"]["outsider"]
    assert (
        services.invite(
            by=pworld["people"]["lead"],
            project=project,
            username=outsider.username,
            role="member",
        )
        is None
    )
    invitation = ProjectInvitation.objects.get(user=outsider)
    theirs = MembershipFactory(
        organisation=pworld["other_trust"], role="administrator"
    ).user
    services.decide_invitation(by=theirs, invitation=invitation, approve=False)
    assert not TeamMember.objects.filter(project=project, user=outsider).exists()
    with pytest.raises(ValidationError, match="already been decided"):
        services.decide_invitation(by=theirs, invitation=invitation, approve=True)
    with pytest.raises(PermissionDenied):  # a lead cannot decide for them
        services.decide_invitation(
            by=pworld["people"]["lead"], invitation=invitation, approve=True
        )


def test_the_reply_does_not_tell_which_usernames_exist(pworld, client):
    from tests.web.factories import UserFactory

    project = pworld["project"]
    UserFactory(username="no-organisation")  # no role anywhere: cannot be approved
    client.force_login(pworld["people"]["lead"])
    replies = set()
    for username in ("no-such-person", pworld["people"]["outsider"].username):
        for name in (username, "no-organisation"):
            page = _add(client, project, name)
            assert page.status_code == 302
            page = client.get(page["Location"])
            said = [str(m) for m in page.context["messages"]]
            replies.add(tuple(s.replace(f"'{name}'", "…") for s in said))
    assert len(replies) == 1, replies
    assert not project.team.filter(user__username="no-organisation").exists()


def test_a_partner_account_from_elsewhere_is_refused_like_an_unknown_one(pworld):
    from qualitas.web.projects import services

    project = pworld["project"]
    fields = {
        "name": "A partner",
        "kind": "patient",
        "agreed_role": "Reads the plans",
        "access": "read",
    }
    with pytest.raises(ValidationError) as refused:
        services.save_partner(
            by=pworld["people"]["lead"],
            project=project,
            user=pworld["people"]["outsider"],
            **fields,
        )
    assert refused.value.message_dict == {
        "username": [services.NO_SUCH_PERSON.format(org=project.organisation)]
    }


# --- finding 7: patient partners, evidence tagging, project files ---------------------


def test_a_meeting_narrative_lists_only_projects_the_reader_may_see(
    gov, pworld, client
):
    url = reverse("meetings:narrative", args=[gov["first"].pk, gov["measure"].pk])
    title = pworld["project"].title
    client.force_login(gov["role_users"]["patient_partner"])  # not on the project
    page = client.get(url)
    assert page.status_code == 200
    assert title not in page.content.decode()
    client.force_login(pworld["people"]["partner_read"])  # a partner on it
    assert title in client.get(url).content.decode()


def test_a_claim_not_yet_realised_cannot_be_tagged_as_evidence(gov):
    from qualitas.web.evidence import services

    claim = _claim_landing_at_trust_b(gov)  # light green: estimated only
    with pytest.raises(ValidationError, match="signed it off as realised"):
        services.tag(
            by=gov["qi"],
            organisation=gov["trust_a"],
            kind="claim",
            object_id=claim.pk,
            kloe="W5",
        )


def test_a_cycle_without_its_learning_cannot_be_tagged_as_evidence(pworld):
    from qualitas.web.evidence import services

    with pytest.raises(ValidationError, match="learning are written down"):
        services.tag(
            by=pworld["people"]["qi_lead"],
            organisation=pworld["trust_a"],
            kind="learning",
            object_id=pworld["planned"].pk,  # planned, not yet tested
            kloe="W8",
        )
    done = services.tag(
        by=pworld["people"]["qi_lead"],
        organisation=pworld["trust_a"],
        kind="learning",
        object_id=pworld["done"].pk,
        kloe="W8",
    )
    assert "Night staff" in done.summary


def _import(client, pworld, raw: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(pworld["people"]["lead"])
    return client.post(
        reverse("projects:import"),
        {
            "organisation": pworld["trust_a"].ods_code,
            "file": SimpleUploadedFile("p.json", raw, "application/json"),
        },
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("started_on", "2024-02-30"), ("prediction_recorded_at", "2024-13-01T09:00:00")],
)
def test_an_impossible_date_in_a_project_file_is_a_clear_error(
    pworld, client, field, value
):
    from qualitas.web.projects import exchange
    from qualitas.web.projects.models import Project

    data = exchange.export_project(pworld["project"])
    if field == "started_on":
        data["project"][field] = value
    else:  # a tested cycle's
        cycles = [c for i in data["project"]["change_ideas"] for c in i["cycles"]]
        next(c for c in cycles if c[field])[field] = value
    before = Project.objects.count()
    page = _import(client, pworld, json.dumps(data).encode())
    assert page.status_code == 200
    assert value in page.content.decode()
    assert Project.objects.count() == before


def test_deeply_nested_json_is_refused_without_a_server_error(pworld, client):
    deep = b"[" * 200_000 + b"]" * 200_000  # under the size limit
    page = _import(client, pworld, deep)
    assert page.status_code == 200
    assert "nests lists and objects more than" in page.content.decode()
    shallow_but_deep = ('{"a":' * 50 + "1" + "}" * 50).encode()
    page = _import(client, pworld, shallow_but_deep)
    assert "nests lists and objects more than" in page.content.decode()
