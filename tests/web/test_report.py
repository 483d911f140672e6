"""The integrated quality report: one row per measure, concerns and failing targets
first, the engine's icons, system figures combined from members, safe CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse

from qualitas.spc import xmr
from qualitas.web.board import report
from qualitas.web.measures.models import Measure, Observation
from tests.web.factories import MeasureFactory, MembershipFactory, TargetFactory

MONTHS = [dt.date(2022 + i // 12, i % 12 + 1, 1) for i in range(24)]


def _values(world, code, values, *, org="trust_a", **measure):
    m = MeasureFactory(
        code=code,
        name=measure.pop("name", code.replace("-", " ").title()),
        organisation=world["system"],
        aggregation="sum",
        multiplier=1,
        **measure,
    )
    Observation.objects.bulk_create(
        Observation(measure=m, organisation=world[org], period=p, value=float(v))
        for p, v in zip(MONTHS, values, strict=True)
    )
    return m


@pytest.fixture
def board(world):
    flat = [
        10,
        11,
        10,
        12,
        11,
        10,
        11,
        12,
        10,
        11,
        10,
        11,
        12,
        10,
        11,
        10,
        12,
        11,
        10,
        11,
        12,
        10,
        11,
        11,
    ]
    worse = [
        *flat[:-1],
        30,
    ]  # last point far above the limit: concern when lower is better
    _values(
        world,
        "a-steady",
        flat,
        direction="decrease",
        committee="People Committee",
        domain="efficient",
    )
    _values(
        world,
        "b-worse",
        worse,
        direction="decrease",
        committee="Quality and Safety Committee",
        domain="safe",
    )
    failing = _values(
        world,
        "c-failing",
        flat,
        direction="decrease",
        committee="People Committee",
        domain="efficient",
    )
    TargetFactory(
        measure=failing, value=2.0
    )  # far below the lower limit: consistently failing
    return world


def _rows(client, ods="RAA", **params):
    response = client.get(reverse("board:report", kwargs={"ods": ods}), params)
    assert response.status_code == 200
    return response


def test_concerns_and_failing_targets_come_first(board):
    measures = list(Measure.objects.all())
    rep = report.build(board["trust_a"], measures)
    codes = [r.measure.code for r in rep.rows]
    assert codes[:2] == ["b-worse", "c-failing"]
    assert rep.rows[0].variation == "concern_high"
    assert rep.rows[1].assurance == "fail"
    assert rep.concern_count >= 1
    assert rep.failing_count >= 1


def test_each_row_has_the_engines_icons_and_limits(board):
    measures = list(Measure.objects.all())
    rep = report.build(board["trust_a"], measures)
    for row in rep.rows:
        obs = Observation.objects.totals().filter(
            measure=row.measure, organisation=board["trust_a"]
        )
        frame = pd.DataFrame(list(obs.values("period", "value")))
        target = row.target
        alone = xmr(
            frame,
            value="value",
            period="period",
            direction=row.measure.direction,
            target=target,
        ).icons.iloc[0]
        assert row.variation == alone["variation"]
        assert row.assurance == (
            None if pd.isna(alone["assurance"]) else alone["assurance"]
        )
        assert row.mean == pytest.approx(alone["cl"])
        assert row.upl == pytest.approx(alone["ucl"])
        assert row.value == pytest.approx(alone["value"])


def test_sparkline_ends_at_the_latest_point(board):
    rep = report.build(board["trust_a"], list(Measure.objects.filter(code="b-worse")))
    row = rep.rows[0]
    points = [tuple(map(float, p.split(","))) for p in row.spark_line.split()]
    assert len(points) == 24
    assert points[-1] == row.spark_dot
    assert row.spark_dot[1] == min(
        y for _, y in points
    )  # the highest value is drawn at the top
    assert row.spark_dot_kind == "concern"


def test_filters_by_committee_and_domain(board, client_for):
    client = client_for(board["users"]["member"])
    html = _rows(client, committee="People Committee").content.decode()
    assert "A Steady" in html
    assert "B Worse" not in html
    html = _rows(client, domain="safe").content.decode()
    assert "B Worse" in html
    assert "A Steady" not in html


def test_rows_open_the_measure(board, client_for):
    html = _rows(client_for(board["users"]["member"])).content.decode()
    assert reverse("measures:chart", kwargs={"code": "b-worse", "ods": "RAA"}) in html


def test_htmx_filter_returns_only_the_table(board, client_for):
    client = client_for(board["users"]["member"])
    response = client.get(
        reverse("board:report", kwargs={"ods": "RAA"}),
        {"domain": "safe"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "<table" in html
    assert "<html" not in html


def test_print_page_renders(board, client_for):
    html = _rows(client_for(board["users"]["member"]), print="1").content.decode()
    # The print dialogue opens from a static script (no inline script under the CSP).
    assert "qualitas/js/print.js" in html


def test_system_report_combines_members_as_the_measure_says(world):
    measure = world["measure"]  # falls: numerators and denominators at trusts A and B
    rep = report.build(world["system"], [measure])
    row = rep.rows[0]
    last = MONTHS[-1]
    obs = Observation.objects.totals().filter(
        measure=measure, period=world["periods"][-1]
    )
    expected = sum(o.numerator for o in obs) / sum(o.denominator for o in obs) * 1000
    assert row.value == pytest.approx(expected)
    assert last  # the report's latest period is the members' latest
    assert row.period == pd.Timestamp(world["periods"][-1])


def test_a_systems_own_figures_take_precedence_over_its_members(world):
    measure = world["measure"]
    Observation.objects.create(
        measure=measure,
        organisation=world["system"],
        period=world["periods"][-1],
        value=123.0,
    )
    rep = report.build(world["system"], [measure])
    assert rep.rows[0].value == 123.0
    assert rep.rows[0].n_points == 1


def test_csv_is_formula_safe(world, client_for):
    MeasureFactory(
        code="evil",
        name='=HYPERLINK("http://example.com","click")',
        organisation=world["system"],
        aggregation="sum",
        multiplier=1,
        committee="+cmd",
        owner="-x",
    )
    m = Measure.objects.get(code="evil")
    Observation.objects.bulk_create(
        Observation(measure=m, organisation=world["trust_a"], period=p, value=-3.5 - i)
        for i, p in enumerate(MONTHS)
    )
    client = client_for(
        MembershipFactory(organisation=world["trust_a"], role="board_member").user
    )
    response = client.get(reverse("board:csv", kwargs={"ods": "RAA"}))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == report.CSV_COLUMNS
    evil = next(r for r in rows if r[1] == "evil")
    assert evil[0].startswith("'=HYPERLINK")
    assert evil[3] == "'+cmd"
    assert float(evil[6]) == pytest.approx(-3.5 - 23)  # negative numbers stay numbers
    for r in rows[1:]:
        for cell in r:
            assert not cell.startswith(("=", "+", "@")), cell


def test_measures_without_data_are_named(world):
    empty = MeasureFactory(code="no-data", organisation=world["system"])
    rep = report.build(world["trust_a"], [world["measure"], empty])
    assert [m.code for m in rep.measures_without_data] == ["no-data"]


def test_trajectory_uses_the_target_in_force_at_the_latest_period(world):
    from qualitas.web.measures.models import Target

    measure = world["measure"]
    Target.objects.filter(measure=measure).delete()
    TargetFactory(measure=measure, starts=dt.date(2020, 1, 1), value=9.0)
    TargetFactory(measure=measure, starts=world["periods"][-1], value=1.0)
    TargetFactory(measure=measure, starts=dt.date(2030, 1, 1), value=0.5)
    rep = report.build(world["trust_a"], [measure])
    assert rep.rows[0].target == 1.0


def test_organisation_specific_targets_replace_general_ones(world):
    measure = world["measure"]
    TargetFactory(measure=measure, organisation=world["trust_a"], value=7.0)
    assert report.build(world["trust_a"], [measure]).rows[0].target == 7.0
    assert report.build(world["trust_b"], [measure]).rows[0].target == 4.0


def test_sparklines_are_drawn_for_every_series_at_once():
    points = pd.DataFrame(
        {
            "measure_id": np.repeat([1, 2, 3], [3, 1, 2]),
            "value": [1.0, 2.0, 3.0, 5.0, np.nan, 4.0],
            "point_type": ["common_cause"] * 6,
        }
    )
    lines, dots, kinds = report.sparklines(points)
    assert [len(x.split()) for x in lines] == [3, 1, 2]
    assert dots[1][1] == report.SPARK_HEIGHT / 2  # a single point sits in the middle
    assert kinds == ["common_cause"] * 3
