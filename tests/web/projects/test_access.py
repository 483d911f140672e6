"""Every project view refuses people who may not use it, and lets in someone who may.

Refusals: anonymous visitors are sent to sign in; people who may not see the project
(an outsider from another system, a patient partner who is not on this project) get
404, so they cannot learn that it exists; people who may see it but not do the thing
(a colleague who is not on the team, a board member, a partner with summary access
reading PDSA cycles) get 403. The table covers the projects app with the project's own
people; tests/web/test_url_matrix.py is the table that fails when a URL has no row.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

ANON, OUTSIDER, STRANGER = "anon", "outsider", "patient_partner"
NOT_SEEN = [(ANON, 302), (OUTSIDER, 404), (STRANGER, 404)]


def VIEWS():  # noqa: N802 - a table, read like a constant
    p = lambda w: {"pk": w["project"].pk}  # noqa: E731
    none = lambda w: {}  # noqa: E731

    def sub(key, name):
        return lambda w: {"pk": w["project"].pk, key: w[name].pk}

    edit = [*NOT_SEEN, ("colleague", 403), ("board_member", 403), ("partner_read", 403)]
    work = [*NOT_SEEN, ("partner_summary", 403)]
    return [
        # name, kwargs, method, data, refusals, allowed persona
        ("projects:portfolio", none, "get", None, [(ANON, 302)], "colleague"),
        (
            "projects:create",
            none,
            "get",
            None,
            [(ANON, 302), ("board_member", 403), (STRANGER, 403)],
            "colleague",
        ),
        (
            "projects:import",
            none,
            "get",
            None,
            [(ANON, 302), ("board_member", 403), (OUTSIDER, 403)],
            "lead",
        ),
        ("projects:learning", none, "get", None, [(ANON, 302)], "partner_summary"),
        ("projects:spread_list", none, "get", None, [(ANON, 302)], "colleague"),
        (
            "projects:spread_update",
            lambda w: {"pk": w["spread"].pk},
            "get",
            None,
            [*NOT_SEEN, ("board_member", 403), ("colleague", 403)],
            "sister",
        ),
        (
            "projects:spread_take_up",
            lambda w: {"pk": w["spread"].pk},
            "post",
            {},
            [*NOT_SEEN, ("board_member", 403), ("colleague", 403)],
            "sister",
        ),
        ("projects:detail", p, "get", None, NOT_SEEN, "partner_summary"),
        ("projects:edit", p, "get", None, edit, "lead"),
        ("projects:export", p, "get", None, work, "colleague"),
        ("projects:diagram", p, "get", None, NOT_SEEN, "partner_summary"),
        ("projects:diagram_svg", p, "get", None, NOT_SEEN, "board_member"),
        ("projects:diagram_png", p, "get", None, NOT_SEEN, "board_member"),
        ("projects:driver_add", p, "post", {"text": "New driver"}, edit, "lead"),
        (
            "projects:driver_edit",
            sub("driver", "primary"),
            "post",
            {"text": "Renamed"},
            edit,
            "qi_lead",
        ),
        (
            "projects:driver_remove",
            sub("driver", "secondary"),
            "post",
            {},
            edit,
            "lead",
        ),
        (
            "projects:driver_move",
            sub("driver", "primary"),
            "post",
            {"direction": "down"},
            edit,
            "lead",
        ),
        ("projects:idea_add", p, "post", {"title": "New idea"}, edit, "lead"),
        (
            "projects:idea",
            sub("idea", "idea"),
            "get",
            None,
            NOT_SEEN,
            "partner_summary",
        ),
        ("projects:idea_edit", sub("idea", "idea"), "get", None, edit, "lead"),
        ("projects:idea_remove", sub("idea", "untested"), "post", {}, edit, "lead"),
        ("projects:idea_spread", sub("idea", "idea"), "get", None, edit, "lead"),
        ("projects:cycle_new", sub("idea", "idea"), "get", None, edit, "lead"),
        ("projects:cycles", p, "get", None, work, "partner_read"),
        ("projects:cycle", sub("cycle", "planned"), "get", None, work, "partner_read"),
        ("projects:cycle_plan", sub("cycle", "planned"), "get", None, edit, "lead"),
        (
            "projects:cycle_start",
            sub("cycle", "planned"),
            "post",
            {"started_on": "2024-02-01"},
            edit,
            "lead",
        ),
        (
            "projects:cycle_do",
            sub("cycle", "planned"),
            "post",
            {"what_happened": "x", "as_planned": "yes"},
            edit,
            "lead",
        ),
        (
            "projects:cycle_study",
            sub("cycle", "planned"),
            "post",
            {"result": "x", "outcome": "yes", "ended_on": "2024-02-08"},
            edit,
            "lead",
        ),
        (
            "projects:cycle_act",
            sub("cycle", "planned"),
            "post",
            {"decision": "adopt"},
            edit,
            "lead",
        ),
        ("projects:measures", p, "get", None, work, "board_member"),
        (
            "projects:measure_link",
            p,
            "post",
            {"measure": "falls", "role": "balancing"},
            edit,
            "lead",
        ),
        (
            "projects:measure_new",
            p,
            "get",
            None,
            [*edit, ("lead", 403)],
            "qi_lead",
        ),
        (
            "projects:measure_unlink",
            sub("link", "outcome"),
            "post",
            {},
            edit,
            "lead",
        ),
        ("projects:team", p, "get", None, NOT_SEEN, "partner_summary"),
        (
            "projects:team_add",
            p,
            "post",
            {"username": "nobody", "role": "member"},
            edit,
            "lead",
        ),
        (
            "projects:team_remove",
            sub("member", "member"),
            "post",
            {},
            edit,
            "lead",
        ),
        ("projects:partner_new", p, "get", None, edit, "lead"),
        (
            "projects:partner_edit",
            lambda w: {"pk": w["project"].pk, "partner": w["partners"]["read"].pk},
            "get",
            None,
            [*edit, ("partner_contribute", 403)],
            "lead",
        ),
        ("projects:involvement", p, "get", None, NOT_SEEN, "partner_summary"),
        (
            "projects:involvement_edit",
            sub("entry", "entry"),
            "get",
            None,
            [*NOT_SEEN, ("colleague", 403), ("partner_read", 403)],
            "partner_contribute",
        ),
        ("projects:progress", p, "get", None, NOT_SEEN, "partner_summary"),
    ]


def _call(client, w, method, url, data, persona):
    client.logout()
    if persona != ANON:
        client.force_login(w["people"][persona])
    return getattr(client, method)(url, data or {})


@pytest.mark.parametrize("view", VIEWS(), ids=[v[0] for v in VIEWS()])
def test_project_view_refuses_people_without_permission(view, pworld, client):
    name, kwargs, method, data, refusals, _ = view
    url = reverse(name, kwargs=kwargs(pworld))
    for persona, status in refusals:
        response = _call(client, pworld, method, url, data, persona)
        assert response.status_code == status, (
            f"{name} as {persona}: {response.status_code}, expected {status}"
        )
        if persona == ANON:
            assert "login" in response["Location"]


@pytest.mark.parametrize("view", VIEWS(), ids=[v[0] for v in VIEWS()])
def test_project_view_lets_in_someone_allowed(view, pworld, client):
    name, kwargs, method, data, _, allowed = view
    url = reverse(name, kwargs=kwargs(pworld))
    response = _call(client, pworld, method, url, data, allowed)
    assert response.status_code in (200, 302), (
        f"{name} as {allowed}: {response.status_code}"
    )
    if response.status_code == 302:
        assert "login" not in response["Location"]
