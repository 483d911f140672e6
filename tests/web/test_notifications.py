"""Email notifications, checked against a real SMTP server (aiosmtpd): who is told,
what the messages say, once per event, weekly digests, and the unsubscribe link.
The checks after a data load run in django-tasks' real database worker
(``run_jobs``), as they do in production."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from qualitas.web.measures import services as measure_services
from qualitas.web.measures.models import Measure, Observation
from qualitas.web.notifications import sending
from qualitas.web.notifications.models import Delivery, Event, Follow, Preference
from tests.web import factories as f
from tests.web.smtp import body
from tests.web.test_jobs import run_jobs

BASELINE = [dt.date(2023 + i // 12, i % 12 + 1, 1) for i in range(20)]  # to Aug 2024
SEP, OCT, NOV, DEC = (dt.date(2024, m, 1) for m in (9, 10, 11, 12))


@pytest.fixture
def people(world):
    """A measure of Trust A's with a steady baseline, its owner and followers."""
    trust_a = world["trust_a"]
    roles = world["role_users"]
    for name, user in roles.items():
        user.email = f"{name}@trust-a.nhs.test"
        user.save()
    outsider = world["users"]["outsider"]
    outsider.email = "outsider@elsewhere.nhs.test"
    outsider.save()
    measure = f.MeasureFactory(
        code="pressure-ulcers",
        name="Pressure ulcers",
        organisation=trust_a,
        aggregation=Measure.Aggregation.SUM,
        direction=Measure.Direction.DECREASE,
        unit="ulcers",
        multiplier=1.0,
        owner="Chief Nurse",
        owner_user=roles["qi_lead"],
    )
    Observation.objects.bulk_create(
        Observation(
            measure=measure,
            organisation=trust_a,
            period=p,
            value=10.0 + 2 * (i % 2),
        )
        for i, p in enumerate(BASELINE)
    )
    for name in ("board_member", "executive", "finance"):
        Follow.objects.create(user=roles[name], measure=measure)
    # Someone who cannot see Trust A's data is never told about it, even if a
    # follow was left behind (e.g. after leaving the trust).
    Follow.objects.create(user=outsider, measure=measure)
    Preference.objects.create(
        user=roles["executive"], frequency=Preference.Frequency.WEEKLY
    )
    Preference.objects.create(user=roles["finance"], frequency=Preference.Frequency.OFF)
    return {
        "measure": measure,
        "trust_a": trust_a,
        "owner": roles["qi_lead"],
        "follower": roles["board_member"],
        "weekly": roles["executive"],
        "stopped": roles["finance"],
        "outsider": outsider,
        "analyst": roles["analyst"],
    }


@pytest.fixture
def enter(people, django_capture_on_commit_callbacks):
    """Enter a value as the analyst, running what happens after the commit."""

    def enter(period: dt.date, value: float) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            measure_services.enter_value(
                by=people["analyst"],
                measure=people["measure"],
                organisation=people["trust_a"],
                period=period,
                value=value,
            )
        run_jobs()

    return enter


def _recipients(inbox) -> list[str]:
    return sorted(a for rcpt, _ in inbox.messages for a in rcpt)


def _link(message, start: str) -> str:
    found = re.search(re.escape(start) + r"\S+", body(message))
    assert found, body(message)
    return found.group(0)


def test_owner_and_followers_are_told_when_the_latest_point_turns_to_concern(
    people, enter, smtp_server
):
    enter(SEP, 40.0)
    assert _recipients(smtp_server) == [
        people["follower"].email,
        people["owner"].email,
    ]
    [message] = smtp_server.to(people["owner"].email)
    assert message["Subject"] == (
        "qualitas: Special cause concern: Pressure ulcers at Trust A"
    )
    text = body(message)
    assert "Hello " + people["owner"].display_name in text
    assert "Pressure ulcers at Trust A (Sep 2024: 40.0 ulcers)" in text
    assert "special cause concern (higher values)" in text
    assert "the process has got worse" in text
    assert "http://qualitas.test/measures/pressure-ulcers/at/RAA/" in text
    assert "because you own this measure" in text
    assert "because you follow this measure" in body(
        smtp_server.to(people["follower"].email)[0]
    )
    assert (
        message["List-Unsubscribe"]
        .strip()
        .startswith("<http://qualitas.test/notifications/unsubscribe/")
    )


def test_each_signal_is_told_once_until_it_ends(people, enter, smtp_server):
    enter(SEP, 40.0)
    enter(SEP, 41.0)  # a correction: the same signal goes on
    enter(OCT, 42.0)  # still a concern next month
    assert len(smtp_server.to(people["owner"].email)) == 1
    assert Event.objects.filter(kind=Event.Kind.CONCERN).count() == 1
    enter(NOV, 11.0)  # back to normal: the signal ends
    event = Event.objects.get(kind=Event.Kind.CONCERN)
    assert event.ended == NOV
    enter(DEC, 60.0)  # a new signal
    assert len(smtp_server.to(people["owner"].email)) == 2
    assert Delivery.objects.filter(user=people["owner"]).count() == 2


def test_a_point_that_misses_its_target_is_told(people, enter, smtp_server):
    measure = people["measure"]
    f.TargetFactory(measure=measure, value=11.5, starts=BASELINE[0])
    enter(SEP, 11.0)
    assert smtp_server.messages == []  # meets the target, no special cause
    enter(OCT, 12.5)  # misses the target; within the limits
    [message] = smtp_server.to(people["owner"].email)
    assert message["Subject"] == "qualitas: Target missed: Pressure ulcers at Trust A"
    text = body(message)
    assert "(Oct 2024: 12.5 ulcers) misses the target of 11.5 (lower is better)" in text
    assert "Hit and miss" in text


def test_weekly_digest_collects_events_and_goes_once_a_week(people, enter, smtp_server):
    weekly = people["weekly"].email
    enter(SEP, 40.0)
    assert smtp_server.to(weekly) == []
    f.TargetFactory(measure=people["measure"], value=15.0, starts=BASELINE[0])
    enter(SEP, 40.5)  # the same concern, now also missing the new target
    call_command("notify", stdout=io.StringIO())
    [digest] = smtp_server.to(weekly)
    assert digest["Subject"] == "qualitas: your weekly summary (2 updates)"
    text = body(digest)
    assert "1. Special cause concern: Pressure ulcers at Trust A" in text
    assert "2. Target missed: Pressure ulcers at Trust A" in text
    smtp_server.clear()
    enter(NOV, 11.0)
    enter(DEC, 60.0)
    call_command("notify", stdout=io.StringIO())
    assert smtp_server.to(weekly) == []  # the next digest is due in a week
    later = sending.send_pending(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=8))
    assert later.digests == 1
    [digest] = smtp_server.to(weekly)
    assert "(2 updates)" in digest["Subject"]
    assert "Dec 2024: 60.0 ulcers" in body(digest)
    assert "Sep 2024" not in body(digest)


def test_unsubscribe_link_stops_emails_without_signing_in(
    people, enter, smtp_server, client
):
    enter(SEP, 40.0)
    [message] = smtp_server.to(people["follower"].email)
    link = _link(message, "http://qualitas.test/notifications/unsubscribe/")
    path = link.removeprefix("http://qualitas.test")
    page = client.get(path)
    assert page.status_code == 200
    assert b"Stop emails from qualitas?" in page.content
    assert Preference.objects.filter(user=people["follower"]).count() == 0
    done = client.post(path)  # no CSRF token: mail programs post one-click too
    assert done.status_code == 200
    assert b"You will get no more emails" in done.content
    assert (
        Preference.objects.get(user=people["follower"]).frequency
        == Preference.Frequency.OFF
    )
    smtp_server.clear()
    enter(OCT, 11.0)
    enter(NOV, 60.0)
    assert _recipients(smtp_server) == [people["owner"].email]


def test_unsubscribe_refuses_a_forged_token(people, client):
    from qualitas.web.notifications import tokens

    token = tokens.make(people["follower"].pk)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/notifications/unsubscribe/{forged}/").status_code == 404
    assert client.post(f"/notifications/unsubscribe/{forged}/").status_code == 404
    assert not Preference.objects.filter(user=people["follower"]).exists()


def test_loads_through_the_api_are_checked_too(
    people, smtp_server, django_capture_on_commit_callbacks
):
    rows = [
        {"measure": "pressure-ulcers", "organisation": "RAA", "period": "2024-09"}
        | {"value": 40}
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch = measure_services.load_records(
            by=people["analyst"], organisation=people["trust_a"], records=rows
        )
    run_jobs()
    assert batch.status == "applied", batch.errors
    assert people["owner"].email in _recipients(smtp_server)


def test_mail_server_down_keeps_messages_owed_until_notify(
    people, enter, smtp_server, settings
):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # nothing listens there: the connection is refused
    enter(SEP, 40.0)
    assert Observation.objects.filter(measure=people["measure"], period=SEP).exists()
    assert smtp_server.messages == []
    # The owner's, the follower's and the weekly digest reader's are owed.
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 3
    settings.EMAIL_PORT = port
    call_command("notify", "--no-digests", stdout=io.StringIO())
    assert _recipients(smtp_server) == [
        people["follower"].email,
        people["owner"].email,
    ]


def test_action_owner_is_told_when_the_action_falls_due(gov, smtp_server):
    action = gov["action"]
    owner = gov["role_users"]["executive"]
    owner.email = "executive@trust-a.nhs.test"
    owner.save()
    action.owner_user = owner
    action.save()
    call_command("notify", "--today", "2024-09-29", stdout=io.StringIO())
    assert smtp_server.messages == []
    call_command("notify", "--today", "2024-09-30", stdout=io.StringIO())
    call_command("notify", "--today", "2024-10-01", stdout=io.StringIO())
    [message] = smtp_server.to(owner.email)
    assert message["Subject"] == "qualitas: Action due: Present the falls deep dive"
    text = body(message)
    assert "Quality and Safety Committee meeting of 10 July 2024" in text
    assert "fell due today" in text
    assert f"http://qualitas.test/meetings/{gov['first'].pk}/" in text


def test_follow_button_on_the_measure_page(world, client_for):
    member = world["users"]["member"]
    client = client_for(member)
    page = client.get("/measures/falls/")
    assert b"Follow this measure" in page.content
    response = client.post(
        "/notifications/measures/falls/follow/", {"next": "/measures/falls/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/measures/falls/"
    assert Follow.objects.filter(user=member, measure=world["measure"]).exists()
    assert b"Stop following" in client.get("/measures/falls/").content
    client.post("/notifications/measures/falls/unfollow/")
    assert not Follow.objects.filter(user=member).exists()


def test_outsider_cannot_follow_a_measure_they_cannot_see(world, client_for):
    client = client_for(world["users"]["outsider"])
    assert client.post("/notifications/measures/falls/follow/").status_code == 404
    assert not Follow.objects.exists()


def test_follow_does_not_redirect_off_site(world, client_for):
    client = client_for(world["users"]["member"])
    response = client.post(
        "/notifications/measures/falls/follow/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/measures/falls/"


def test_preferences_page_saves_the_choice(world, client_for):
    member = world["users"]["member"]
    client = client_for(member)
    page = client.get("/notifications/")
    assert b"How often do you want emails?" in page.content
    client.post("/notifications/", {"frequency": "weekly"})
    assert Preference.objects.get(user=member).frequency == "weekly"
    bad = client.post("/notifications/", {"frequency": "hourly"})
    assert b"Choose how often you want emails." in bad.content
    assert Preference.objects.get(user=member).frequency == "weekly"


def test_preferences_need_sign_in(client, db):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_measure_form_names_the_owners_account_from_people_who_can_see_it(
    world, client_for
):
    """The account emailed as the owner is chosen on the measure's edit page, from
    people with a role where the measure is defined (or below)."""
    analyst = f.MembershipFactory(organisation=world["system"], role="analyst").user
    client = client_for(analyst)
    edit = reverse("measures:edit", kwargs={"code": "falls"})
    form = client.get(edit).context["form"]
    data = {
        k: v
        for k, v in form.initial.items()
        if k not in ("owner_user", "id", "organisation", "breakdowns") and v is not None
    } | {"breakdowns_text": "ethnicity"}
    member = world["users"]["member"]
    assert client.post(edit, data | {"owner_user": member.pk}).status_code == 302
    world["measure"].refresh_from_db()
    assert world["measure"].owner_user == member
    outsider = world["users"]["outsider"]
    refused = client.post(edit, data | {"owner_user": outsider.pk})
    assert refused.status_code == 200
    assert b"Select a valid choice" in refused.content
    world["measure"].refresh_from_db()
    assert world["measure"].owner_user == member


def test_the_request_only_queues_the_check_for_the_worker(
    people, smtp_server, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        measure_services.enter_value(
            by=people["analyst"],
            measure=people["measure"],
            organisation=people["trust_a"],
            period=SEP,
            value=40.0,
        )
    assert smtp_server.messages == []
    assert not Event.objects.exists()
    assert DBTaskResult.objects.ready().count() == 1
    run_jobs()
    assert _recipients(smtp_server) == [
        people["follower"].email,
        people["owner"].email,
    ]
