"""The value ledger: light green claims, dark green only when finance where the benefit
lands signs off, totals by organisation and system, and claims from funnel plots."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.urls import reverse

from qualitas.web.audit.models import AuditEvent
from qualitas.web.measures.models import Observation
from qualitas.web.value import ledger, opportunities, services
from qualitas.web.value.models import BenefitClaim
from tests.web.factories import MembershipFactory, OrganisationFactory


def _claim(world, **fields):
    data = {
        "title": "Close two beds on Ward 5",
        "kind": "cash",
        "estimate_amount": Decimal("120000"),
        "method": "Bed days saved from the falls bundle at £400 a bed day.",
        "conversion": "Close two beds from April",
        "owner": "Chief Operating Officer",
        "budget_line": "Ward 5 nursing pay",
    }
    data.update(fields)
    org = data.pop("organisation", world["trust_a"])
    lands_in = data.pop("lands_in", org)
    by = data.pop("by", world["role_users"]["qi_lead"])
    return services.create_claim(by=by, organisation=org, lands_in=lands_in, **data)


def test_finance_signs_off_the_realised_amount_and_the_claim_turns_dark_green(world):
    claim = _claim(world)
    finance = world["role_users"]["finance"]
    services.sign_off(
        by=finance, claim=claim, realised=True, amount=Decimal("95000"), note="GL 4410"
    )
    claim.refresh_from_db()
    assert claim.status == "realised"
    assert claim.is_dark_green
    assert claim.realised_amount == Decimal("95000.00")
    assert claim.signed_off_by == finance
    assert claim.conversion_share == Decimal("95000") / Decimal("120000")
    event = AuditEvent.objects.get(action="benefit.signed_off")
    assert event.by == finance
    assert "dark green" in event.summary


@pytest.mark.parametrize(
    "role",
    [
        "board_member",
        "executive",
        "qi_lead",
        "team_member",
        "analyst",
        "patient_partner",
        "administrator",
    ],
)
def test_nobody_but_finance_can_sign_off_a_saving(world, role):
    claim = _claim(world)
    with pytest.raises(PermissionDenied):
        services.sign_off(
            by=world["role_users"][role], claim=claim, realised=True, amount=Decimal(1)
        )
    claim.refresh_from_db()
    assert claim.status == "estimated"
    assert claim.realised_amount is None


def test_finance_signs_off_where_the_benefit_lands_not_where_it_was_claimed(world):
    claim = _claim(world, lands_in=world["trust_b"], kind="avoided")
    finance_a = world["role_users"]["finance"]
    finance_b = MembershipFactory(organisation=world["trust_b"], role="finance").user
    finance_system = MembershipFactory(
        organisation=world["system"], role="finance"
    ).user
    finance_elsewhere = MembershipFactory(
        organisation=world["other_trust"], role="finance"
    ).user
    for refused in (finance_a, finance_elsewhere):
        with pytest.raises(PermissionDenied):
            services.sign_off(by=refused, claim=claim, realised=True, amount=Decimal(5))
    services.sign_off(by=finance_b, claim=claim, realised=True, amount=Decimal(5))
    other = _claim(world, lands_in=world["trust_b"], title="Another")
    services.sign_off(
        by=finance_system, claim=other, realised=False, note="Beds reopened in winter"
    )
    assert other.status == "not_realised"


def test_a_realised_amount_cannot_be_stored_without_a_sign_off(world):
    claim = _claim(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitClaim.objects.filter(pk=claim.pk).update(
            status="realised", realised_amount=Decimal(100)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitClaim.objects.filter(pk=claim.pk).update(realised_amount=Decimal(100))


def test_a_claim_cannot_make_itself_dark_green(world):
    claim = _claim(world)
    with pytest.raises(ValidationError):
        services.update_claim(
            by=world["role_users"]["qi_lead"], claim=claim, status="realised"
        )
    with pytest.raises(TypeError):
        services.update_claim(
            by=world["role_users"]["qi_lead"], claim=claim, realised_amount=Decimal(1)
        )


def test_kinds_carry_what_they_need(world):
    with pytest.raises(ValidationError):
        _claim(world, kind="quality", estimate_amount=Decimal(10))
    quality = _claim(world, kind="quality", estimate_amount=None, title="Fewer falls")
    with pytest.raises(ValidationError, match="no money"):
        services.sign_off(
            by=world["role_users"]["finance"],
            claim=quality,
            realised=True,
            amount=Decimal(1),
        )
    with pytest.raises(ValidationError):
        _claim(world, kind="capacity", estimate_amount=None)  # how much capacity?
    beds = _claim(
        world,
        kind="capacity",
        estimate_amount=None,
        estimate_quantity=Decimal(1200),
        quantity_unit="bed days",
        title="Bed days",
    )
    assert beds.estimate_quantity == 1200


def test_benefits_land_in_the_same_system(world):
    with pytest.raises(ValidationError):
        _claim(world, lands_in=world["other_trust"])


def test_decided_claims_no_longer_change(world):
    claim = _claim(world)
    services.sign_off(
        by=world["role_users"]["finance"], claim=claim, realised=True, amount=Decimal(1)
    )
    with pytest.raises(ValidationError):
        services.update_claim(by=world["role_users"]["qi_lead"], claim=claim, title="x")
    with pytest.raises(ValidationError):
        services.sign_off(
            by=world["role_users"]["finance"],
            claim=claim,
            realised=True,
            amount=Decimal(2),
        )


def test_only_people_who_may_claim_make_claims(world):
    for role in ("board_member", "team_member", "patient_partner"):
        with pytest.raises(PermissionDenied):
            _claim(world, by=world["role_users"][role])
    for role in ("executive", "qi_lead", "analyst", "finance", "administrator"):
        _claim(world, by=world["role_users"][role], title=f"by {role}")


def test_totals_by_organisation_and_system_keep_light_and_dark_green_apart(world):
    a, b, system = world["trust_a"], world["trust_b"], world["system"]
    finance = MembershipFactory(organisation=system, role="finance").user
    realised = _claim(world, estimate_amount=Decimal(100000))
    services.sign_off(by=finance, claim=realised, realised=True, amount=Decimal(60000))
    _claim(world, estimate_amount=Decimal(50000), title="A light")
    _claim(world, lands_in=b, estimate_amount=Decimal(30000), title="Lands in B")
    _claim(
        world,
        lands_in=system,
        kind="capacity",
        estimate_amount=None,
        estimate_quantity=Decimal(500),
        quantity_unit="Bed days",
        title="ICB beds",
    )
    declined = _claim(world, lands_in=b, estimate_amount=Decimal(7000), title="No")
    services.sign_off(by=finance, claim=declined, realised=False, note="not seen")
    book = ledger.ledger(list(BenefitClaim.objects.all()), [system, a, b])
    per = {o.ods_code: t for o, t in book.organisations}
    assert per["RAA"].light_green == Decimal(50000)
    assert per["RAA"].dark_green == Decimal(60000)
    assert per["RAA"].conversion == Decimal("0.6")
    assert per["RBB"].light_green == Decimal(30000)
    assert per["RBB"].landing_from_elsewhere == 2
    assert per["RBB"].not_realised == 1
    assert per["QAA"].capacity == {"bed days": Decimal(500)}
    assert book.total.light_green == Decimal(80000)
    assert book.total.dark_green == Decimal(60000)
    assert book.total.claims == 5


def test_ledger_page_shows_system_totals(world, client_for):
    _claim(world, estimate_amount=Decimal(50000), title="A light")
    _claim(world, lands_in=world["trust_b"], estimate_amount=Decimal(30000), title="B")
    client = client_for(world["users"]["owner"])
    page = client.get(reverse("value:ledger", args=["QAA"])).content.decode()
    assert "£80,000" in page
    assert "Trust B" in page
    # A member of trust A sees its own ledger, not trust B's.
    member = client_for(world["users"]["member"])
    assert member.get(reverse("value:ledger", args=["RBB"])).status_code == 404


def test_sign_off_page_as_finance_and_refused_as_anyone_else(world, client_for):
    claim = _claim(world)
    url = reverse("value:sign_off", args=[claim.pk])
    data = {"outcome": "realised", "amount": "80000", "note": "GL 4410 reduced"}
    for role in ("administrator", "qi_lead", "executive", "board_member"):
        client = client_for(world["role_users"][role])
        assert client.post(url, data).status_code == 403
        page = client.get(reverse("value:claim", args=[claim.pk])).content.decode()
        assert "Finance sign-off" not in page
    finance = client_for(world["role_users"]["finance"])
    page = finance.get(reverse("value:claim", args=[claim.pk])).content.decode()
    assert "Finance sign-off" in page
    assert finance.post(url, data).status_code == 302
    claim.refresh_from_db()
    assert claim.realised_amount == Decimal("80000.00")


@pytest.fixture
def three_trusts(world):
    """A third trust in the system, so a funnel plot has enough organisations."""
    trust_c = OrganisationFactory(
        name="Trust C", ods_code="RCC", parent=world["system"]
    )
    rng = np.random.default_rng(8)
    Observation.objects.bulk_create(
        Observation(
            measure=world["measure"],
            organisation=trust_c,
            period=p,
            numerator=float(n),
            denominator=9000.0,
            value=n / 9000 * 1000,
        )
        for p, n in zip(
            world["periods"], rng.poisson(80, len(world["periods"])), strict=True
        )
    )
    return trust_c


def test_opportunities_give_each_organisations_gap_with_an_interval(
    world, three_trusts
):
    opp = opportunities.compute(
        world["users"]["owner"],
        world["measure"],
        world["system"],
        months=12,
        benchmark="median",
        unit_cost=5000,
    )
    assert opp.start == dt.date(2024, 1, 1)
    assert opp.end == dt.date(2024, 12, 1)
    by = {g.organisation.ods_code: g for g in opp.rows}
    assert set(by) == {"RAA", "RBB", "RCC"}
    worst = opp.rows[0]
    assert worst.organisation.ods_code == "RCC"  # most falls per bed day
    assert worst.potential > 0
    assert worst.potential_lower <= worst.potential <= worst.potential_upper
    assert worst.cost == pytest.approx(worst.potential * 5000)
    median_org = min(opp.rows, key=lambda g: abs(g.value - opp.benchmark_rate))
    assert median_org.potential == pytest.approx(0, abs=1e-9)
    # Events at the benchmark rate over the window.
    assert worst.expected == pytest.approx(
        opp.benchmark_rate / world["measure"].multiplier * worst.denominator, rel=1e-9
    )


def test_an_opportunity_becomes_a_light_green_claim(world, three_trusts, client_for):
    client = client_for(world["users"]["owner"])
    page = client.get(
        reverse("value:opportunities", args=["QAA"]),
        {
            "measure": "falls",
            "months": "12",
            "benchmark": "median",
            "unit_cost": "5000",
        },
    )
    assert page.status_code == 200
    assert b"Make a claim" in page.content
    link = re.search(
        r'href="(/value/at/RCC/new/\?[^"]+)"', page.content.decode()
    ).group(1)
    url = html.unescape(link)
    query = dict(QueryDict(url.split("?", 1)[1]).items())
    form = client.get(url)
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert initial["estimate_amount"] > 0
    assert "Funnel plot of Falls per 1,000 bed days" in initial["method"]
    data = {
        **query,
        "opportunity_of": "1",
        "title": initial["title"],
        "kind": "avoided",
        "lands_in": three_trusts.pk,
        "estimate_amount": str(initial["estimate_amount"]),
        "estimate_quantity": str(initial["estimate_quantity"]),
        "quantity_unit": initial["quantity_unit"],
        "method": initial["method"],
        "conversion": "Fewer falls with harm: fewer bank shifts for enhanced care",
        "owner": "Director of Nursing",
        "budget_line": "Bank nursing",
        "financial_year": "2025/26",
        "evidence_measure": world["measure"].pk,
        "changed_from": "2025-01",
        "status": "estimated",
        "description": "",
    }
    created = client.post(reverse("value:new", args=["RCC"]), data)
    assert created.status_code == 302, created.context["form"].errors
    claim = BenefitClaim.objects.get()
    assert claim.status == "estimated"
    assert claim.opportunity["organisation"] == "RCC"
    assert claim.opportunity["benchmark"] == "median"
    assert claim.opportunity["compared_with"] == "the organisations of Test ICB"
    assert claim.opportunity["potential"] == pytest.approx(
        float(initial["estimate_quantity"]), abs=0.01
    )
    assert claim.changed_from == dt.date(2025, 1, 1)
    detail = client.get(reverse("value:claim", args=[claim.pk]))
    assert b'id="spc-chart" data-chart="' in detail.content  # the evidence chart


def test_too_few_organisations_for_a_funnel_is_said_plainly(world, client_for):
    client = client_for(world["users"]["owner"])
    page = client.get(
        reverse("value:opportunities", args=["QAA"]),
        {"measure": "falls", "months": "12", "benchmark": "median"},
    )
    assert b"needs at least 3 organisations" in page.content


def test_the_admin_site_cannot_change_the_ledger():
    """Administrators use the admin site; the ledger is not in it, so finance's
    sign-off cannot be bypassed there."""
    from django.contrib import admin

    assert BenefitClaim not in admin.site._registry
