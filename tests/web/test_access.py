"""Every view refuses people who may not use it, and lets in someone who may.

``VIEWS`` lists the platform's URLs with who must be refused and how, and checks the
allowed person's request really works (tests/web/test_url_matrix.py is the table that
must hold every URL, for every role): anonymous visitors are sent to sign in (the API answers 401), an
outsider from another system gets 404 for anything of ours (they must not learn it
exists), and a member whose role lacks the permission gets 403.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from qualitas.web.measures.models import Annotation, ImportBatch, Rebase, Target

ANON, OUTSIDER = "anon", "outsider"


def _objects(world):
    w = world
    m, a = w["measure"], w["trust_a"]
    note = Annotation.objects.create(
        measure=m,
        organisation=a,
        period=dt.date(2024, 1, 1),
        text="x",
        by=w["role_users"]["qi_lead"],
    )
    change = Rebase.objects.create(
        measure=m,
        organisation=a,
        period=dt.date(2024, 1, 1),
        reason="a good long reason",
        by=None,
    )
    target = Target.objects.get(measure=m)
    from qualitas.web.measures.imports import _empty_frame, to_bytes

    batch = ImportBatch.objects.create(
        organisation=a,
        source="upload",
        status="previewed",
        pending=to_bytes(_empty_frame()),
    )
    from qualitas.web.accounts.models import ApiToken

    token = ApiToken.objects.create(
        user=w["role_users"]["analyst"], name="t", key_hash="0" * 64, hint="qtk_0000"
    )
    from django.utils import timezone

    from qualitas.web.jobs.models import Job

    job = Job.objects.create(
        kind="import_check",
        title="Checking a file",
        requested_by=w["role_users"]["analyst"],
        organisation=a,
        permission="import_data",
        status=Job.Status.DONE,
        finished_at=timezone.now(),
        result=b"a,b\n",
        result_name="result.csv",
        result_type="text/csv",
    )
    from qualitas.web.accounts.models import AccessRequest

    access = AccessRequest.objects.create(
        organisation=a, email="new.person@trust-a.nhs.test", reason="Ward clerk"
    )
    return {
        "note": note,
        "change": change,
        "target": target,
        "batch": batch,
        "token": token,
        "job": job,
        "access": access,
    }


# name, kwargs from (world, objects), method, POST data, [(persona, expected status)], allowed persona
def VIEWS():  # noqa: N802 - a table, read like a constant
    m = lambda w, o: {"code": w["measure"].code}  # noqa: E731
    mo = lambda w, o: {"code": w["measure"].code, "ods": "RAA"}  # noqa: E731
    none = lambda w, o: {}  # noqa: E731
    login = [(ANON, 302)]
    return [
        ("home", none, "get", None, login, "member"),
        ("components", none, "get", None, login, "member"),
        ("accounts:password", none, "get", None, login, "member"),
        (
            "accounts:tokens",
            none,
            "get",
            None,
            [*login, ("board_member", 403)],
            "analyst",
        ),
        (
            "accounts:revoke_token",
            lambda w, o: {"pk": o["token"].pk},
            "post",
            {},
            [*login, ("board_member", 403), (OUTSIDER, 404)],
            "analyst",
        ),
        (
            "accounts:access_requests",
            none,
            "get",
            None,
            [*login, ("qi_lead", 403), (OUTSIDER, 403)],
            "administrator",
        ),
        (
            "accounts:access_setting",
            lambda w, o: {"ods": "RAA"},
            "post",
            {"accepts": "yes"},
            [*login, ("qi_lead", 403), (OUTSIDER, 403)],
            "administrator",
        ),
        (
            "accounts:approve_access",
            lambda w, o: {"pk": o["access"].pk},
            "post",
            {"role": "team_member"},
            [*login, ("qi_lead", 403), (OUTSIDER, 403)],
            "administrator",
        ),
        (
            "accounts:decline_access",
            lambda w, o: {"pk": o["access"].pk},
            "post",
            {},
            [*login, ("qi_lead", 403), (OUTSIDER, 403)],
            "administrator",
        ),
        ("notifications:preferences", none, "get", None, login, "member"),
        (
            "notifications:follow",
            m,
            "post",
            {},
            [*login, (OUTSIDER, 404)],
            "member",
        ),
        (
            "notifications:unfollow",
            m,
            "post",
            {},
            [*login, (OUTSIDER, 404)],
            "member",
        ),
        (
            "organisations:detail",
            lambda w, o: {"ods": "RAA"},
            "get",
            None,
            [*login, (OUTSIDER, 404)],
            "member",
        ),
        ("measures:register", none, "get", None, login, "member"),
        (
            "measures:create",
            none,
            "get",
            None,
            [*login, ("board_member", 403)],
            "qi_lead",
        ),
        ("measures:detail", m, "get", None, [*login, (OUTSIDER, 404)], "member"),
        (
            "measures:edit",
            m,
            "get",
            None,
            [*login, (OUTSIDER, 404), ("qi_lead", 403)],
            "owner_analyst",
        ),
        (
            "measures:add_target",
            m,
            "post",
            {"starts": "2025-01", "value": "3"},
            [*login, (OUTSIDER, 404), ("executive", 403)],
            "owner_analyst",
        ),
        (
            "measures:remove_target",
            lambda w, o: {"code": w["measure"].code, "pk": o["target"].pk},
            "post",
            {},
            [*login, (OUTSIDER, 404), ("executive", 403)],
            "owner_analyst",
        ),
        ("measures:chart", mo, "get", None, [*login, (OUTSIDER, 404)], "member"),
        (
            "measures:annotate",
            mo,
            "post",
            {"period": "2024-02", "text": "note"},
            [*login, (OUTSIDER, 404), ("board_member", 403), ("patient_partner", 403)],
            "executive",
        ),
        (
            "measures:delete_annotation",
            lambda w, o: {**mo(w, o), "pk": o["note"].pk},
            "post",
            {},
            [*login, (OUTSIDER, 404), ("board_member", 403), ("executive", 403)],
            "qi_lead",
        ),
        (
            "measures:rebase",
            mo,
            "get",
            None,
            [*login, (OUTSIDER, 404), ("team_member", 403)],
            "qi_lead",
        ),
        (
            "measures:remove_rebase",
            lambda w, o: {**mo(w, o), "pk": o["change"].pk},
            "post",
            {"reason": "no longer true at all"},
            [*login, (OUTSIDER, 404), ("team_member", 403)],
            "qi_lead",
        ),
        (
            "measures:entry",
            mo,
            "get",
            None,
            [*login, (OUTSIDER, 404), ("board_member", 403), ("finance", 403)],
            "team_member",
        ),
        (
            "measures:breakdown",
            lambda w, o: {**mo(w, o), "name": "ethnicity"},
            "get",
            None,
            [*login, (OUTSIDER, 404)],
            "member",
        ),
        (
            "data:index",
            none,
            "get",
            None,
            [*login, ("board_member", 403)],
            "team_member",
        ),
        ("data:upload", none, "get", None, [*login, ("team_member", 403)], "analyst"),
        # Background jobs: only the person who asked sees one (404 for anyone else).
        ("jobs:index", none, "get", None, login, "member"),
        *(
            (
                name,
                lambda w, o: {"pk": o["job"].pk},
                "get",
                None,
                [*login, (OUTSIDER, 404), ("team_member", 404), ("qi_lead", 404)],
                "analyst",
            )
            for name in ("jobs:detail", "jobs:status", "jobs:download")
        ),
        ("data:entry", lambda w, o: {}, "get", None, login, "team_member"),
        ("data:template", none, "get", None, [*login, ("team_member", 403)], "analyst"),
        ("data:history", none, "get", None, [*login, ("team_member", 403)], "analyst"),
        (
            "data:batch",
            lambda w, o: {"pk": o["batch"].pk},
            "get",
            None,
            [*login, (OUTSIDER, 404), ("team_member", 404)],
            "analyst",
        ),
        (
            "data:apply",
            lambda w, o: {"pk": o["batch"].pk},
            "post",
            {},
            [*login, (OUTSIDER, 404), ("team_member", 404)],
            None,
        ),
        (
            "data:discard",
            lambda w, o: {"pk": o["batch"].pk},
            "post",
            {},
            [*login, (OUTSIDER, 404), ("qi_lead", 404)],
            "analyst",
        ),
        ("board:index", none, "get", None, login, "member"),
        (
            "board:report",
            lambda w, o: {"ods": "RAA"},
            "get",
            None,
            [*login, (OUTSIDER, 404)],
            "member",
        ),
        (
            "board:csv",
            lambda w, o: {"ods": "RAA"},
            "get",
            None,
            [*login, (OUTSIDER, 404), ("patient_partner", 403), ("team_member", 403)],
            "board_member",
        ),
        (
            "audit:list",
            none,
            "get",
            None,
            [*login, ("analyst", 403), (OUTSIDER, 403)],
            "owner",
        ),
        (
            "audit:detail",
            lambda w, o: {"pk": _event(w).pk},
            "get",
            None,
            [*login, ("analyst", 403), (OUTSIDER, 403)],
            "owner",
        ),
        ("api:docs", none, "get", None, login, "analyst"),
        ("api:organisations", none, "get", None, [(ANON, 401)], "api"),
        ("api:measures", none, "get", None, [(ANON, 401)], "api"),
        ("api:measure", m, "get", None, [(ANON, 401), ("api_outsider", 404)], "api"),
        (
            "api:observations",
            m,
            "get",
            None,
            [(ANON, 401), ("api_outsider", 404)],
            "api",
        ),
        ("api:spc", m, "get", None, [(ANON, 401), ("api_outsider", 404)], "api"),
        (
            "api:load",
            none,
            "post",
            None,
            [(ANON, 401), ("api_outsider", 404), ("api_board", 403)],
            "api",
        ),
        (
            "api:import",
            lambda w, o: {"pk": o["batch"].pk},
            "get",
            None,
            [(ANON, 401), ("api_outsider", 404)],
            "api",
        ),
        (
            "admin:index",
            none,
            "get",
            None,
            [(ANON, 302), ("analyst", 302), (OUTSIDER, 302)],
            "owner",
        ),
    ]


def _event(world):
    from qualitas.web.audit.services import record

    return record(
        by=None, action="test.event", summary="an event", organisation=world["system"]
    )


def _persona(world, name):
    users = world["users"]
    if name in ("member", "owner", OUTSIDER):
        return users[name]
    if name == "owner_analyst":
        from tests.web.factories import MembershipFactory

        return MembershipFactory(organisation=world["system"], role="analyst").user
    return world["role_users"][name]


def _token(user):
    from qualitas.web.accounts.services import create_api_token

    _, raw = create_api_token(by=user, name="test")
    return raw


def _call(client, world, method, url, data, persona):
    if persona == ANON:
        return getattr(client, method)(url, data or {})
    if persona.startswith("api"):
        user = {
            "api": world["role_users"]["analyst"],
            "api_outsider": world["users"][OUTSIDER],
        }.get(persona)
        if persona == "api_board":
            from tests.web.factories import MembershipFactory

            user = MembershipFactory(
                organisation=world["trust_a"], role="board_member"
            ).user
            # A board member cannot make a token: issue one directly to test the API's own check.
            from qualitas.web.accounts.models import ApiToken, hash_token

            raw = ApiToken.new_secret()
            ApiToken.objects.create(
                user=user, name="t", key_hash=hash_token(raw), hint=raw[:8]
            )
        else:
            raw = _token(user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        if method == "post":
            body = {
                "organisation": "RAA",
                "observations": [
                    {
                        "measure": "falls",
                        "organisation": "RAA",
                        "period": "2025-01",
                        "numerator": 1,
                        "denominator": 100,
                    }
                ],
            }
            return client.post(url, body, content_type="application/json", **headers)
        return client.get(
            url + ("?organisation=RAA" if "measures/" in url else ""), **headers
        )
    client.force_login(_persona(world, persona))
    return getattr(client, method)(url, data or {})


@pytest.mark.parametrize("view", VIEWS(), ids=[v[0] for v in VIEWS()])
def test_view_refuses_people_without_permission(view, world, client):
    name, kwargs, method, data, refusals, _ = view
    url = reverse(name, kwargs=kwargs(world, _objects(world)))
    for persona, status in refusals:
        client.logout()
        response = _call(client, world, method, url, data, persona)
        assert response.status_code == status, (
            f"{name} as {persona}: {response.status_code}, expected {status}"
        )
        if persona == ANON and status == 302:
            assert "login" in response["Location"]


@pytest.mark.parametrize(
    "view", [v for v in VIEWS() if v[5]], ids=[v[0] for v in VIEWS() if v[5]]
)
def test_view_lets_in_someone_allowed(view, world, client):
    name, kwargs, method, data, _, allowed = view
    url = reverse(name, kwargs=kwargs(world, _objects(world)))
    response = _call(client, world, method, url, data, allowed)
    assert response.status_code in (200, 201, 302), (
        f"{name} as {allowed}: {response.status_code}"
    )
    if response.status_code == 302:
        assert "login" not in response["Location"]


def test_outsider_cannot_learn_whether_a_measure_exists(world, client):
    client.force_login(world["users"][OUTSIDER])
    real = client.get(reverse("measures:chart", kwargs={"code": "falls", "ods": "RAA"}))
    invented = client.get(
        reverse("measures:chart", kwargs={"code": "no-such-measure", "ods": "RAA"})
    )
    assert real.status_code == invented.status_code == 404


def test_member_cannot_see_a_sister_trust_through_their_own_measure(world, client):
    """A trust member reads the system's shared measure, but not another trust's chart."""
    client.force_login(world["users"]["member"])
    assert (
        client.get(
            reverse("measures:chart", kwargs={"code": "falls", "ods": "RAA"})
        ).status_code
        == 200
    )
    assert (
        client.get(
            reverse("measures:chart", kwargs={"code": "falls", "ods": "RBB"})
        ).status_code
        == 404
    )
    assert client.get(reverse("board:report", kwargs={"ods": "QAA"})).status_code == 404


def test_system_member_sees_every_trust_in_the_system(world, client):
    client.force_login(world["users"]["owner"])
    for ods in ("QAA", "RAA", "RBB"):
        assert (
            client.get(reverse("board:report", kwargs={"ods": ods})).status_code == 200
        )
    assert client.get(reverse("board:report", kwargs={"ods": "RZZ"})).status_code == 404
