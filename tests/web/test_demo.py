"""The demonstration: an ICS with about 40 measures in six domains, one account per
role, and the outsider kept out."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from qualitas.web.accounts.models import User
from qualitas.web.demo import catalogue, load
from qualitas.web.measures.models import Domain, ImportBatch, Measure, Observation


@pytest.fixture
def demo(db, settings):
    settings.DEMO_MODE = True
    load.build(lambda _: None)


def test_demo_has_about_forty_measures_in_every_domain(demo):
    ours = Measure.objects.filter(organisation__ods_code="QWO")
    assert 38 <= ours.count() <= 45
    assert set(ours.values_list("domain", flat=True)) == set(Domain.values)
    assert ours.filter(is_synthetic=False).count() >= 10
    # Every measure has data somewhere.
    assert not ours.exclude(pk__in=Observation.objects.values("measure_id")).exists()
    # Seven uploads, and one published load for England per published measure.
    assert ImportBatch.objects.filter(status="applied").count() == 7 + len(
        catalogue.PUBLISHED
    )
    published = Measure.objects.filter(sharing=Measure.Sharing.PUBLISHED)
    assert set(published.values_list("code", flat=True)) == set(catalogue.PUBLISHED)


def test_demo_journeys_for_each_account(demo, client):
    """Every account signs in with 'demo'; the board member's report leads with
    concerns; the analyst sees the whole system; the outsider is kept out."""
    for username, *_ in catalogue.ACCOUNTS:
        assert client.login(username=username, password="demo"), username
        assert client.get(reverse("home")).status_code == 200
        client.logout()
    assert User.objects.filter(is_demo=True).count() == len(catalogue.ACCOUNTS)

    client.login(username="board", password="demo")
    html = client.get(reverse("board:report", kwargs={"ods": "RAE"})).content.decode()
    assert html.index("Special cause concern") < html.index("Other measures")
    client.logout()

    client.login(username="analyst", password="demo")
    assert client.get(reverse("board:report", kwargs={"ods": "QWO"})).status_code == 200
    client.logout()

    client.login(username="outsider", password="demo")
    assert client.get(reverse("board:report", kwargs={"ods": "RAE"})).status_code == 404
    assert (
        client.get(
            reverse(
                "measures:chart",
                kwargs={"code": "falls-per-1000-bed-days", "ods": "RAE"},
            )
        ).status_code
        == 404
    )
    assert client.get(reverse("board:report", kwargs={"ods": "RJR"})).status_code == 200


def test_demo_command_refuses_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="QUALITAS_ENV=demo"):
        call_command("demo", no_serve=True)


def test_demo_command_sets_up_once_and_prints_the_accounts(db, settings, capsys):
    settings.DEMO_MODE = True
    call_command("demo", no_serve=True)
    call_command("demo", no_serve=True)  # a second run keeps the data
    out = capsys.readouterr().out
    assert "already loaded" in out
    for username, *_ in catalogue.ACCOUNTS:
        assert username in out
    assert "http://127.0.0.1:8000/" in out
    assert Measure.objects.filter(code="falls-per-1000-bed-days").count() == 1
