"""The compare page of a measure: funnels of the organisations the reader may compare
with, chosen by the measure's sharing; opportunity from the same funnel; downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import numpy as np
import pytest
from django.urls import reverse

from qualitas.web.measures import comparison as cmp
from qualitas.web.measures.models import Measure, Observation
from tests.web import factories as f

PERIODS = [dt.date(2024, m, 1) for m in range(1, 13)]


@pytest.fixture
def league(db):
    """A system of five trusts and another of three, all with A&E-like figures; one
    trust of the other system far worse than the rest, one of ours far better."""
    system = f.SystemFactory(name="North ICB", ods_code="QNN")
    ours = [
        f.OrganisationFactory(name=f"North Trust {i}", ods_code=f"RN{i}", parent=system)
        for i in range(1, 6)
    ]
    other = f.SystemFactory(name="South ICB", ods_code="QSS")
    theirs = [
        f.OrganisationFactory(name=f"South Trust {i}", ods_code=f"RS{i}", parent=other)
        for i in range(1, 4)
    ]
    measure = f.MeasureFactory(
        code="ae-4-hour",
        name="A&E 4-hour",
        organisation=system,
        unit="% within 4 hours",
        multiplier=100,
        direction=Measure.Direction.INCREASE,
        numerator="Patients seen within 4 hours",
        denominator="Attendances",
    )
    rng = np.random.default_rng(15)
    rates = {o.pk: 0.85 for o in ours + theirs}
    rates[ours[0].pk] = 0.97
    rates[theirs[0].pk] = 0.60
    rows = []
    for org in ours + theirs:
        for p in PERIODS:
            den = 8000.0
            num = float(rng.binomial(int(den), rates[org.pk]))
            rows.append(
                Observation(
                    measure=measure,
                    organisation=org,
                    period=p,
                    numerator=num,
                    denominator=den,
                    value=num / den * 100,
                )
            )
    Observation.objects.bulk_create(rows)
    board = f.MembershipFactory(organisation=ours[1], role="board_member").user
    finance = f.MembershipFactory(organisation=ours[1], role="finance").user
    analyst = f.MembershipFactory(organisation=system, role="analyst").user
    attacker = f.MembershipFactory(organisation=theirs[1], role="analyst").user
    return {
        "system": system,
        "ours": ours,
        "theirs": theirs,
        "measure": measure,
        "board": board,
        "finance": finance,
        "analyst": analyst,
        "attacker": attacker,
    }


def _share(measure, how):
    measure.sharing = how
    measure.save(update_fields=["sharing"])


def _page(client, user, measure, **query):
    client.force_login(user)
    return client.get(reverse("measures:compare", args=[measure.code]), query)


def test_unshared_data_of_other_trusts_never_reach_a_trust(client, league):
    """A trust board member, with the measure not shared, sees no other trust: the
    page says why instead of drawing a funnel of one."""
    m = league["measure"]
    response = _page(client, league["board"], m, peers="england")
    body = response.content.decode()
    assert response.status_code == 200
    assert "needs at least 3 organisations" in body
    for org in league["ours"][2:] + league["theirs"]:
        assert org.name not in body


def test_shared_in_the_system_compares_with_the_system_only(client, league):
    m = league["measure"]
    _share(m, Measure.Sharing.SYSTEM)
    response = _page(client, league["board"], m, peers="england")
    body = response.content.decode()
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert {r.organisation.ods_code for r in comparison.rows} == {
        "RN1",
        "RN2",
        "RN3",
        "RN4",
        "RN5",
    }
    for org in league["theirs"]:
        assert org.name not in body


def test_published_figures_compare_with_england_and_highlight_the_reader(
    client, league
):
    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    response = _page(client, league["board"], m, peers="england")
    comparison = response.context["comparison"]
    assert len(comparison.rows) == 8
    assert comparison.own == league["ours"][1]
    outside = {r.organisation.ods_code: r for r in comparison.outside}
    assert outside["RS1"].worse
    assert outside["RN1"].better
    body = response.content.decode()
    assert "Where is North Trust 2?" in body
    assert "worse than peers, beyond chance" in body
    # The funnel picks out the reader's organisation, wherever it falls.
    values = response.context["chart"]["data"]["values"]
    labelled = {r["name"] for r in values if r["label"]}
    assert "North Trust 2" in labelled


def test_system_peers_leave_out_other_systems_even_when_published(client, league):
    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    response = _page(client, league["board"], m, peers="system")
    codes = {r.organisation.ods_code for r in response.context["comparison"].rows}
    assert codes == {"RN1", "RN2", "RN3", "RN4", "RN5"}


def test_an_attacker_cannot_name_an_organisation_of_another_system(client, league):
    m = league["measure"]
    _share(m, Measure.Sharing.SYSTEM)
    response = _page(client, league["board"], m, at="RS1", peers="system")
    assert response.status_code == 200
    assert response.context["comparison"] is None
    assert "South Trust" not in response.content.decode()


def test_an_outsider_cannot_open_another_systems_measure(client, league):
    m = league["measure"]
    _share(m, Measure.Sharing.SYSTEM)
    assert _page(client, league["attacker"], m).status_code == 404
    client.force_login(league["attacker"])
    url = reverse("measures:compare_download", args=[m.code, "csv"])
    assert client.get(url).status_code == 404


def test_the_opportunity_is_the_gap_in_the_funnel_that_is_drawn(client, league):
    """Expected events at the peer median are the median proportion of the drawn
    funnel times each organisation's denominator, and the potential is the gap."""
    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    response = _page(client, league["board"], m, peers="england", window=12)
    c = response.context["comparison"]
    ratios = c.result.units["ratio"].to_numpy()
    median = float(np.quantile(ratios, 0.5))
    assert c.benchmark_rate == pytest.approx(median)
    for r in c.rows:
        assert r.expected == pytest.approx(median / 100 * r.denominator)
        assert r.potential == pytest.approx(max(r.expected - r.numerator, 0))
        assert r.potential_lower <= r.potential <= r.potential_upper
    worst = c.row_for(league["theirs"][0].pk)
    assert worst.potential > 0
    assert worst.outlier
    quiet = [r for r in c.rows if not r.outlier]
    assert all("may be chance" in r.verdict for r in quiet)


def test_the_target_benchmark_uses_the_measures_target(client, league):
    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    f.TargetFactory(measure=m, value=95.0, starts=dt.date(2020, 1, 1))
    response = _page(client, league["board"], m, peers="england", benchmark="target")
    c = response.context["comparison"]
    assert c.benchmark_rate == pytest.approx(95.0)
    for r in c.rows:
        assert r.expected == pytest.approx(0.95 * r.denominator)


def test_every_period_has_a_funnel_and_each_organisation_a_position_chart(
    client, league
):
    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    response = _page(client, league["board"], m, peers="england", focus="RS1")
    c = response.context["comparison"]
    assert len(c.across.summaries) == len(PERIODS)
    assert set(c.positions.icons["organisation"]) == {r.label for r in c.rows}
    assert response.context["position_chart"] is not None
    assert len(response.context["periods_table"]) == len(PERIODS)


def test_similar_peers_are_the_same_type_and_size(client, league):
    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    big = league["theirs"][2]
    Observation.objects.filter(measure=m, organisation=big).update(denominator=80000.0)
    response = _page(client, league["board"], m, peers="similar")
    codes = {r.organisation.ods_code for r in response.context["comparison"].rows}
    assert "RS3" not in codes
    assert "RN2" in codes
    assert len(codes) == 7


def test_a_saved_peer_group_limits_the_comparison(client, league):
    from qualitas.web.organisations.models import PeerGroup

    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    group = PeerGroup.objects.create(owner=league["board"], name="Teaching trusts")
    group.members.set([league["ours"][0], *league["theirs"][:2]])
    response = _page(client, league["board"], m, peers="group", group=group.pk)
    codes = {r.organisation.ods_code for r in response.context["comparison"].rows}
    assert codes == {"RN1", "RN2", "RS1", "RS2"}


def test_someone_elses_peer_group_cannot_be_used(client, league):
    from qualitas.web.organisations.models import PeerGroup

    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    group = PeerGroup.objects.create(owner=league["analyst"], name="Mine")
    group.members.set(league["theirs"])
    response = _page(client, league["board"], m, peers="group", group=group.pk)
    assert response.context["comparison"] is None


def test_csv_download_is_formula_safe_and_matches_the_page(client, league):
    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    evil = league["theirs"][2]
    evil.name = '=HYPERLINK("http://x")'
    evil.save()
    client.force_login(league["board"])
    url = reverse("measures:compare_download", args=[m.code, "csv"])
    response = client.get(url, {"peers": "england"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 8
    names = {r["organisation"] for r in rows}
    assert '\'=HYPERLINK("http://x")' in names
    page = _page(client, league["board"], m, peers="england").context["comparison"]
    by_code = {r["ods_code"]: r for r in rows}
    for r in page.rows:
        assert float(by_code[r.organisation.ods_code]["z_score"]) == pytest.approx(
            r.z, abs=1e-4
        )


@pytest.mark.parametrize(
    ("fmt", "kind"), [("svg", "image/svg+xml"), ("png", "image/png")]
)
def test_chart_downloads(client, league, fmt, kind):
    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    client.force_login(league["board"])
    url = reverse("measures:compare_download", args=[m.code, fmt])
    response = client.get(url, {"peers": "england"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(kind)


def test_a_measure_without_a_denominator_says_it_cannot_be_compared(client, league):
    m = f.MeasureFactory(
        organisation=league["system"], aggregation=Measure.Aggregation.SUM
    )
    response = _page(client, league["board"], m)
    assert "cannot be compared" in response.content.decode()


def test_build_refuses_unknown_choices(league):
    with pytest.raises(Exception, match="peers must be one of"):
        cmp.build(league["board"], league["measure"], cmp.Choice(peers="world"))


def test_a_trusts_finance_lead_finds_opportunities_in_the_value_ledger(client, league):
    """The value ledger's opportunities page was a dead end for a trust; with the
    measure shared in the system it compares the trust with its system, and with
    England when published, and the claim link names the same comparison."""
    m = league["measure"]
    _share(m, Measure.Sharing.SYSTEM)
    client.force_login(league["finance"])
    url = reverse("value:opportunities", args=["RN2"])
    page = client.get(url, {"measure": m.code, "months": "12", "benchmark": "median"})
    body = page.content.decode()
    assert "has numerators and denominators" not in body
    assert {r.organisation.ods_code for r in page.context["result"].rows} == {
        f"RN{i}" for i in range(1, 6)
    }
    assert "South Trust" not in body
    _share(m, Measure.Sharing.PUBLISHED)
    page = client.get(
        url,
        {
            "measure": m.code,
            "months": "12",
            "peers": "england",
            "benchmark": "median",
            "unit_cost": "10",
        },
    )
    result = page.context["result"]
    assert len(result.rows) == 8
    # Claims only where the reader may claim (their own trust), never for others.
    targets = set(re.findall(r"/value/at/(\w+)/new/", page.content.decode()))
    assert targets <= {"RN2"}


def test_the_value_page_shows_no_unshared_figures_of_other_trusts(client, league):
    m = league["measure"]
    client.force_login(league["finance"])
    page = client.get(
        reverse("value:opportunities", args=["RN2"]),
        {"measure": m.code, "months": "12", "peers": "england", "benchmark": "median"},
    )
    body = page.content.decode()
    assert page.context["result"] is None
    assert "needs at least 3 organisations" in body
    for org in league["ours"][2:] + league["theirs"]:
        assert org.name not in body


def test_a_claim_cannot_be_started_for_an_organisation_outside_the_comparison(
    client, league
):
    """A crafted link naming another system's trust as ``from`` fills nothing in."""
    m = league["measure"]
    _share(m, Measure.Sharing.SYSTEM)
    client.force_login(league["finance"])
    url = reverse("value:new", args=["RN2"])
    page = client.get(url, {"measure": m.code, "from": "RS1", "peers": "england"})
    assert page.status_code == 200
    assert page.context["found"] is None


def test_mean_outcomes_compare_as_means_with_the_published_spread(client, league):
    """PROMs health gain: the total gain over the patients, compared as means with
    England's standard deviation of one patient's gain; one trust far better."""
    m = f.MeasureFactory(
        code="hip-health-gain",
        organisation=league["system"],
        aggregation=Measure.Aggregation.MEAN,
        unit="Oxford Hip Score points",
        multiplier=1,
        direction=Measure.Direction.INCREASE,
        sharing=Measure.Sharing.PUBLISHED,
        record_sd=7.8,
    )
    rows = []
    for i, org in enumerate(league["ours"] + league["theirs"]):
        gain = 25.0 if i == 0 else 21.5 + 0.1 * i
        n = 300.0 + 20 * i
        rows.append(
            Observation(
                measure=m,
                organisation=org,
                period=dt.date(2018, 4, 1),
                value=gain,
                numerator=gain * n,
                denominator=n,
            )
        )
    Observation.objects.bulk_create(rows)
    response = _page(client, league["board"], m, peers="england", limit=95)
    c = response.context["comparison"]
    assert c.data_type == "MEAN"
    best = c.row_for(league["ours"][0].pk)
    assert best.value == pytest.approx(25.0)
    assert best.better
    assert "better than peers" in response.content.decode()


def test_a_mean_without_a_known_spread_cannot_be_compared(client, league):
    m = f.MeasureFactory(
        organisation=league["system"], aggregation=Measure.Aggregation.MEAN
    )
    response = _page(client, league["board"], m)
    assert "cannot be compared" in response.content.decode()


def test_a_peer_group_is_saved_and_offers_only_comparable_organisations(client, league):
    from qualitas.web.organisations.models import PeerGroup

    m = league["measure"]
    client.force_login(league["board"])
    url = reverse("organisations:peer_groups")
    # Not shared or published: only the organisations of the reader's system.
    offered = {
        o.ods_code for o in client.get(url).context["form"].fields["members"].queryset
    }
    assert offered == {f"RN{i}" for i in range(1, 6)}
    _share(m, Measure.Sharing.PUBLISHED)
    offered = {
        o.ods_code for o in client.get(url).context["form"].fields["members"].queryset
    }
    assert "RS1" in offered
    theirs = league["theirs"]
    response = client.post(
        url, {"name": "Big trusts", "members": [theirs[0].pk, theirs[1].pk]}
    )
    assert response.status_code == 302
    group = PeerGroup.objects.get(owner=league["board"])
    assert set(group.members.all()) == set(theirs[:2])
    page = _page(client, league["board"], m, peers="group", group=group.pk)
    assert {r.organisation.ods_code for r in page.context["comparison"].rows} == {
        "RN2",
        "RS1",
        "RS2",
    }
    # Someone else cannot delete it.
    client.force_login(league["attacker"])
    client.post(url, {"delete": str(group.pk)})
    client.post(url, {"delete": "not-a-number"})
    assert PeerGroup.objects.filter(pk=group.pk).exists()
    client.force_login(league["board"])
    client.post(url, {"delete": str(group.pk)})
    assert not PeerGroup.objects.filter(pk=group.pk).exists()


def test_an_organisation_better_than_its_peers_links_to_the_work_it_shared(
    client, league
):
    """North Trust 1 is better than its peers beyond chance: the projects it shares
    on the measure are linked so others can ask how; its unshared project is not,
    nor the shared project of a trust that is not doing better."""
    from tests.web.project_factories import ProjectFactory, ProjectMeasureFactory

    m = league["measure"]
    _share(m, Measure.Sharing.PUBLISHED)
    best, worst = league["ours"][0], league["theirs"][0]
    shared = ProjectFactory(
        organisation=best,
        title="Rapid assessment at the front door",
        sharing="everyone",
    )
    private = ProjectFactory(organisation=best, title="Internal flow audit")
    elsewhere = ProjectFactory(
        organisation=worst, title="Corridor care review", sharing="everyone"
    )
    for p in (shared, private, elsewhere):
        ProjectMeasureFactory(project=p, measure=m)
    response = _page(client, league["board"], m, peers="england")
    body = response.content.decode()
    assert response.context["comparison"].row_for(best.pk).better
    assert "Ask how" in body
    assert "Rapid assessment at the front door" in body
    assert "Internal flow audit" not in body
    assert "Corridor care review" not in body
