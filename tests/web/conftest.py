"""Django set-up for the web tests, and the personas every access test uses.

The world: a system (ICB) with two trusts; a measure owned by the system with 24
months of data at trust A. Personas: ``owner`` (an administrator of the system),
``member`` (a team member at trust A), ``outsider`` (an analyst at an unrelated trust
in another system), plus one user per role at trust A (``role_users``).
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pytest

# Fixtures of the board governance tests (issue 6).
from tests.web.governance_world import gov  # noqa: F401

# The projects tests' world, for tests/web/test_url_matrix.py (on the same ``world``).
from tests.web.projects.conftest import pworld  # noqa: F401

# A real SMTP server for the notification tests.
from tests.web.smtp import smtp_server  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualitas.web.settings")
os.environ.setdefault("QUALITAS_ENV", "test")


def pytest_configure(config):
    import django

    django.setup()


@pytest.fixture(autouse=True)
def _fresh_result_cache():
    """Each test starts with nothing kept: a test's database is rolled back, so ids
    (and so cache keys) repeat from one test to the next."""
    from django.core.cache import caches

    caches["results"].clear()


@pytest.fixture
def world(db):
    from tests.web import factories as f

    system = f.SystemFactory(name="Test ICB", ods_code="QAA")
    trust_a = f.OrganisationFactory(name="Trust A", ods_code="RAA", parent=system)
    trust_b = f.OrganisationFactory(name="Trust B", ods_code="RBB", parent=system)
    other_system = f.SystemFactory(name="Other ICB", ods_code="QZZ")
    other_trust = f.OrganisationFactory(
        name="Other Trust", ods_code="RZZ", parent=other_system
    )
    ward = f.UnitFactory(organisation=trust_a, name="Ward 5")
    measure = f.MeasureFactory(
        code="falls",
        name="Falls per 1,000 bed days",
        organisation=system,
        breakdowns=["ethnicity"],
    )
    other_measure = f.MeasureFactory(
        code="other-falls", name="Other falls", organisation=other_system
    )
    rng = np.random.default_rng(4)
    periods = [dt.date(2023 + (i // 12), i % 12 + 1, 1) for i in range(24)]
    from qualitas.web.measures.models import Observation

    rows = []
    for org, scale in ((trust_a, 1.0), (trust_b, 1.2)):
        for p in periods:
            den = 9000.0
            num = float(rng.poisson(45 * scale))
            rows.append(
                Observation(
                    measure=measure,
                    organisation=org,
                    period=p,
                    numerator=num,
                    denominator=den,
                    value=num / den * 1000,
                )
            )
    for p in periods:
        for stratum, rate in (("White", 40), ("Asian", 55)):
            num = float(rng.poisson(rate))
            rows.append(
                Observation(
                    measure=measure,
                    organisation=trust_a,
                    period=p,
                    breakdown="ethnicity",
                    stratum=stratum,
                    numerator=num,
                    denominator=9000.0,
                    value=num / 9000 * 1000,
                )
            )
        rows.append(
            Observation(
                measure=other_measure,
                organisation=other_trust,
                period=p,
                numerator=3,
                denominator=100,
                value=30,
            )
        )
    Observation.objects.bulk_create(rows)
    f.TargetFactory(measure=measure, value=4.0)
    users = {
        "owner": f.MembershipFactory(organisation=system, role="administrator").user,
        "member": f.MembershipFactory(organisation=trust_a, role="team_member").user,
        "outsider": f.MembershipFactory(organisation=other_trust, role="analyst").user,
    }
    role_users = {
        role: f.MembershipFactory(organisation=trust_a, role=role).user
        for role in (
            "board_member",
            "executive",
            "qi_lead",
            "team_member",
            "analyst",
            "patient_partner",
            "finance",
            "administrator",
        )
    }
    return {
        "system": system,
        "trust_a": trust_a,
        "trust_b": trust_b,
        "other_system": other_system,
        "other_trust": other_trust,
        "ward": ward,
        "measure": measure,
        "other_measure": other_measure,
        "users": users,
        "role_users": role_users,
        "periods": periods,
    }


@pytest.fixture
def client_for(client):
    """A test client signed in as the given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
