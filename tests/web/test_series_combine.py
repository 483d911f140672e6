"""A system's series combined from its members, for every aggregation, read at every
level of the organisation tree (system, trust, practice, ward) by the API, the chart
page and the breakdown page.

Sum and mean measures have no numerator or denominator; their empty columns once
reached pandas as Python objects and 0 / 0 raised, so every such measure answered 500
at an ICB (issue 18).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from qualitas.web.accounts.services import create_api_token
from qualitas.web.measures import series
from qualitas.web.measures.models import Measure, Observation
from tests.web import factories as f

PERIODS = [dt.date(2024 + i // 12, i % 12 + 1, 1) for i in range(15)]
AGGREGATIONS = ["ratio", "sum", "mean"]
LEVELS = ["system", "trust", "practice", "ward"]


def _figure(org_index: int, i: int) -> tuple[float, float]:
    """A member's numerator and denominator in period i (distinct per member)."""
    return float(10 + org_index * 5 + i % 4), float(200 + org_index * 50)


@pytest.fixture
def tree(db):
    system = f.SystemFactory(ods_code="QSY")
    trust_a = f.OrganisationFactory(ods_code="RTA", parent=system)
    trust_b = f.OrganisationFactory(ods_code="RTB", parent=system)
    practice = f.OrganisationFactory(ods_code="Y99001", kind="practice", parent=system)
    ward = f.UnitFactory(organisation=trust_a, name="Ward 9")
    members = [trust_a, trust_b, practice]
    measures = {}
    rows = []
    for how in AGGREGATIONS:
        m = f.MeasureFactory(
            code=f"combined-{how}",
            organisation=system,
            aggregation=how,
            multiplier=100.0 if how == "ratio" else 1.0,
            numerator="Counted" if how == "ratio" else "",
            denominator="Seen" if how == "ratio" else "",
            breakdowns=["site"],
        )
        measures[how] = m
        for k, org in enumerate(members):
            for i, p in enumerate(PERIODS):
                num, den = _figure(k, i)
                common = {"measure": m, "organisation": org, "period": p}
                if how == "ratio":
                    figures = {
                        "numerator": num,
                        "denominator": den,
                        "value": num / den * 100,
                    }
                else:
                    # As an upload stores them: no numerator or denominator.
                    figures = {"value": num}
                rows.append(Observation(**common, **figures))
                rows.append(
                    Observation(
                        **common,
                        **figures,
                        breakdown="site",
                        stratum="North" if i % 2 else "South",
                    )
                )
        for i, p in enumerate(PERIODS):
            rows.append(
                Observation(
                    measure=m,
                    organisation=trust_a,
                    unit=ward,
                    period=p,
                    value=float(i + 1),
                    numerator=float(i + 1) if how == "ratio" else None,
                    denominator=100.0 if how == "ratio" else None,
                )
            )
    Observation.objects.bulk_create(rows)
    analyst = f.MembershipFactory(organisation=system, role="analyst").user
    return {
        "system": system,
        "trust": trust_a,
        "practice": practice,
        "ward": ward,
        "members": members,
        "measures": measures,
        "analyst": analyst,
    }


def _expected(how: str, level: str) -> list[float]:
    """The series each level should show, computed here from the raw figures."""
    out = []
    for i in range(len(PERIODS)):
        if level == "ward":
            out.append(float(i + 1) / 100 * 100 if how == "ratio" else float(i + 1))
            continue
        members = range(3) if level == "system" else [0 if level == "trust" else 2]
        nums, dens = zip(*(_figure(k, i) for k in members), strict=True)
        if how == "ratio":
            out.append(sum(nums) / sum(dens) * 100)
        elif how == "sum":
            out.append(sum(nums))
        else:
            out.append(sum(nums) / len(nums))
    return out


def _place(tree, level):
    org = tree["system" if level == "system" else level]
    if level == "ward":
        return tree["trust"], tree["ward"]
    return org, None


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("how", AGGREGATIONS)
def test_series_at_every_level_combines_as_the_measure_says(tree, how, level):
    org, unit = _place(tree, level)
    frame = series.organisation_series(
        [tree["measures"][how]], org, unit_id=unit.pk if unit else None
    )
    assert frame["value"].tolist() == pytest.approx(_expected(how, level))
    assert frame["value"].dtype == float


@pytest.mark.parametrize("level", ["system", "trust", "practice"])
@pytest.mark.parametrize("how", AGGREGATIONS)
def test_api_spc_answers_at_every_level(tree, client, how, level):
    _, raw = create_api_token(by=tree["analyst"], name="pipeline")
    org, _ = _place(tree, level)
    url = reverse("api:spc", kwargs={"code": f"combined-{how}"})
    response = client.get(
        f"{url}?organisation={org.ods_code}", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 200, response.content[:500]
    values = [p["value"] for p in response.json()["points"]]
    assert values == pytest.approx(_expected(how, level))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("how", AGGREGATIONS)
def test_chart_page_draws_every_level(tree, client, how, level):
    client.force_login(tree["analyst"])
    org, unit = _place(tree, level)
    url = reverse(
        "measures:chart", kwargs={"code": f"combined-{how}", "ods": org.ods_code}
    )
    response = client.get(url + (f"?unit={unit.pk}" if unit else ""))
    assert response.status_code == 200
    assert response.context["has_data"]
    assert response.context["n_points"] == len(PERIODS)


@pytest.mark.parametrize("how", AGGREGATIONS)
def test_breakdown_of_a_system_combines_each_group(tree, how):
    m = tree["measures"][how]
    frame = series.breakdown_series(m, tree["system"], "site")
    north = frame[frame["stratum"] == "North"]["value"].tolist()
    odd = [v for i, v in enumerate(_expected(how, "system")) if i % 2]
    assert north == pytest.approx(odd)


@pytest.mark.parametrize("how", AGGREGATIONS)
def test_breakdown_page_at_a_system(tree, client, how):
    client.force_login(tree["analyst"])
    url = reverse(
        "measures:breakdown",
        kwargs={"code": f"combined-{how}", "ods": "QSY", "name": "site"},
    )
    assert client.get(url).status_code == 200


def test_a_period_no_member_reported_is_missing_not_zero(tree):
    m = tree["measures"]["sum"]
    Observation.objects.filter(measure=m, period=PERIODS[3]).delete()
    frame = series.organisation_series([m], tree["system"])
    assert len(frame) == len(PERIODS) - 1
    assert PERIODS[3] not in set(frame["period"].dt.date)


def test_ratio_members_missing_numerators_are_left_out_not_zero(tree):
    m = tree["measures"]["ratio"]
    assert m.aggregation == Measure.Aggregation.RATIO
    combined = series.combine(
        series._frame(
            [(m.pk, 1, PERIODS[0], None, None, None)],
            series.COLUMNS,
        ),
        {m.pk: m},
    )
    assert combined.empty


def test_a_period_where_a_member_gave_a_percentage_alone_has_no_system_figure():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "measure_id": [1, 1, 1, 1],
            "period": pd.to_datetime(["2024-01-01"] * 2 + ["2024-02-01"] * 2),
            # February: the second member gave its percentage without its parts.
            "value": [10.0, 20.0, 10.0, 20.0],
            "numerator": [1.0, 4.0, 1.0, float("nan")],
            "denominator": [10.0, 20.0, 10.0, float("nan")],
        }
    )
    ratio = Measure(aggregation="ratio", multiplier=100.0)
    combined = series.combine(frame, {1: ratio})
    assert combined["period"].dt.month.tolist() == [1]
    assert combined["value"].tolist() == pytest.approx([5 / 30 * 100])
