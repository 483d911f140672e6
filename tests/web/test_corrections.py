"""Correcting and withdrawing stored values: who may, what is kept, and where it shows
(the measure's chart, its data page, the integrated report, frozen meeting reports)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from qualitas.web.audit.models import AuditEvent
from qualitas.web.measures import services
from qualitas.web.measures.models import Correction, Observation

MARCH = dt.date(2023, 3, 1)
REASON = "Two falls on Ward 5 were counted twice in the ward tally."


def _march(world):
    return Observation.objects.totals().get(
        measure=world["measure"], organisation=world["trust_a"], period=MARCH
    )


def _page(world, name, *args):
    return reverse(f"measures:{name}", args=[world["measure"].code, "RAA", *args])


def test_a_team_member_corrects_a_value_and_the_old_one_is_kept(world):
    obs = _march(world)
    old = (obs.value, obs.numerator, obs.denominator)
    change = services.correct_value(
        by=world["users"]["member"],
        observation=obs,
        reason=REASON,
        numerator=30,
        denominator=9000,
    )
    obs.refresh_from_db()
    assert (obs.numerator, obs.denominator) == (30, 9000)
    assert obs.value == pytest.approx(30 / 9000 * 1000)
    assert (change.old_value, change.old_numerator, change.old_denominator) == old
    assert change.new_value == pytest.approx(obs.value)
    assert change.kind == "corrected"
    assert change.reason == REASON
    event = AuditEvent.objects.get(action="observation.corrected")
    assert event.before["value"] == old[0]
    assert event.before["numerator"] == old[1]
    assert event.after["numerator"] == 30
    assert event.after["reason"] == REASON
    assert event.organisation == world["trust_a"]


def test_a_withdrawn_value_leaves_the_chart_and_its_record_stays(world):
    obs = _march(world)
    old_value = obs.value
    change = services.withdraw_value(
        by=world["users"]["member"], observation=obs, reason=REASON
    )
    assert not Observation.objects.filter(pk=obs.pk).exists()
    assert change.kind == "withdrawn"
    assert change.old_value == old_value
    assert change.new_value is None
    assert (change.measure, change.organisation, change.period) == (
        world["measure"],
        world["trust_a"],
        MARCH,
    )
    event = AuditEvent.objects.get(action="observation.withdrawn")
    assert event.before["value"] == old_value


@pytest.mark.parametrize("persona", ["outsider", "board_member", "patient_partner"])
def test_only_people_who_enter_data_there_may_correct(world, persona):
    user = world["users"].get(persona) or world["role_users"][persona]
    with pytest.raises(PermissionDenied):
        services.correct_value(
            by=user,
            observation=_march(world),
            reason=REASON,
            numerator=1,
            denominator=9000,
        )
    with pytest.raises(PermissionDenied):
        services.withdraw_value(by=user, observation=_march(world), reason=REASON)
    assert not Correction.objects.exists()


def test_a_team_member_elsewhere_may_not_correct_trust_a(world):
    from tests.web.factories import MembershipFactory

    at_b = MembershipFactory(organisation=world["trust_b"], role="team_member").user
    with pytest.raises(PermissionDenied):
        services.withdraw_value(by=at_b, observation=_march(world), reason=REASON)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": "wrong", "numerator": 30, "denominator": 9000}, "Say why"),
        ({"reason": REASON, "numerator": 30, "denominator": 0}, "enominator"),
        ({"reason": REASON, "numerator": -1, "denominator": 9000}, "umerator"),
    ],
)
def test_a_correction_needs_a_reason_and_a_value_that_passes_the_checks(
    world, fields, message
):
    with pytest.raises(ValidationError) as e:
        services.correct_value(
            by=world["users"]["member"], observation=_march(world), **fields
        )
    assert message in " ".join(e.value.messages)
    assert not Correction.objects.exists()


def test_the_same_value_is_not_a_correction(world):
    obs = _march(world)
    with pytest.raises(ValidationError, match="already stored"):
        services.correct_value(
            by=world["users"]["member"],
            observation=obs,
            reason=REASON,
            numerator=obs.numerator,
            denominator=obs.denominator,
        )


def test_a_change_made_meanwhile_is_not_overwritten_unknowingly(world):
    obs = _march(world)
    seen = obs.updated_at.isoformat()
    services.correct_value(
        by=world["users"]["member"],
        observation=obs,
        reason=REASON,
        numerator=31,
        denominator=9000,
    )
    with pytest.raises(ValidationError, match="changed this value after you opened"):
        services.correct_value(
            by=world["role_users"]["analyst"],
            observation=obs,
            reason=REASON,
            numerator=32,
            denominator=9000,
            seen=seen,
        )
    assert _march(world).numerator == 31


def test_the_database_refuses_a_correction_without_a_reason_or_a_withdrawal_with_a_value(
    world,
):
    base = {
        "measure": world["measure"],
        "organisation": world["trust_a"],
        "period": MARCH,
        "old_value": 1.0,
    }
    for bad in (
        {"kind": "corrected", "new_value": 2.0, "reason": ""},
        {"kind": "corrected", "new_value": None, "reason": REASON},
        {"kind": "withdrawn", "new_value": 2.0, "reason": REASON},
        {"kind": "corrected", "new_value": 2.0, "new_numerator": 2.0, "reason": REASON},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Correction.objects.create(**base, **bad)


def test_the_data_page_lists_values_and_corrections_and_offers_correction(
    world, client_for
):
    services.correct_value(
        by=world["users"]["member"],
        observation=_march(world),
        reason=REASON,
        numerator=30,
        denominator=9000,
    )
    page = client_for(world["users"]["member"]).get(_page(world, "data"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mar 2023" in html
    assert "Corrected" in html
    assert REASON in html
    assert _page(world, "correct", _march(world).pk) in html

    reader = client_for(world["role_users"]["board_member"]).get(_page(world, "data"))
    assert reader.status_code == 200
    assert "Correct or withdraw" not in reader.content.decode()


def test_the_correction_form_corrects_and_withdraws(world, client_for):
    client = client_for(world["users"]["member"])
    obs = _march(world)
    url = _page(world, "correct", obs.pk)
    form = client.get(url)
    assert form.status_code == 200
    seen = form.context["form"]["seen"].value()
    saved = client.post(
        url,
        {
            "action": "correct",
            "numerator": "30",
            "denominator": "9000",
            "reason": REASON,
            "seen": seen,
        },
    )
    assert saved.status_code == 302
    assert _march(world).numerator == 30

    refused = client.post(
        url,
        {
            "action": "withdraw",
            "reason": "",
            "seen": _march(world).updated_at.isoformat(),
        },
    )
    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    withdrawn = client.post(
        url,
        {
            "action": "withdraw",
            "reason": "The ward was closed that month.",
            "seen": _march(world).updated_at.isoformat(),
        },
    )
    assert withdrawn.status_code == 302
    assert not Observation.objects.filter(pk=obs.pk).exists()
    assert Correction.objects.count() == 2


def test_the_correction_form_is_refused_to_readers_and_outsiders(world, client_for):
    url = _page(world, "correct", _march(world).pk)
    assert client_for(world["role_users"]["board_member"]).get(url).status_code == 403
    assert client_for(world["users"]["outsider"]).get(url).status_code == 404


def test_the_chart_marks_a_corrected_value_in_a_note(world, client_for):
    services.correct_value(
        by=world["users"]["member"],
        observation=_march(world),
        reason=REASON,
        numerator=30,
        denominator=9000,
    )
    page = client_for(world["role_users"]["board_member"]).get(_page(world, "chart"))
    spec = page.context["spec"]
    texts = json.dumps(spec)
    assert "Value corrected on" in texts
    assert REASON in texts
    assert "Corrected values" in page.content.decode()


def test_the_integrated_report_marks_a_measure_with_a_corrected_value(
    world, client_for
):
    from qualitas.web.board import report

    services.correct_value(
        by=world["users"]["member"],
        observation=_march(world),
        reason=REASON,
        numerator=30,
        denominator=9000,
    )
    [row] = report.build(world["trust_a"], [world["measure"]]).rows
    assert len(row.corrections) == 1
    assert row.corrections[0].startswith("March 2023: Value corrected on")
    assert REASON in row.corrections[0]
    # A system's figure combines its members': the member's correction is named.
    [system_row] = report.build(world["system"], [world["measure"]]).rows
    assert system_row.corrections[0].startswith("March 2023, Trust A:")
    # Not for periods after a data cut.
    assert (
        not report.build(
            world["trust_a"], [world["measure"]], until=dt.date(2023, 2, 1)
        )
        .rows[0]
        .corrections
    )

    page = client_for(world["role_users"]["board_member"]).get(
        reverse("board:report", args=["RAA"])
    )
    assert "1 value corrected" in page.content.decode()


def test_a_frozen_report_keeps_its_figures_and_says_a_value_was_corrected_since(
    gov, client_for
):
    from qualitas.web.meetings.snapshot import FrozenReport

    june = Observation.objects.totals().get(
        measure=gov["measure"], organisation=gov["trust_a"], period=dt.date(2024, 6, 1)
    )
    before = FrozenReport(gov["first"].snapshot).rows[0]
    assert before.since_corrected == []
    services.correct_value(
        by=gov["users"]["member"],
        observation=june,
        reason=REASON,
        numerator=1,
        denominator=9000,
    )
    # A correction after the data cut is not this report's business.
    services.withdraw_value(
        by=gov["users"]["member"],
        observation=Observation.objects.totals().get(
            measure=gov["measure"],
            organisation=gov["trust_a"],
            period=dt.date(2024, 9, 1),
        ),
        reason=REASON,
    )
    after = FrozenReport(gov["first"].snapshot)
    [row] = after.rows
    assert row.value == pytest.approx(before.value)  # what the meeting saw
    assert len(row.since_corrected) == 1
    assert row.since_corrected[0].startswith("June 2024: Value corrected on")
    assert after.corrected_since_count == 1

    client = client_for(gov["qi"])
    meeting = client.get(reverse("meetings:meeting", args=[gov["first"].pk]))
    assert "Corrected since frozen" in meeting.content.decode()
    assert "Values have been corrected since this report was frozen" in (
        meeting.content.decode()
    )
    narrative = client.get(
        reverse("meetings:narrative", args=[gov["first"].pk, gov["measure"].pk])
    )
    assert REASON in narrative.content.decode()


def test_a_value_corrected_before_freezing_is_marked_on_the_frozen_chart(gov):
    from qualitas.web.meetings import services as meetings
    from qualitas.web.meetings.models import Meeting
    from qualitas.web.meetings.snapshot import FrozenReport

    services.correct_value(
        by=gov["users"]["member"],
        observation=_march(gov),
        reason=REASON,
        numerator=30,
        denominator=9000,
    )
    meetings.freeze_report(by=gov["qi"], meeting=gov["second"])
    frozen = FrozenReport(Meeting.objects.get(pk=gov["second"].pk).snapshot)
    [row] = frozen.rows
    assert len(row.corrections) == 1
    assert row.since_corrected == []
    assert REASON in json.dumps(frozen.chart(gov["measure"]))


def test_the_admin_corrects_and_withdraws_through_the_same_service(world, client_for):
    obs = _march(world)
    client = client_for(world["role_users"]["administrator"])
    url = reverse("admin:measures_observation_change", args=[obs.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "reason" in page.content.decode()
    # No plain delete or add: a value is withdrawn with a reason instead.
    assert (
        client.get(
            reverse("admin:measures_observation_delete", args=[obs.pk])
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:measures_observation_add")).status_code == 403

    no_reason = client.post(
        url,
        {"numerator": "30", "denominator": "9000", "action": "correct", "reason": ""},
    )
    assert no_reason.status_code == 200
    assert _march(world).numerator == obs.numerator

    saved = client.post(
        url,
        {
            "numerator": "30",
            "denominator": "9000",
            "action": "correct",
            "reason": REASON,
        },
    )
    assert saved.status_code == 302
    assert _march(world).numerator == 30
    change = Correction.objects.get()
    assert change.old_numerator == obs.numerator
    assert AuditEvent.objects.filter(action="observation.corrected").count() == 1

    withdrawn = client.post(
        url,
        {
            "numerator": "30",
            "denominator": "9000",
            "action": "withdraw",
            "reason": REASON,
        },
    )
    assert withdrawn.status_code == 302
    assert not Observation.objects.filter(pk=obs.pk).exists()
    assert Correction.objects.filter(kind="withdrawn").count() == 1
    history = client.get(reverse("admin:measures_correction_changelist"))
    assert history.status_code == 200


def test_the_board_pack_says_a_value_was_corrected_since_the_report_was_frozen(gov):
    from qualitas.web.meetings import pack

    june = Observation.objects.totals().get(
        measure=gov["measure"], organisation=gov["trust_a"], period=dt.date(2024, 6, 1)
    )
    services.correct_value(
        by=gov["users"]["member"],
        observation=june,
        reason=REASON,
        numerator=1,
        denominator=9000,
    )
    built, _ = pack.build(gov["first"])
    [row] = built.measures
    assert "corrected since this report was frozen" in row.note


def test_a_load_that_changes_a_stored_value_is_kept_as_a_correction(world):
    analyst = world["role_users"]["analyst"]
    march, april = (
        _march(world),
        Observation.objects.totals().get(
            measure=world["measure"],
            organisation=world["trust_a"],
            period=dt.date(2023, 4, 1),
        ),
    )
    csv = (
        "measure,organisation,period,numerator,denominator\n"
        f"falls,RAA,2023-03,{march.numerator + 5:g},9000\n"
        f"falls,RAA,2023-04,{april.numerator:g},9000\n"  # the value already stored
    ).encode()
    batch = services.check_file(
        by=analyst, organisation=world["trust_a"], filename="revised.csv", data=csv
    )
    assert batch.status == "previewed", batch.errors
    services.apply_import(by=analyst, batch=batch)
    [change] = Correction.objects.all()
    assert (change.period, change.kind) == (MARCH, "corrected")
    assert (change.old_numerator, change.new_numerator) == (
        march.numerator,
        march.numerator + 5,
    )
    assert change.old_value == march.value
    assert change.unit is None
    assert change.by == analyst
    assert "revised.csv" in change.reason


def test_entering_a_month_again_with_another_value_is_kept_as_a_correction(world):
    member = world["users"]["member"]
    march = _march(world)
    kwargs = {
        "by": member,
        "measure": world["measure"],
        "organisation": world["trust_a"],
        "period": MARCH,
        "denominator": 9000,
    }
    services.enter_value(**kwargs, numerator=march.numerator)  # the same: no record
    assert not Correction.objects.exists()
    services.enter_value(**kwargs, numerator=march.numerator + 1)
    [change] = Correction.objects.all()
    assert (change.old_numerator, change.new_numerator) == (
        march.numerator,
        march.numerator + 1,
    )
    assert change.reason.startswith("Replaced by a new value entered on the form")
