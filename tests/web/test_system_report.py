"""The system report: every measure × every organisation of a system, concerns and
failing targets first; each cell is the engine's answer for that organisation alone;
cells open a chart only where the viewer may see it; other organisations' figures
are never shown to a trust's people; formula-safe CSV; refusals."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualitas.spc import xmr
from qualitas.web.board import system
from qualitas.web.measures.models import Measure, Observation
from tests.web.factories import (
    MeasureFactory,
    MembershipFactory,
    OrganisationFactory,
    TargetFactory,
)

MONTHS = [dt.date(2022 + i // 12, i % 12 + 1, 1) for i in range(24)]
FLAT = [10, 11, 10, 12, 11, 10, 11, 12, 10, 11, 10, 11] * 2
WORSE = [*FLAT[:-1], 30]  # last point far above the limit: concern (lower is better)


def _measure(world, code, **fields):
    return MeasureFactory(
        code=code,
        name=fields.pop("name", code.replace("-", " ").title()),
        organisation=world["system"],
        aggregation="sum",
        multiplier=1,
        direction=fields.pop("direction", "decrease"),
        **fields,
    )


def _values(measure, org, values):
    Observation.objects.bulk_create(
        Observation(measure=measure, organisation=org, period=p, value=float(v))
        for p, v in zip(MONTHS, values, strict=True)
    )


@pytest.fixture
def grid(world):
    """Three measures at Trust A and Trust B: one steady at both, one of concern at
    Trust B only, one failing its target at both."""
    a, b = world["trust_a"], world["trust_b"]
    steady = _measure(world, "a-steady", domain="efficient")
    worse = _measure(world, "b-worse", domain="safe")
    failing = _measure(world, "c-failing", domain="efficient")
    for m in (steady, failing):
        _values(m, a, FLAT)
        _values(m, b, FLAT)
    _values(worse, a, FLAT)
    _values(worse, b, WORSE)
    TargetFactory(measure=failing, value=2.0)  # far below the limits: failing
    world["icb_analyst"] = MembershipFactory(
        organisation=world["system"], role="analyst"
    ).user
    return world


def _all(measures, orgs):
    return {m.pk: set(orgs) for m in measures}


def _page(client, ods="QAA"):
    return client.get(reverse("board:system", kwargs={"ods": ods}))


def _csv(client, ods="QAA"):
    response = client.get(reverse("board:system_csv", kwargs={"ods": ods}))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_concerns_and_failing_targets_come_first(grid):
    measures = list(
        Measure.objects.filter(code__in=["a-steady", "b-worse", "c-failing"])
    )
    trusts = {grid["trust_a"].pk, grid["trust_b"].pk}
    rep = system.build(grid["system"], measures, readable=_all(measures, trusts))
    assert [r.measure.code for r in rep.rows] == ["b-worse", "c-failing", "a-steady"]
    worse = rep.rows[0]
    # The row leads because of Trust B; Trust A's cell is common cause.
    by_org = {c.organisation.ods_code: c for c in worse.cells}
    assert by_org["RBB"].variation == "concern_high"
    assert by_org["RAA"].variation == "common_cause"
    assert worse.priority == 1
    assert worse.flagged == 1
    assert rep.rows[1].priority == 2
    assert rep.rows[1].flagged == 2
    assert {c.assurance for c in rep.rows[1].cells} == {"fail"}
    assert rep.concern_count == 1
    assert rep.failing_count == 2


def test_a_measure_of_concern_at_more_organisations_comes_before_one_at_fewer(grid):
    more = _measure(grid, "d-worse-twice", domain="timely")
    _values(more, grid["trust_a"], WORSE)
    _values(more, grid["trust_b"], WORSE)
    measures = list(Measure.objects.filter(code__in=["b-worse", "d-worse-twice"]))
    trusts = {grid["trust_a"].pk, grid["trust_b"].pk}
    rep = system.build(grid["system"], measures, readable=_all(measures, trusts))
    assert [r.measure.code for r in rep.rows] == ["d-worse-twice", "b-worse"]


def test_each_cell_is_the_engines_answer_for_that_organisation_alone(grid):
    # Trust B has a target of its own for the steady measure; Trust A the general one.
    steady = Measure.objects.get(code="a-steady")
    TargetFactory(measure=steady, value=20.0)
    TargetFactory(measure=steady, value=5.0, organisation=grid["trust_b"])
    measures = list(
        Measure.objects.filter(code__in=["a-steady", "b-worse", "c-failing"])
    )
    trusts = [grid["trust_a"], grid["trust_b"]]
    rep = system.build(
        grid["system"], measures, readable=_all(measures, {t.pk for t in trusts})
    )
    checked = 0
    for row in rep.rows:
        for cell in row.cells:
            frame = pd.DataFrame(
                list(
                    Observation.objects.totals()
                    .filter(measure=row.measure, organisation=cell.organisation)
                    .values("period", "value")
                )
            )
            alone = xmr(
                frame,
                value="value",
                period="period",
                direction=row.measure.direction,
                target=cell.target,
            ).icons.iloc[0]
            assert cell.variation == alone["variation"]
            assert cell.value == pytest.approx(alone["value"])
            expected = None if pd.isna(alone["assurance"]) else alone["assurance"]
            assert cell.assurance == expected
            checked += 1
    assert checked == 6
    steady_row = next(r for r in rep.rows if r.measure.code == "a-steady")
    targets = {c.organisation.ods_code: c.target for c in steady_row.cells}
    assert targets == {"RAA": 20.0, "RBB": 5.0}
    assert {c.assurance for c in steady_row.cells} == {"pass", "fail"}


def test_every_chart_type_gives_the_cell_the_integrated_report_gives_the_row(grid):
    """Each measure on its own chart type (a u chart of falls rates, a run chart),
    and each cell is what that organisation's own integrated report says."""
    from qualitas.web.board import report

    Measure.objects.filter(code="falls").update(chart_type="u")
    Measure.objects.filter(code="a-steady").update(chart_type="run")
    measures = list(Measure.objects.filter(organisation=grid["system"]))
    trusts = [grid["trust_a"], grid["trust_b"]]
    rep = system.build(
        grid["system"], measures, readable=_all(measures, {t.pk for t in trusts})
    )
    checked = set()
    for org in trusts:
        rows = {r.measure.code: r for r in report.build(org, measures).rows}
        for row in rep.rows:
            cell = next(c for c in row.cells if c.organisation == org)
            own = rows[row.measure.code]
            assert cell.variation == own.variation
            assert cell.assurance == own.assurance
            assert cell.value == pytest.approx(own.value)
            assert cell.target == own.target
            assert cell.signal == own.signal
            checked.add((row.measure.chart_type, org.ods_code))
    assert {("u", "RAA"), ("u", "RBB"), ("run", "RAA"), ("xmr", "RBB")} <= checked
    run_row = next(r for r in rep.rows if r.measure.code == "a-steady")
    assert not any(c.has_icons for c in run_row.cells)


def test_the_icb_sees_every_cell_and_each_opens_that_organisations_chart(
    grid, client_for
):
    client = client_for(grid["icb_analyst"])
    response = _page(client)
    assert response.status_code == 200
    html = response.content.decode()
    for code in ("a-steady", "b-worse", "c-failing"):
        for ods in ("RAA", "RBB"):
            assert reverse("measures:chart", args=[code, ods]) in html
    assert "Not shared with you" not in html
    # The worse measure's row comes before the steady one's on the page too.
    assert html.index("B Worse") < html.index("C Failing") < html.index("A Steady")


def test_a_trust_user_sees_only_their_own_figures(grid, client_for):
    # Trust B's last value (30) would show in its cell; Trust A's values never reach 30.
    user = grid["role_users"]["board_member"]
    client = client_for(user)
    response = _page(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("measures:chart", args=["b-worse", "RAA"]) in html
    assert reverse("measures:chart", args=["b-worse", "RBB"]) not in html
    assert "Not shared with you" in html
    assert "30.0" not in html
    # Trust B's concern does not put the measure first for a Trust A viewer.
    assert html.index("C Failing") < html.index("B Worse")
    rows = _csv(client)
    trust_b = [r for r in rows if r["ods_code"] == "RBB"]
    assert trust_b
    assert all(r["latest_value"] == "" for r in trust_b)
    assert {r["shown"] for r in trust_b} == {"Not shared with you"}
    assert all(r["latest_value"] != "" for r in rows if r["ods_code"] == "RAA")


def test_a_trust_user_sees_no_measure_definitions_they_may_not_read(grid, client_for):
    private = MeasureFactory(
        code="b-private", name="Trust B private measure", organisation=grid["trust_b"]
    )
    _values(private, grid["trust_b"], FLAT)
    html = _page(client_for(grid["role_users"]["analyst"])).content.decode()
    assert "Trust B private measure" not in html
    icb = _page(client_for(grid["icb_analyst"])).content.decode()
    assert "Trust B private measure" in icb


def test_csv_is_formula_safe_and_has_a_row_per_measure_and_organisation(
    grid, client_for
):
    sneaky = _measure(grid, "e-sneaky", name='=HYPERLINK("http://evil","x")')
    _values(sneaky, grid["trust_a"], FLAT)
    rows = _csv(client_for(grid["icb_analyst"]))
    assert len(rows) == 5 * 2  # with the world's falls measure
    names = {r["measure"] for r in rows}
    assert '\'=HYPERLINK("http://evil","x")' in names
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())
    worse_b = next(r for r in rows if r["code"] == "b-worse" and r["ods_code"] == "RBB")
    assert worse_b["latest_value"] == "30.0"
    assert worse_b["variation"] == "Special cause concern (higher values)"
    assert worse_b["latest_period"] == MONTHS[-1].isoformat()
    empty = next(r for r in rows if r["code"] == "e-sneaky" and r["ods_code"] == "RBB")
    assert empty["shown"] == "No data"
    assert empty["latest_value"] == ""


def test_print_layout_has_no_navigation_or_buttons(grid, client_for):
    client = client_for(grid["icb_analyst"])
    html = client.get(reverse("board:system", kwargs={"ods": "QAA"}), {"print": "1"})
    text = html.content.decode()
    assert 'class="breadcrumb' not in text
    assert "qualitas/js/print.js" in text
    assert "qualitas/css/system.css" in text


@pytest.mark.parametrize("view", ["board:system", "board:system_csv"])
def test_people_outside_the_system_may_not_learn_it_exists(grid, client_for, view):
    client = client_for(grid["users"]["outsider"])
    assert client.get(reverse(view, kwargs={"ods": "QAA"})).status_code == 404
    # A trust is not a system: there is no system report of it, for anyone.
    client = client_for(grid["icb_analyst"])
    assert client.get(reverse(view, kwargs={"ods": "RAA"})).status_code == 404
    assert client.get(reverse(view, kwargs={"ods": "NOPE"})).status_code == 404


def test_the_csv_needs_a_role_that_may_download_reports(grid, client_for):
    client = client_for(grid["role_users"]["patient_partner"])
    assert _page(client).status_code == 200
    response = client.get(reverse("board:system_csv", kwargs={"ods": "QAA"}))
    assert response.status_code == 403


def test_signing_in_is_needed(grid, client):
    for view in ("board:system", "board:system_csv"):
        response = client.get(reverse(view, kwargs={"ods": "QAA"}))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_a_system_with_members_and_no_data_says_so(world, client_for):
    empty = OrganisationFactory(name="Empty ICB", ods_code="QEE", kind="system")
    OrganisationFactory(name="Empty Trust", ods_code="REE", parent=empty)
    user = MembershipFactory(organisation=empty, role="analyst").user
    response = _page(client_for(user), "QEE")
    assert response.status_code == 200
    assert (
        "No measure of this system has data you may see." in response.content.decode()
    )


def _system_meeting(grid, data_cut):
    from qualitas.web.meetings import services

    icb = grid["icb_analyst"]
    board = services.create_committee(
        by=icb, organisation=grid["system"], name="ICB Board", kind="board"
    )
    meeting = services.schedule_meeting(
        by=icb, committee=board, date=dt.date(2024, 2, 1), data_cut=data_cut
    )
    services.freeze_report(by=icb, meeting=meeting)
    return meeting


def test_a_system_meetings_pack_has_the_system_report_frozen_at_its_data_cut(grid):
    from qualitas.web.meetings import pack as meeting_pack

    # Data to November 2023: Trust B's December jump (30) is after the cut.
    meeting = _system_meeting(grid, dt.date(2023, 11, 1))
    # Figures arriving after the report was frozen do not change the pack.
    late = _measure(grid, "f-late", domain="safe")
    _values(late, grid["trust_a"], FLAT)
    pack, _ = meeting_pack.build(meeting)
    assert pack.system is not None
    assert pack.system.organisations == ("Trust A", "Trust B")
    names = [r.name for r in pack.system.rows]
    assert "F Late" not in names
    assert names.index("C Failing") < names.index("A Steady")
    worse = next(r for r in pack.system.rows if r.name == "B Worse")
    assert worse.group == "Other measures"  # the concern came after the data cut
    trust_b = worse.cells[1]
    assert trust_b.variation == "common_cause"
    assert trust_b.value == f"{FLAT[22]:.1f}"  # November 2023's value, not 30
    failing = next(r for r in pack.system.rows if r.name == "C Failing")
    assert {c.assurance for c in failing.cells} == {"fail"}
    assert failing.cells[0].target == "2.0"


def test_a_trusts_meeting_pack_has_no_system_report(grid):
    from qualitas.web.meetings import pack as meeting_pack
    from qualitas.web.meetings import services

    qi = grid["role_users"]["qi_lead"]
    board = services.create_committee(
        by=qi, organisation=grid["trust_a"], name="Trust Board", kind="board"
    )
    meeting = services.schedule_meeting(
        by=qi, committee=board, date=dt.date(2024, 2, 1), data_cut=dt.date(2023, 12, 1)
    )
    services.freeze_report(by=qi, meeting=meeting)
    pack, _ = meeting_pack.build(meeting)
    assert pack.system is None


@pytest.mark.parametrize("sharing", ["system", "published"])
def test_a_trust_user_sees_other_trusts_figures_that_are_shared_or_published(
    grid, client_for, sharing
):
    from qualitas.web.measures.models import Measure

    Measure.objects.filter(code="b-worse").update(sharing=sharing, aggregation="ratio")
    client = client_for(grid["role_users"]["board_member"])
    html = _page(client).content.decode()
    # Trust B's figures of the shared measure are drawn, and open the comparison
    # with Trust B highlighted, not Trust B's own chart (which stays refused).
    assert "30.0" in html
    compare = reverse("measures:compare", args=["b-worse"]) + "?focus=RBB"
    assert compare in html
    assert reverse("measures:chart", args=["b-worse", "RBB"]) not in html
    # The other measures are not shared: their Trust B cells stay blank.
    assert reverse("measures:compare", args=["a-steady"]) not in html
    assert "Not shared with you" in html
    rows = {(r["code"], r["ods_code"]): r for r in _csv(client)}
    assert rows[("b-worse", "RBB")]["latest_value"] == "30.0"
    assert rows[("a-steady", "RBB")]["latest_value"] == ""


def test_a_measure_shared_in_another_system_is_not_shared_with_ours(grid, client_for):
    from qualitas.web.measures.models import Measure

    # Shared within a system: the outsider's system is not ours.
    Measure.objects.filter(code="b-worse").update(sharing="system")
    outsider = grid["users"]["outsider"]
    assert _page(client_for(outsider)).status_code == 404
    member_b = MembershipFactory(organisation=grid["trust_b"], role="analyst").user
    client = client_for(member_b)
    html = _page(client).content.decode()
    assert reverse("measures:chart", args=["b-worse", "RBB"]) in html
    # A sum cannot be set in a funnel: Trust A's shared figures are drawn, unlinked.
    rows = {(r["code"], r["ods_code"]): r for r in _csv(client)}
    assert rows[("b-worse", "RAA")]["latest_value"] != ""
    assert reverse("measures:compare", args=["b-worse"]) not in html
    Measure.objects.filter(code="b-worse").update(aggregation="ratio")
    html = _page(client).content.decode()
    assert reverse("measures:compare", args=["b-worse"]) + "?focus=RAA" in html


_STEP = st.tuples(
    st.sampled_from([None, "trust_a", "trust_b"]),  # general, or one trust's own
    st.integers(0, 23),  # the month it starts
    st.integers(1, 30),  # the value
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(_STEP, max_size=6),
    last=st.tuples(st.integers(0, 23), st.integers(0, 23)),
)
def test_targets_for_every_organisation_at_once_agree_with_one_at_a_time(
    grid, steps, last
):
    """The grid resolves every organisation's targets in one query; the integrated
    report resolves one organisation's (series.target_steps and target_at). Both
    must pick the same target: an organisation's own steps replace the general
    ones, and the step in force at the latest period counts."""
    from qualitas.web.board.system import _targets
    from qualitas.web.measures import series
    from qualitas.web.measures.models import Target

    measure = Measure.objects.get(code="a-steady")
    Target.objects.filter(measure=measure).delete()
    for org, month, value in steps:
        Target.objects.create(
            measure=measure,
            organisation=grid[org] if org else None,
            starts=MONTHS[month],
            value=float(value),
        )
    trusts = [grid["trust_a"], grid["trust_b"]]
    cells = pd.DataFrame(
        {
            "cell": [0, 1],
            "measure_id": [measure.pk, measure.pk],
            "organisation_id": [t.pk for t in trusts],
            "latest": [pd.Timestamp(MONTHS[m]) for m in last],
        }
    )
    together = _targets(cells)
    for cell, org in enumerate(trusts):
        latest = pd.Series({measure.pk: pd.Timestamp(MONTHS[last[cell]])})
        latest = latest.rename_axis("measure_id")  # as report.build groups it
        alone = series.target_at(series.target_steps([measure], org), latest)
        assert together.get(cell) == alone.get(measure.pk)


def test_a_run_charts_cell_says_its_signal_in_words(grid, client_for):
    Measure.objects.filter(code="a-steady").update(chart_type="run")
    html = _page(client_for(grid["icb_analyst"])).content.decode()
    assert 'href="#mdc-v-"' not in html  # no icon for a run chart
    assert html.count('class="cell-signal"') == 2  # Trust A and Trust B


def test_a_system_meetings_page_says_the_system_report_is_in_its_pack(grid, client_for):
    meeting = _system_meeting(grid, dt.date(2023, 11, 1))
    client = client_for(grid["icb_analyst"])
    html = client.get(reverse("meetings:meeting", args=[meeting.pk])).content.decode()
    assert "each of the system's 2 organisations" in html
    assert reverse("board:system", kwargs={"ods": "QAA"}) in html
