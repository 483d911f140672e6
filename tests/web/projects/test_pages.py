"""The project pages as a team uses them, and the hooks on the measure pages and the
integrated quality report."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

from django.urls import reverse

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission
from qualitas.web.projects.models import DriverNode, PDSACycle, Project, Spread


def _spec(html: str, chart_id: str) -> dict:
    """The Vega-Lite spec in the data-chart attribute of the chart ``chart_id``."""
    m = re.search(rf'id="{chart_id}"[^>]*?data-chart="([^"]*)"', html)
    assert m, f"no chart {chart_id}"
    return json.loads(unescape(m.group(1)))


def _layers(spec: dict) -> list[dict]:
    chart = spec["hconcat"][0] if "hconcat" in spec else spec
    out = []
    for layer in chart["layer"]:
        out.append(layer)
        out.extend(layer.get("layer", []))
    return out


def _cycle_rows(spec: dict) -> list[dict]:
    for layer in _layers(spec):
        values = layer.get("data", {}).get("values") or []
        if values and "prediction" in values[0]:
            return values
    return []


def test_a_team_runs_a_pdsa_cycle_through_the_pages(pworld, client):
    p, idea = pworld["project"], pworld["idea"]
    client.force_login(pworld["people"]["lead"])
    response = client.post(
        reverse("projects:cycle_new", args=[p.pk, idea.pk]),
        {
            "title": "Night shift for a week",
            "owner": pworld["people"]["lead"].pk,
            "question": "Will nights use it?",
            "prediction": "8 of 10 roundings at night.",
            "planned_start": "2024-05-06",
            "planned_end": "2024-05-13",
            "measures": [pworld["outcome"].pk],
        },
    )
    cycle = PDSACycle.objects.get(title="Night shift for a week")
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:cycle", args=[p.pk, cycle.pk])
    url = reverse("projects:cycle_start", args=[p.pk, cycle.pk])
    # The prediction was recorded just now: a start in 2024 is refused, saying why.
    refused = client.post(url, {"started_on": "2024-05-06"})
    assert refused.status_code == 200
    assert "The test cannot have started on 6 May 2024" in refused.content.decode()
    assert PDSACycle.objects.get(pk=cycle.pk).stage == "plan"
    # As if the plan had been written the week before the test.
    PDSACycle.objects.filter(pk=cycle.pk).update(
        prediction_recorded_at=dt.datetime(2024, 4, 29, 9, 0, tzinfo=dt.UTC)
    )
    assert client.post(url, {"started_on": "2024-05-06"}).status_code == 302
    page = client.get(reverse("projects:cycle", args=[p.pk, cycle.pk])).content.decode()
    assert "It cannot be changed" in page
    assert "before the test started on 6 May 2024" in page
    # The plan page now refuses, and says why.
    response = client.get(
        reverse("projects:cycle_plan", args=[p.pk, cycle.pk]), follow=True
    )
    assert "can no longer be changed" in response.content.decode()
    client.post(
        reverse("projects:cycle_study", args=[p.pk, cycle.pk]),
        {"ended_on": "2024-05-13", "result": "9 of 10", "outcome": "yes"},
    )
    response = client.post(
        reverse("projects:cycle_act", args=[p.pk, cycle.pk]), {"decision": "abandon"}
    )
    assert response.status_code == 200  # abandoning without a reason is refused
    assert "Say why the idea is abandoned" in response.content.decode()
    client.post(
        reverse("projects:cycle_act", args=[p.pk, cycle.pk]),
        {"decision": "adopt", "decision_reason": "Works at night too."},
    )
    cycle.refresh_from_db()
    assert (cycle.stage, cycle.decision) == ("done", "adopt")
    # The cycle page shows the measure around its dates, with this cycle marked.
    page = client.get(reverse("projects:cycle", args=[p.pk, cycle.pk])).content.decode()
    rows = _cycle_rows(_spec(page, "cycle-chart-0"))
    mine = [r for r in rows if r["highlight"]]
    assert len(mine) == 1
    assert mine[0]["start"].startswith("2024-05-06")
    assert mine[0]["prediction"] == "8 of 10 roundings at night."


def test_a_cycle_entered_before_starts_were_checked_does_not_claim_its_order(
    pworld, client
):
    from tests.web.projects.factories import CycleFactory

    # Entered before qualitas refused it: started 1 March, prediction 5 March.
    done = CycleFactory(
        change_idea=pworld["idea"],
        number=3,
        stage=PDSACycle.Stage.DO,
        prediction_recorded_at=dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC),
        started_on=dt.date(2024, 3, 1),
    )
    client.force_login(pworld["people"]["lead"])
    url = reverse("projects:cycle", args=[pworld["project"].pk, done.pk])
    page = client.get(url).content.decode()
    assert "before the test started" not in page
    assert "may have been written after the test began" in page


def test_the_measure_page_shows_the_projects_cycles_by_itself(pworld, client):
    client.force_login(pworld["people"]["colleague"])
    url = reverse("measures:chart", args=["falls", "RAA"])
    html = client.get(url).content.decode()
    rows = _cycle_rows(_spec(html, "spc-chart"))
    # The started cycle is drawn; the one still being planned is not.
    assert [r["dates"][:11] for r in rows] == ["01 Mar 2024"]
    assert "Fewer falls on Ward 5" in html
    assert "Improvement projects working on this measure" in html
    # Someone who cannot see the project sees no trace of it.
    client.force_login(pworld["people"]["patient_partner"])
    html = client.get(url).content.decode()
    assert _cycle_rows(_spec(html, "spc-chart")) == []
    assert "Fewer falls on Ward 5" not in html


def test_the_report_and_the_register_name_the_projects(pworld, client):
    client.force_login(pworld["people"]["board_member"])
    html = client.get(reverse("board:report", args=["RAA"])).content.decode()
    assert "Fewer falls on Ward 5" in html
    html = client.get(reverse("measures:detail", args=["falls"])).content.decode()
    assert "Fewer falls on Ward 5" in html
    client.force_login(pworld["people"]["sister_qi"])
    # Trust B's report has no project on the measure (the project is Trust A's).
    html = client.get(reverse("board:report", args=["RBB"])).content.decode()
    assert "Fewer falls on Ward 5" not in html


def test_the_driver_diagram_is_drawn_and_exported(pworld, client):
    client.force_login(pworld["people"]["board_member"])
    p = pworld["project"]
    svg = client.get(reverse("projects:diagram_svg", args=[p.pk]))
    assert svg["Content-Type"].startswith("image/svg+xml")
    text = svg.content.decode()
    for words in (
        "Safe bedside",
        "Call bell in reach",
        "Bedside checklist",
        "Reduce inpatient falls",
    ):
        assert words in text
    png = client.get(reverse("projects:diagram_png", args=[p.pk]))
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_diagram_escapes_what_people_type(pworld):
    from qualitas.web.projects import diagram

    DriverNode.objects.filter(pk=pworld["primary"].pk).update(
        text="<script>x</script> & co"
    )
    svg = diagram.driver_diagram_svg(
        diagram.for_project(Project.objects.get(pk=pworld["project"].pk))
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in svg


def test_the_driver_diagram_is_edited_in_place_with_htmx(pworld, client):
    client.force_login(pworld["people"]["lead"])
    p = pworld["project"]
    response = client.post(
        reverse("projects:driver_add", args=[p.pk]),
        {"text": "Staff awareness", "parent": ""},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="diagram-editor">')
    assert "Added primary driver &#x27;Staff awareness&#x27;" in html
    assert "Staff awareness" in html.split("</svg>")[0]  # in the drawing too
    response = client.post(
        reverse("projects:driver_add", args=[p.pk]),
        {"text": ""},
        HTTP_HX_REQUEST="true",
    )
    assert "There is a problem" in response.content.decode()
    node = DriverNode.objects.get(text="Staff awareness")
    client.post(
        reverse("projects:driver_move", args=[p.pk, node.pk]),
        {"direction": "up"},
        HTTP_HX_REQUEST="true",
    )
    assert list(p.drivers.filter(parent=None).values_list("text", flat=True)) == [
        "Staff awareness",
        "Safe bedside",
    ]
    response = client.post(
        reverse("projects:idea_add", args=[p.pk]),
        {"title": "Huddle", "drivers": [node.pk]},
    )
    assert response.status_code == 302  # without htmx, back to the page
    assert p.change_ideas.get(title="Huddle").drivers.get() == node


def test_a_spread_shares_the_project_with_the_receiving_organisation(pworld):
    p = pworld["project"]
    sister = pworld["people"]["sister"]
    assert has_permission(sister, Permission.VIEW_PROJECTS, p)
    Spread.objects.all().delete()
    sister = type(sister).objects.get(pk=sister.pk)  # fresh grants cache
    assert not has_permission(sister, Permission.VIEW_PROJECTS, p)
    Project.objects.filter(pk=p.pk).update(sharing="system")
    p.refresh_from_db()
    assert has_permission(sister, Permission.VIEW_PROJECTS, p)
    assert not has_permission(sister, Permission.EDIT_PROJECTS, p)
    outsider = pworld["people"]["outsider"]
    assert not has_permission(outsider, Permission.VIEW_PROJECTS, p)
    Project.objects.filter(pk=p.pk).update(sharing="everyone")
    p.refresh_from_db()
    assert has_permission(outsider, Permission.VIEW_PROJECTS, p)
    assert Project.objects.visible_to(outsider).filter(pk=p.pk).exists()


def test_partners_see_what_their_agreed_role_allows(pworld):
    p = pworld["project"]
    people = pworld["people"]
    expected = {
        "partner_summary": (True, False, False),
        "partner_read": (True, True, False),
        "partner_contribute": (True, True, True),
        "patient_partner": (False, False, False),
    }
    for who, (view, work, log) in expected.items():
        user = people[who]
        assert has_permission(user, Permission.VIEW_PROJECTS, p) is view, who
        assert has_permission(user, Permission.VIEW_PROJECT_WORK, p) is work, who
        assert has_permission(user, Permission.LOG_INVOLVEMENT, p) is log, who
        assert not has_permission(user, Permission.EDIT_PROJECTS, p), who
        visible = Project.objects.visible_to(user).filter(pk=p.pk).exists()
        assert visible is view, who


def test_a_summary_partner_sees_no_cycles_on_the_overview(pworld, client):
    client.force_login(pworld["people"]["partner_summary"])
    html = client.get(
        reverse("projects:detail", args=[pworld["project"].pk])
    ).content.decode()
    assert "Reduce inpatient falls" in html
    assert "Latest PDSA cycles" not in html
    assert reverse("projects:cycles", args=[pworld["project"].pk]) not in html


def test_the_portfolio_groups_and_flags_projects(pworld, client):
    client.force_login(pworld["people"]["colleague"])
    html = client.get(
        reverse("projects:portfolio"), {"group": "status"}
    ).content.decode()
    assert "Testing changes" in html
    assert "No balancing measure" in html
    html = client.get(reverse("projects:portfolio"), {"stalled": "on"}).content.decode()
    assert "Fewer falls on Ward 5" not in html
    client.force_login(pworld["people"]["outsider"])
    html = client.get(reverse("projects:portfolio")).content.decode()
    assert "Fewer falls on Ward 5" not in html


def test_the_team_completes_a_project_from_its_edit_page(pworld, client):
    p = pworld["project"]
    client.force_login(pworld["people"]["lead"])
    form = client.get(reverse("projects:edit", args=[p.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "aim_measure": pworld["measure"].pk,
            "aim_by": "2025-03",
            "unit": pworld["ward"].pk,
            "status": "completed",
            "ended_on": "2025-04-30",
        }
    )
    response = client.post(reverse("projects:edit", args=[p.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    p.refresh_from_db()
    assert (p.status, str(p.ended_on)) == ("completed", "2025-04-30")
    data["ended_on"] = "2023-01-01"  # before it started
    response = client.post(reverse("projects:edit", args=[p.pk]), data)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_a_cycle_under_way_after_the_latest_data_shows_and_says_so(pworld, client):
    from django.utils import timezone

    from qualitas.web.projects import services

    lead = pworld["people"]["lead"]
    p = pworld["project"]
    services.start_cycle(by=lead, cycle=pworld["planned"])  # today
    client.force_login(lead)
    html = client.get(reverse("projects:measures", args=[p.pk])).content.decode()
    rows = _cycle_rows(_spec(html, "measure-chart-0"))
    today = timezone.localdate()
    current = [r for r in rows if r["start"].startswith(today.isoformat())]
    assert len(current) == 1
    assert current[0]["waiting"]
    assert not next(r for r in rows if r["start"].startswith("2024-03-01"))["waiting"]
    label = current[0]["label"]
    assert f"No data yet since cycle {label} started" in html
    # The cycle's own page draws the latest data and runs on to the cycle.
    url = reverse("projects:cycle", args=[p.pk, pworld["planned"].pk])
    page = client.get(url).content.decode()
    mine = [r for r in _cycle_rows(_spec(page, "cycle-chart-0")) if r["highlight"]]
    assert mine
    assert mine[0]["waiting"]
