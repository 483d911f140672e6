"""The measures register and the measure page: chart, icons in words, notes, rebasing
with a reason, the monthly entry form and the equity view."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.urls import reverse

from qualitas.web.audit.models import AuditEvent
from qualitas.web.measures.models import (
    Annotation,
    Measure,
    Observation,
    Rebase,
    Target,
)
from tests.web.factories import MeasureFactory, MembershipFactory


def _chart(client, ods="RAA", code="falls", **params):
    return client.get(
        reverse("measures:chart", kwargs={"code": code, "ods": ods}), params
    )


def _spec(response) -> dict:
    """The Vega-Lite spec in the SPC chart's data-chart attribute."""
    html = response.content.decode()
    m = re.search(r'id="spc-chart"[^>]*?data-chart="([^"]*)"', html)
    assert m, "no SPC chart"
    return json.loads(unescape(m.group(1)))


def _points(spec: dict) -> list[dict]:
    return spec["hconcat"][0]["data"]["values"]


def _layer_values(spec: dict, field: str) -> list[dict]:
    """The data of the layer that draws ``field`` (targets, notes)."""
    for layer in spec["hconcat"][0]["layer"]:
        values = layer.get("data", {}).get("values") or []
        if values and field in values[0]:
            return values
    return []


# --- register ----------------------------------------------------------------------


def test_register_searches_definitions_and_filters(world, client_for):
    MeasureFactory(
        code="hand-hygiene",
        name="Hand hygiene",
        domain="safe",
        measure_type="process",
        operational_definition="WHO five moments audit",
        organisation=world["system"],
        committee="Infection Committee",
    )
    client = client_for(world["users"]["member"])
    html = client.get(
        reverse("measures:register"), {"q": "five moments"}
    ).content.decode()
    assert "Hand hygiene" in html
    assert "Falls per 1,000" not in html
    html = client.get(
        reverse("measures:register"), {"measure_type": "outcome"}
    ).content.decode()
    assert "Falls per 1,000" in html
    assert "Hand hygiene" not in html
    html = client.get(
        reverse("measures:register"), {"committee": "Infection Committee"}
    ).content.decode()
    assert "Hand hygiene" in html
    assert (
        "Other falls" not in client.get(reverse("measures:register")).content.decode()
    )  # another system's


def test_register_shows_the_full_definition(world, client_for):
    html = (
        client_for(world["users"]["member"])
        .get(reverse("measures:detail", kwargs={"code": "falls"}))
        .content.decode()
    )
    for text in (
        "Counted on the last day of each month.",
        "Chief Nurse",
        "Incident reporting system",
        "Lower is better",
        "Outcome",
        "ethnicity",
        "Occupied bed days",
        "Quality and Safety Committee",
    ):
        assert text in html


def test_analyst_defines_and_edits_a_measure(world, client_for):
    analyst = MembershipFactory(organisation=world["system"], role="analyst").user
    client = client_for(analyst)
    data = {
        "owner_organisation": "QAA",
        "code": "sepsis",
        "name": "Sepsis antibiotics within 1 hour",
        "operational_definition": "Audited monthly.",
        "domain": "effective",
        "measure_type": "process",
        "unit": "%",
        "multiplier": "100",
        "decimals": "1",
        "chart_type": "xmr",
        "direction": "increase",
        "frequency": "monthly",
        "aggregation": "ratio",
        "owner": "Medical Director",
        "data_source": "Audit",
        "collection_burden": "high",
        "breakdowns_text": "site\nsite\nage band",
    }
    response = client.post(reverse("measures:create"), data)
    assert response.status_code == 302
    m = Measure.objects.get(code="sepsis")
    assert m.breakdowns == ["site", "age band"]
    assert AuditEvent.objects.filter(
        action="measure.created", object_id=str(m.pk)
    ).exists()
    response = client.post(
        reverse("measures:edit", kwargs={"code": "sepsis"}),
        {**data, "name": "Sepsis: antibiotics in 1 hour"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="measure.updated")
    assert event.changes() == [
        ("name", "Sepsis antibiotics within 1 hour", "Sepsis: antibiotics in 1 hour")
    ]


def test_targets_make_a_trajectory(world, client_for):
    analyst = MembershipFactory(organisation=world["system"], role="analyst").user
    client = client_for(analyst)
    client.post(
        reverse("measures:add_target", kwargs={"code": "falls"}),
        {"starts": "2024-01", "value": "3.5", "note": "year two"},
    )
    assert list(
        Target.objects.filter(measure=world["measure"])
        .order_by("starts")
        .values_list("value", flat=True)
    ) == [4.0, 3.5]
    spec = _spec(_chart(client_for(world["users"]["member"])))
    targets = {r["period"][:10]: r["target"] for r in _layer_values(spec, "target")}
    assert targets["2023-12-01"] == 4.0
    assert targets["2024-01-01"] == 3.5


# --- the chart page -------------------------------------------------------------------


def test_chart_page_explains_the_icons_in_words(world, client_for):
    response = _chart(client_for(world["users"]["member"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Making Data Count" in html or "process limits" in html
    assert any(w in html for w in ("Common cause variation", "Special cause"))
    assert any(
        w in html
        for w in (
            "Consistently passing the target",
            "Consistently failing the target",
            "Hit and miss",
        )
    )
    assert (
        "Show the chart&#x27;s data as a table" in html
        or "Show the chart's data as a table" in html
    )


def test_every_point_tooltip_names_the_rule(world, client_for):
    measure = world["measure"]
    Observation.objects.filter(
        measure=measure,
        organisation=world["trust_a"],
        period=world["periods"][-1],
        breakdown="",
    ).update(value=50.0)
    spec = _spec(_chart(client_for(world["users"]["member"])))
    rows = _points(spec)
    assert len(rows) == 24
    assert rows[-1]["signal"].startswith("Special cause concern")
    assert "above the upper process limit" in rows[-1]["signal"]
    assert rows[-1]["point"] == "Special cause concern"
    assert all(r["signal"] for r in rows)
    tooltip = spec["hconcat"][0]["layer"][-1]["encoding"]["tooltip"]
    assert any(f["field"] == "signal" for f in tooltip)


def test_annotating_adds_a_note_to_the_chart(world, client_for):
    client = client_for(
        MembershipFactory(organisation=world["trust_a"], role="executive").user
    )
    url = reverse("measures:annotate", kwargs={"code": "falls", "ods": "RAA"})
    response = client.post(
        url,
        {"period": "2023-06", "text": "New falls lead started"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "New falls lead started" in html
    assert "<html" not in html  # htmx swaps only the chart area
    note = Annotation.objects.get()
    assert note.period == dt.date(2023, 6, 1)
    spec = _spec(_chart(client))
    assert (
        next(
            r
            for r in _layer_values(spec, "text")
            if r["period"].startswith("2023-06-01")
        )["text"]
        == "New falls lead started"
    )
    assert AuditEvent.objects.filter(action="annotation.added").exists()


def test_annotation_without_text_is_refused_with_a_message(world, client_for):
    client = client_for(
        MembershipFactory(organisation=world["trust_a"], role="executive").user
    )
    url = reverse("measures:annotate", kwargs={"code": "falls", "ods": "RAA"})
    response = client.post(
        url, {"period": "2023-06", "text": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "There is a problem" in response.content.decode()
    assert not Annotation.objects.exists()


def test_only_the_author_removes_a_note(world, client_for):
    author = MembershipFactory(organisation=world["trust_a"], role="executive").user
    other = MembershipFactory(organisation=world["trust_a"], role="executive").user
    note = Annotation.objects.create(
        measure=world["measure"],
        organisation=world["trust_a"],
        period=dt.date(2023, 1, 1),
        text="x",
        by=author,
    )
    url = reverse(
        "measures:delete_annotation",
        kwargs={"code": "falls", "ods": "RAA", "pk": note.pk},
    )
    assert client_for(other).post(url).status_code == 403
    assert client_for(author).post(url).status_code == 302
    assert not Annotation.objects.exists()


def test_rebasing_needs_a_reason(world, client_for):
    client = client_for(world["role_users"]["qi_lead"])
    url = reverse("measures:rebase", kwargs={"code": "falls", "ods": "RAA"})
    response = client.post(url, {"period": "2024-01", "reason": "because"})
    assert response.status_code == 200
    assert (
        "Ensure this value has at least 10 characters" in response.content.decode()
        or "Say why" in response.content.decode()
    )
    assert not Rebase.objects.exists()


def test_rebasing_starts_new_limits_from_that_period(world, client_for):
    client = client_for(world["role_users"]["qi_lead"])
    url = reverse("measures:rebase", kwargs={"code": "falls", "ods": "RAA"})
    reason = "Falls bundle adopted on every ward in January"
    assert client.post(url, {"period": "2024-01", "reason": reason}).status_code == 302
    spec = _spec(_chart(client))
    segments = {r["period"][:7]: r["segment"] for r in _points(spec)}
    assert segments["2023-12"] == 1
    assert segments["2024-01"] == 2
    html = _chart(client).content.decode()
    assert reason in html
    event = AuditEvent.objects.get(action="chart.rebased")
    assert event.after["reason"] == reason


def test_rebase_needs_a_value_in_that_period(world, client_for):
    client = client_for(world["role_users"]["qi_lead"])
    url = reverse("measures:rebase", kwargs={"code": "falls", "ods": "RAA"})
    response = client.post(
        url, {"period": "2030-01", "reason": "a perfectly good reason"}
    )
    assert "There is no value for January 2030" in response.content.decode()


def test_removing_a_rebase_needs_a_reason_and_is_audited(world, client_for):
    change = Rebase.objects.create(
        measure=world["measure"],
        organisation=world["trust_a"],
        period=dt.date(2024, 1, 1),
        reason="x" * 20,
    )
    client = client_for(world["role_users"]["qi_lead"])
    url = reverse(
        "measures:remove_rebase",
        kwargs={"code": "falls", "ods": "RAA", "pk": change.pk},
    )
    client.post(url, {"reason": "short"})
    assert Rebase.objects.exists()
    client.post(url, {"reason": "entered in error, no change happened"})
    assert not Rebase.objects.exists()
    assert (
        AuditEvent.objects.get(action="chart.rebase_removed").before["period"]
        == "2024-01-01"
    )


def test_unit_chart_shows_the_ward(world, client_for):
    Observation.objects.bulk_create(
        Observation(
            measure=world["measure"],
            organisation=world["trust_a"],
            unit=world["ward"],
            period=p,
            numerator=3,
            denominator=900,
            value=3 / 900 * 1000,
        )
        for p in world["periods"]
    )
    client = client_for(world["users"]["member"])
    response = _chart(client, unit=world["ward"].pk)
    assert response.status_code == 200
    assert "Ward 5" in response.content.decode()
    assert _points(_spec(response))[0]["value"] == pytest.approx(3 / 900 * 1000)
    # A unit of another organisation is not found.
    from tests.web.factories import UnitFactory

    assert (
        _chart(client, unit=UnitFactory(organisation=world["trust_b"]).pk).status_code
        == 404
    )


# --- entering a value -----------------------------------------------------------------


def test_team_enters_this_months_value(world, client_for):
    client = client_for(world["users"]["member"])
    url = reverse("measures:entry", kwargs={"code": "falls", "ods": "RAA"})
    response = client.post(
        url, {"period": "2025-01", "numerator": "30", "denominator": "9000"}
    )
    assert response.status_code == 302
    obs = Observation.objects.get(
        organisation=world["trust_a"], period="2025-01-01", breakdown=""
    )
    assert obs.value == pytest.approx(30 / 9000 * 1000)
    event = AuditEvent.objects.get(action="observation.entered")
    assert event.before is None
    assert event.after["numerator"] == 30


def test_entering_a_value_again_updates_it_and_keeps_the_old_one_in_the_log(
    world, client_for
):
    client = client_for(world["users"]["member"])
    url = reverse("measures:entry", kwargs={"code": "falls", "ods": "RAA"})
    old = Observation.objects.get(
        organisation=world["trust_a"], period=world["periods"][0], breakdown=""
    )
    response = client.post(
        url,
        {
            "period": world["periods"][0].strftime("%Y-%m"),
            "numerator": "1",
            "denominator": "1000",
        },
        follow=True,
    )
    assert "replaces the value entered before" in response.content.decode()
    event = AuditEvent.objects.get(action="observation.updated")
    assert event.before["numerator"] == old.numerator
    assert event.after["numerator"] == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"period": "2025-01", "numerator": "3", "denominator": "0"},
            "Denominator must be more than 0 (it is 0).",
        ),
        (
            {"period": "Jnu 2025", "numerator": "3", "denominator": "10"},
            "is not a period; write a month as 2024-03",
        ),
        (
            {"period": "2025-01", "numerator": "three", "denominator": "10"},
            "in numerator is not a number",
        ),
        (
            {"period": "2025-01", "numerator": "", "denominator": "10"},
            "Numerator is missing (a denominator needs one).",
        ),
        (
            {"period": "2025-01-45", "numerator": "3", "denominator": "10"},
            "is not a real date: January 2025 has 31 days",
        ),
        (
            {"period": "2099-05", "numerator": "3", "denominator": "10"},
            "May 2099 is in the future",
        ),
        (
            {"period": "2025-01", "numerator": "4,5", "denominator": "10"},
            "has a comma; write numbers with a decimal point, for example 4.5",
        ),
        (
            {"period": "2025-01", "numerator": "-3", "denominator": "10"},
            "Numerator cannot be negative (-3).",
        ),
    ],
)
def test_entry_form_explains_mistakes(world, client_for, data, message):
    client = client_for(world["users"]["member"])
    count = Observation.objects.count()
    response = client.post(
        reverse("measures:entry", kwargs={"code": "falls", "ods": "RAA"}), data
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Observation.objects.count() == count


def test_value_measures_ask_for_a_value(world, client_for):
    MeasureFactory(
        code="los",
        name="Length of stay",
        aggregation="mean",
        multiplier=1,
        unit="days",
        organisation=world["system"],
    )
    client = client_for(world["users"]["member"])
    url = reverse("measures:entry", kwargs={"code": "los", "ods": "RAA"})
    html = client.get(url).content.decode()
    assert "Value (days)" in html
    assert "Numerator" not in html
    client.post(url, {"period": "2025-01", "value": "5.4"})
    assert Observation.objects.get(measure__code="los").value == 5.4


# --- equity view ------------------------------------------------------------------------


def test_breakdown_shows_spc_per_group_and_the_gap(world, client_for):
    client = client_for(world["users"]["member"])
    response = client.get(
        reverse(
            "measures:breakdown",
            kwargs={"code": "falls", "ods": "RAA", "name": "Ethnicity"},
        )
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Asian" in html
    assert "White" in html
    assert "Gap to the best mean" in html
    assert html.count('data-chart="') == 2


def test_breakdown_the_measure_does_not_have_is_not_found(world, client_for):
    client = client_for(world["users"]["member"])
    assert (
        client.get(
            reverse(
                "measures:breakdown",
                kwargs={"code": "falls", "ods": "RAA", "name": "sex"},
            )
        ).status_code
        == 404
    )


def test_system_breakdown_combines_members(world, client_for):
    client = client_for(world["users"]["owner"])
    response = client.get(
        reverse(
            "measures:breakdown",
            kwargs={"code": "falls", "ods": "QAA", "name": "ethnicity"},
        )
    )
    assert "Asian" in response.content.decode()


def test_data_in_page_sends_the_team_to_the_entry_form(world, client_for):
    client = client_for(world["users"]["member"])
    response = client.get(
        reverse("data:entry"), {"measure": "falls", "organisation": "RAA"}
    )
    assert response["Location"] == reverse(
        "measures:entry", kwargs={"code": "falls", "ods": "RAA"}
    )
    assert client.get(response["Location"]).status_code == 200
    outsider = client_for(world["users"]["outsider"])
    response = outsider.get(
        reverse("data:entry"), {"measure": "falls", "organisation": "RAA"}, follow=True
    )
    assert response.status_code == 404


def test_entry_form_lists_every_problem_at_once(world, client_for):
    client = client_for(world["users"]["member"])
    response = client.post(
        reverse("measures:entry", kwargs={"code": "falls", "ods": "RAA"}),
        {"period": "2025-02-30", "numerator": "x", "denominator": "-1"},
    )
    page = response.content.decode()
    assert "February 2025 has 28 days" in page
    assert "in numerator is not a number" in page
    assert "Denominator must be more than 0 (it is -1)." in page


def test_a_proportion_cannot_be_over_100_percent_nor_a_count_negative(world):
    from django.core.exceptions import ValidationError

    from qualitas.web.measures import services

    by = world["users"]["member"]
    hygiene = MeasureFactory(
        organisation=world["system"], multiplier=100.0, unit="% compliant"
    )
    cases = MeasureFactory(
        organisation=world["system"],
        aggregation=Measure.Aggregation.SUM,
        multiplier=1.0,
        decimals=0,
        unit="cases",
    )
    with pytest.raises(ValidationError, match="cannot be more than 100%"):
        services.enter_value(
            by=by,
            measure=hygiene,
            organisation=world["trust_a"],
            period=dt.date(2025, 1, 1),
            numerator=150,
            denominator=100,
        )
    for bad, message in ((-1, "cannot be below 0"), (2.5, "not a whole number")):
        with pytest.raises(ValidationError, match=message):
            services.enter_value(
                by=by,
                measure=cases,
                organisation=world["trust_a"],
                period=dt.date(2025, 1, 1),
                value=bad,
            )
