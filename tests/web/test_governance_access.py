"""Every board governance and value view refuses people who may not use it, and lets in
someone who may (issue 6). The table works as the one in test_access.py: anonymous
visitors are sent to sign in, an outsider gets 404 for anything of ours, and a member
whose role lacks the permission gets 403."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.web.test_access import ANON, OUTSIDER, _call


def _objects(gov):
    from qualitas.web.assessments import services as assessment_services
    from qualitas.web.evidence import services as evidence_services
    from qualitas.web.meetings import services as meeting_services
    from qualitas.web.value import services as value_services

    qi = gov["qi"]
    seat = meeting_services.add_member(
        by=qi,
        committee=gov["committee"],
        user=gov["role_users"]["executive"],
        role="chair",
    )
    claim = value_services.create_claim(
        by=qi,
        organisation=gov["trust_a"],
        lands_in=gov["trust_a"],
        title="Fewer agency shifts",
        kind="cash",
        estimate_amount=Decimal(50000),
        method="Agency hours saved at the agency rate",
        owner="Director of Nursing",
    )
    assessment = assessment_services.start_assessment(
        by=gov["role_users"]["board_member"],
        organisation=gov["trust_a"],
        framework="maturity",
    )
    tag = evidence_services.tag(
        by=qi,
        organisation=gov["trust_a"],
        kind="decision",
        object_id=gov["decision"].pk,
        kloe="W6",
    )
    return {"seat": seat, "claim": claim, "assessment": assessment, "tag": tag}


def VIEWS():  # noqa: N802 - a table, read like a constant
    login = [(ANON, 302)]
    raa = lambda g, o: {"ods": "RAA"}  # noqa: E731
    none = lambda g, o: {}  # noqa: E731
    committee = lambda g, o: {"pk": g["committee"].pk}  # noqa: E731
    first = lambda g, o: {"pk": g["first"].pk}  # noqa: E731
    second = lambda g, o: {"pk": g["second"].pk}  # noqa: E731
    claim = lambda g, o: {"pk": o["claim"].pk}  # noqa: E731
    hidden = [*login, (OUTSIDER, 404)]
    return [
        # meetings
        ("meetings:index", none, "get", None, login, "member"),
        (
            "meetings:committee_new",
            raa,
            "get",
            None,
            [*hidden, ("board_member", 403), ("team_member", 403)],
            "qi_lead",
        ),
        ("meetings:committee", committee, "get", None, hidden, "member"),
        (
            "meetings:add_member",
            committee,
            "post",
            {"user": "__board__", "role": "member"},
            [*hidden, ("board_member", 403), ("team_member", 403)],
            "qi_lead",
        ),
        (
            "meetings:remove_member",
            lambda g, o: {"pk": g["committee"].pk, "member": o["seat"].pk},
            "post",
            {},
            [*hidden, ("board_member", 403)],
            "qi_lead",
        ),
        (
            "meetings:schedule",
            committee,
            "get",
            None,
            [*hidden, ("board_member", 403), ("finance", 403)],
            "executive",
        ),
        ("meetings:meeting", first, "get", None, hidden, "member"),
        (
            "meetings:freeze",
            second,
            "post",
            {"data_cut": "2024-09"},
            [*hidden, ("board_member", 403), ("finance", 403), ("team_member", 403)],
            "analyst",
        ),
        (
            "meetings:narrative",
            lambda g, o: {"pk": g["first"].pk, "measure": g["measure"].pk},
            "get",
            None,
            hidden,
            "patient_partner",
        ),
        (
            "meetings:decide",
            first,
            "post",
            {"text": "Noted"},
            [*hidden, ("board_member", 403), ("team_member", 403)],
            "qi_lead",
        ),
        (
            "meetings:add_action",
            first,
            "post",
            {"text": "Do it", "owner": "COO", "due": "2024-12-01"},
            [*hidden, ("board_member", 403)],
            "qi_lead",
        ),
        (
            "meetings:update_action",
            lambda g, o: {"pk": g["second"].pk, "action": g["action"].pk},
            "post",
            {"a0-note": "Progress"},
            [*hidden, ("team_member", 403), ("board_member", 403)],
            "qi_lead",
        ),
        (
            "meetings:held",
            first,
            "post",
            {},
            [*hidden, ("board_member", 403)],
            "qi_lead",
        ),
        (
            "meetings:pack",
            first,
            "post",
            {"format": "pdf"},
            [*hidden, ("team_member", 403), ("patient_partner", 403)],
            "board_member",
        ),
        # value
        ("value:index", none, "get", None, login, "member"),
        ("value:ledger", raa, "get", None, hidden, "member"),
        (
            "value:new",
            raa,
            "get",
            None,
            [*hidden, ("board_member", 403), ("team_member", 403)],
            "finance",
        ),
        ("value:opportunities", raa, "get", None, hidden, "member"),
        ("value:claim", claim, "get", None, hidden, "patient_partner"),
        (
            "value:edit",
            claim,
            "get",
            None,
            [*hidden, ("board_member", 403), ("team_member", 403)],
            "qi_lead",
        ),
        (
            "value:sign_off",
            claim,
            "post",
            {"outcome": "realised", "amount": "40000", "note": "GL 4410"},
            [
                *hidden,
                ("administrator", 403),
                ("qi_lead", 403),
                ("executive", 403),
                ("board_member", 403),
                ("analyst", 403),
            ],
            "finance",
        ),
        # governance: maturity, capability, training
        ("assessments:index", none, "get", None, login, "member"),
        ("assessments:organisation", raa, "get", None, hidden, "member"),
        (
            "assessments:start",
            raa,
            "post",
            {"framework": "maturity"},
            [*hidden, ("team_member", 403), ("analyst", 403), ("finance", 403)],
            "board_member",
        ),
        (
            "assessments:assessment",
            lambda g, o: {"pk": o["assessment"].pk},
            "get",
            None,
            hidden,
            "member",
        ),
        ("assessments:capability", raa, "get", None, hidden, "member"),
        ("assessments:training", raa, "get", None, hidden, "member"),
        (
            "assessments:headcount",
            raa,
            "post",
            {"staff": "120", "as_of": "2025-01-01"},
            [*hidden, ("board_member", 403), ("executive", 403)],
            "qi_lead",
        ),
        # well-led evidence
        ("evidence:index", raa, "get", None, hidden, "member"),
        (
            "evidence:tag",
            raa,
            "post",
            {
                "kind": "decision",
                "object_id": "__decision__",
                "statement": "governance",
            },
            [*hidden, ("board_member", 403), ("team_member", 403)],
            "qi_lead",
        ),
        (
            "evidence:untag",
            lambda g, o: {"ods": "RAA", "pk": o["tag"].pk},
            "post",
            {},
            [*hidden, ("board_member", 403)],
            "qi_lead",
        ),
        (
            "evidence:export",
            raa,
            "get",
            None,
            [*hidden, ("team_member", 403), ("patient_partner", 403)],
            "board_member",
        ),
    ]


def _data(data, gov, objects):
    if data is None:
        return None
    out = {}
    for key, value in data.items():
        if value == "__board__":
            value = gov["role_users"]["board_member"].pk
        elif value == "__decision__":
            value = gov["decision"].pk
        out[key] = value
    if "a0-note" in out:  # the update form is prefixed with the action's id
        out[f"a{gov['action'].pk}-note"] = out.pop("a0-note")
    return out


@pytest.mark.parametrize("view", VIEWS(), ids=[v[0] for v in VIEWS()])
def test_view_refuses_people_without_permission(view, gov, client):
    name, kwargs, method, data, refusals, _ = view
    objects = _objects(gov)
    url = reverse(name, kwargs=kwargs(gov, objects))
    for persona, status in refusals:
        client.logout()
        response = _call(client, gov, method, url, _data(data, gov, objects), persona)
        assert response.status_code == status, (
            f"{name} as {persona}: {response.status_code}, expected {status}"
        )
        if persona == ANON and status == 302:
            assert "login" in response["Location"]


@pytest.mark.parametrize("view", VIEWS(), ids=[v[0] for v in VIEWS()])
def test_view_lets_in_someone_allowed(view, gov, client):
    name, kwargs, method, data, _, allowed = view
    objects = _objects(gov)
    url = reverse(name, kwargs=kwargs(gov, objects))
    response = _call(client, gov, method, url, _data(data, gov, objects), allowed)
    assert response.status_code in (200, 302), (
        f"{name} as {allowed}: {response.status_code}"
    )
    if response.status_code == 302:
        assert "login" not in response["Location"]


def test_a_finance_user_elsewhere_cannot_sign_off_by_url(gov, client):
    from tests.web.factories import MembershipFactory

    claim = _objects(gov)["claim"]
    elsewhere = MembershipFactory(organisation=gov["other_trust"], role="finance").user
    sister = MembershipFactory(organisation=gov["trust_b"], role="finance").user
    url = reverse("value:sign_off", args=[claim.pk])
    data = {"outcome": "realised", "amount": "1", "note": ""}
    client.force_login(elsewhere)
    assert client.post(url, data).status_code == 404
    client.force_login(sister)  # a sister trust's finance cannot even see the claim
    assert client.post(url, data).status_code == 404
    claim.refresh_from_db()
    assert claim.realised_amount is None
