"""The audit log: every change recorded with who, what, when, before and after;
browsable by administrators, including changes made in the admin site."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from qualitas.web.audit.models import AuditEvent
from qualitas.web.measures import services
from qualitas.web.organisations.models import Membership


def test_services_record_who_what_and_before_after(world):
    qi = world["role_users"]["qi_lead"]
    note = services.add_annotation(
        by=qi,
        measure=world["measure"],
        organisation=world["trust_a"],
        period=dt.date(2023, 3, 1),
        text="Audit me",
    )
    event = AuditEvent.objects.get(action="annotation.added")
    assert event.by == qi
    assert event.by_name == qi.username
    assert event.organisation == world["trust_a"]
    assert event.object_id == str(note.pk)
    assert event.after["text"] == "Audit me"
    assert event.at is not None
    services.delete_annotation(by=qi, annotation=note)
    removed = AuditEvent.objects.get(action="annotation.removed")
    assert removed.before["text"] == "Audit me"


def test_administrators_browse_and_filter_the_log(world, client_for):
    services.add_annotation(
        by=world["role_users"]["qi_lead"],
        measure=world["measure"],
        organisation=world["trust_a"],
        period=dt.date(2023, 3, 1),
        text="Visible to the admin",
    )
    client = client_for(world["users"]["owner"])
    html = client.get(reverse("audit:list")).content.decode()
    assert "Visible to the admin" in html
    assert (
        "Visible to the admin"
        not in client.get(reverse("audit:list"), {"action": "measure"}).content.decode()
    )
    event = AuditEvent.objects.get(action="annotation.added")
    detail = client.get(
        reverse("audit:detail", kwargs={"pk": event.pk})
    ).content.decode()
    assert "Visible to the admin" in detail


def test_administrators_see_only_their_organisations_events(world, client_for):
    services.enter_value(
        by=world["users"]["outsider"],
        measure=world["other_measure"],
        organisation=world["other_trust"],
        period=dt.date(2025, 1, 1),
        numerator=1,
        denominator=10,
    )
    event = AuditEvent.objects.get(action="observation.entered")
    client = client_for(world["users"]["owner"])
    assert (
        client.get(reverse("audit:detail", kwargs={"pk": event.pk})).status_code == 404
    )


def test_admin_site_changes_are_audited(world, client_for):
    client = client_for(world["users"]["owner"])
    member = world["users"]["member"]
    membership = Membership.objects.get(user=member)
    url = reverse("admin:organisations_membership_change", args=[membership.pk])
    response = client.post(
        url, {"user": member.pk, "organisation": world["trust_a"].pk, "role": "qi_lead"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="admin.changed")
    assert event.changes() == [("role", "team_member", "qi_lead")]
    assert event.by == world["users"]["owner"]


def test_admin_site_shows_only_administered_organisations(world, client_for):
    client = client_for(world["users"]["owner"])
    html = client.get(
        reverse("admin:organisations_organisation_changelist")
    ).content.decode()
    assert "Trust A" in html
    assert "Other Trust" not in html


def test_admin_site_is_for_administrators_only(world, client_for):
    client = client_for(world["role_users"]["analyst"])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
