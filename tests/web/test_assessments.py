"""QI-governance maturity and improvement capability: questions with proposals from
qualitas's own records, answers with evidence, scores over time, the capability map
and the training records that feed it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from qualitas.web.assessments import proposals, scoring, services
from qualitas.web.assessments.frameworks import CAPABILITY, FRAMEWORKS, MATURITY
from qualitas.web.assessments.models import Answer, Assessment
from qualitas.web.assessments.radar import radar_spec
from qualitas.web.jobs import services as jobs_services
from qualitas.web.jobs.models import Job
from qualitas.web.organisations.models import Membership
from tests.web.factories import MembershipFactory
from tests.web.test_jobs import run_jobs

FIRST_MEETING_DAY = dt.date(2024, 7, 31)


def test_frameworks_have_eight_dimensions_and_a_description_for_every_level():
    for spec in FRAMEWORKS.values():
        assert len(spec.dimensions) == 8
        keys = [q.key for q in spec.questions]
        assert len(keys) == len(set(keys))
        for q in spec.questions:
            assert set(q.anchors) == {lv.key for lv in spec.levels}
            assert all(text.strip() for text in q.anchors.values())
    assert [d.name for d in CAPABILITY.dimensions] == [
        "Organisational culture",
        "Leadership commitment",
        "Employee commitment",
        "Service-user focus",
        "Stakeholder and supplier focus",
        "Process improvement and learning",
        "Strategy and governance",
        "Data and performance",
    ]
    assert (
        len(MATURITY.dimensions[0].questions) == 5
    )  # the paper's board-priority items


def _start(gov, framework="maturity", unit=None, on=FIRST_MEETING_DAY):
    return services.start_assessment(
        by=gov["role_users"]["board_member"],
        organisation=gov["trust_a"],
        framework=framework,
        unit=unit,
        assessed_on=on,
    )


def test_qualitas_proposes_answers_from_its_own_records(gov):
    a = _start(gov)
    answers = {x.question: x for x in a.answers.all()}
    assert set(answers) == {q.key for q in MATURITY.questions}
    assert all(not x.level for x in answers.values())  # nothing answered for people
    # The one measure has 18 months of data by the assessment: a full SPC chart.
    assert answers["data.spc"].proposed_level == "high"
    assert "1 of the 1 measures" in answers["data.spc"].proposed_reason
    # One frozen meeting in the year: quality reviewed now and then.
    assert answers["performance.reviews"].proposed_level == "low"
    assert answers["priority.committees"].proposed_level == "medium"
    # The narrative was only suggested, never written: no improvement data reached it.
    assert answers["data.improvement_data"].proposed_level == "low"
    # Only safety measures in the report.
    assert answers["balance.domains"].proposed_level == "low"
    # Nothing in the records about board dynamics.
    assert answers["dynamics.challenge"].proposed_level == ""


def test_writing_what_the_committee_is_doing_raises_the_proposal(gov):
    from qualitas.web.meetings import services as meeting_services
    from qualitas.web.meetings.models import ReportItem

    item = ReportItem.objects.get(meeting=gov["first"])
    meeting_services.save_narrative(
        by=gov["qi"],
        item=item,
        chart_tells_us="No signal.",
        doing="Falls bundle on Ward 5.",
    )
    answers = {x.question: x for x in _start(gov).answers.all()}
    assert answers["data.improvement_data"].proposed_level == "high"


def test_completing_needs_every_answer_and_its_evidence(gov):
    a = _start(gov)
    with pytest.raises(ValidationError) as missing:
        services.complete(by=gov["role_users"]["board_member"], assessment=a)
    assert len(missing.value.messages) == len(MATURITY.questions)

    answers = {}
    for q in MATURITY.questions:
        answers[q.key] = ("medium", f"Board minutes on {q.key}")
    answers["data.spc"] = (
        "high",
        "",
    )  # agrees with qualitas: its reason is the evidence
    answers["dynamics.challenge"] = ("low", "")  # no proposal, no evidence: refused
    services.save_answers(
        by=gov["role_users"]["board_member"], assessment=a, answers=answers
    )
    with pytest.raises(ValidationError, match="Give the evidence"):
        services.complete(by=gov["role_users"]["board_member"], assessment=a)
    services.save_answers(
        by=gov["role_users"]["board_member"],
        assessment=a,
        answers={"dynamics.challenge": ("low", "Observed at the June board")},
    )
    services.complete(by=gov["role_users"]["board_member"], assessment=a)
    a.refresh_from_db()
    assert a.is_completed
    spc = Answer.objects.get(assessment=a, question="data.spc")
    assert spc.evidence.startswith("From qualitas's records:")
    scores = scoring.dimension_scores(a)
    assert scores["priority"] == 2.0
    assert scores["data"] == pytest.approx((2 + 2 + 3) / 3)
    assert scores["dynamics"] == pytest.approx(1.5)
    with pytest.raises(ValidationError):
        services.save_answers(
            by=gov["role_users"]["board_member"], assessment=a, answers={}
        )


def test_levels_must_belong_to_the_framework(gov):
    a = _start(gov)
    with pytest.raises(ValidationError):
        services.save_answers(
            by=gov["role_users"]["board_member"],
            assessment=a,
            answers={"data.spc": ("embedded", "")},
        )


def test_who_may_assess(gov):
    for role in ("team_member", "analyst", "finance", "patient_partner"):
        with pytest.raises(PermissionDenied):
            services.start_assessment(
                by=gov["role_users"][role],
                organisation=gov["trust_a"],
                framework="maturity",
            )
    for role in ("board_member", "executive", "qi_lead", "administrator"):
        services.start_assessment(
            by=gov["role_users"][role],
            organisation=gov["trust_a"],
            framework="maturity",
        )


def test_maturity_is_for_the_board_and_capability_also_for_units(gov):
    with pytest.raises(ValidationError):
        _start(gov, "maturity", unit=gov["ward"])
    a = _start(gov, "capability", unit=gov["ward"])
    assert a.unit == gov["ward"]


def test_training_and_staff_numbers_feed_the_capability_proposal(gov):
    qi = gov["qi"]
    ward = gov["ward"]
    trust = gov["trust_a"]
    services.set_headcount(
        by=qi, organisation=trust, unit=ward, staff=40, as_of=dt.date(2024, 1, 1)
    )
    services.record_training(
        by=qi,
        organisation=trust,
        unit=ward,
        level="foundation",
        people=9,
        completed_on=dt.date(2024, 3, 1),
        course="QI foundations",
    )
    services.record_training(
        by=qi,
        organisation=trust,
        unit=ward,
        level="practitioner",
        people=4,
        completed_on=dt.date(2024, 5, 1),
    )
    services.record_training(
        by=qi,
        organisation=trust,
        level="awareness",
        people=200,
        completed_on=dt.date(2024, 5, 1),
    )
    e = proposals.Evidence(trust, ward, dt.date(2024, 7, 1))
    staff = proposals.c_staff(e)
    assert staff.level == "embedded"  # 13 of 40 = 32%
    assert "13 of 40 staff" in staff.reason
    # The organisation has no staff number: an honest 'emerging' with the reason.
    org = proposals.c_staff(proposals.Evidence(trust, None, dt.date(2024, 7, 1)))
    assert org.level == "emerging"
    assert "record the number of staff" in org.reason
    with pytest.raises(PermissionDenied):
        services.record_training(
            by=gov["role_users"]["board_member"],
            organisation=trust,
            level="board",
            people=3,
            completed_on=dt.date(2024, 5, 1),
        )


def test_board_training_makes_the_training_question_high(gov):
    from qualitas.web.meetings import services as meeting_services

    for role in ("board_member", "executive"):
        meeting_services.add_member(
            by=gov["qi"],
            committee=gov["board"],
            user=gov["role_users"][role],
            role="member",
        )
    services.record_training(
        by=gov["qi"],
        organisation=gov["trust_a"],
        level="board",
        people=2,
        completed_on=dt.date(2024, 2, 1),
    )
    e = proposals.Evidence(gov["trust_a"], None, dt.date(2024, 7, 1))
    assert proposals.m_board_training(e).level == "high"


def test_radar_draws_one_closed_shape_per_assessment():
    dims = [(d.key, d.name) for d in MATURITY.dimensions]
    spec = radar_spec(
        dims,
        [("2025", {k: 3 for k, _ in dims}), ("2024", {k: 1 for k, _ in dims})],
        levels=[(1, "Low"), (2, "Medium"), (3, "High")],
    )
    points = spec["layer"][-1]["data"]["values"]
    for label in ("2025", "2024"):
        shape = [p for p in points if p["assessment"] == label]
        assert len(shape) == 9  # eight dimensions and back to the first
        assert (shape[0]["x"], shape[0]["y"]) == (shape[-1]["x"], shape[-1]["y"])
    outer = next(p for p in points if p["assessment"] == "2025")
    assert outer["y"] == pytest.approx(1.0)  # High is the outer ring


def test_answering_and_completing_in_the_questionnaire_page(gov, client_for):
    client = client_for(gov["role_users"]["board_member"])
    started = client.post(
        reverse("assessments:start", args=["RAA"]), {"framework": "maturity"}
    )
    assert started.status_code == 302
    url = _questionnaire_after_job(client, started)
    page = client.get(url)
    assert b"qualitas proposes: High." in page.content
    data = {f"level-{q.key}": "medium" for q in MATURITY.questions}
    data.update({f"evidence-{q.key}": "Minutes, May 2024" for q in MATURITY.questions})
    data["complete"] = "1"
    done = client.post(url, data)
    assert done.status_code == 302
    org_page = client.get(reverse("assessments:organisation", args=["RAA"]))
    assert b'id="maturity-radar" data-chart="' in org_page.content
    assert b"2.0" in org_page.content


def _questionnaire_after_job(client, started) -> str:
    """Follow a start of an assessment through its background job: the job's page,
    the worker, then the job's link to the questionnaire."""
    job = Job.objects.get(kind="assessment_proposals")
    assert started["Location"] == reverse("jobs:detail", args=[job.pk])
    assert "Waiting to start" in _status(client, job)
    run_jobs()
    status = _status(client, job)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert f'href="{job.result_url}"' in status
    return job.result_url


def _status(client, job) -> str:
    return client.get(reverse("jobs:status", args=[job.pk])).content.decode()


def test_an_assessment_starts_in_the_background_with_progress_and_one_result(
    gov, client_for, monkeypatch
):
    client = client_for(gov["role_users"]["board_member"])
    seen: list[tuple[int, str]] = []
    real = proposals.propose

    def watched(assessment, progress=None):
        def report(fraction, step):
            progress(fraction, step)
            job = Job.objects.get(kind="assessment_proposals")
            seen.append((job.progress, job.step))

        return real(assessment, report)

    monkeypatch.setattr(proposals, "propose", watched)
    monkeypatch.setattr("qualitas.web.jobs.services.PROGRESS_EVERY", 0)
    started = client.post(
        reverse("assessments:start", args=["RAA"]), {"framework": "capability"}
    )
    assert not Assessment.objects.exists()  # nothing done in the request
    url = _questionnaire_after_job(client, started)
    assert client.get(url).status_code == 200
    assert Assessment.objects.get().framework == "capability"
    # The bar moved while the records were looked through.
    assert seen
    assert seen[-1][0] > seen[0][0]
    assert {step for _, step in seen} == {"Looking through the records"}
    # The same job run again (its worker stopped before it was marked done) makes
    # no second assessment.
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
    jobs_services.run(str(job.pk))
    assert Assessment.objects.count() == 1
    assert Job.objects.get().result_url == url


def test_an_assessment_whose_starter_lost_the_role_fails_with_the_reason(
    gov, client_for
):
    person = gov["role_users"]["board_member"]
    client = client_for(person)
    client.post(reverse("assessments:start", args=["RAA"]), {"framework": "maturity"})
    Membership.objects.filter(user=person).delete()
    MembershipFactory(user=person, organisation=gov["trust_a"], role="team_member")
    run_jobs()
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    assert "no longer have permission to assess Trust A" in job.message
    # Nor may they see the job now (it needed the role): the jobs' own rule.
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
    assert not Assessment.objects.exists()


def test_an_assessment_of_an_unknown_framework_is_refused_before_queueing(
    gov, client_for
):
    client = client_for(gov["role_users"]["board_member"])
    page = client.post(
        reverse("assessments:start", args=["RAA"]),
        {"framework": "astrology"},
        follow=True,
    )
    assert b"Choose a framework." in page.content
    assert not Job.objects.exists()


def test_a_questionnaire_with_gaps_says_what_is_missing(gov, client_for):
    client = client_for(gov["role_users"]["board_member"])
    a = _start(gov)
    page = client.post(
        reverse("assessments:assessment", args=[a.pk]),
        {"level-data.spc": "high", "complete": "1"},
    )
    assert page.status_code == 200
    assert b"The assessment is not complete yet" in page.content
    assert Answer.objects.get(assessment=a, question="data.spc").level == "high"


def test_capability_map_has_a_row_for_the_organisation_and_each_unit(gov, client_for):
    services.record_training(
        by=gov["qi"],
        organisation=gov["trust_a"],
        unit=gov["ward"],
        level="foundation",
        people=5,
        completed_on=dt.date.today() - dt.timedelta(days=30),
    )
    page = client_for(gov["role_users"]["team_member"]).get(
        reverse("assessments:capability", args=["RAA"])
    )
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [r["unit"] for r in rows] == [None, gov["ward"]]
    assert rows[1]["training"] == {"foundation": 5}
    assert len(rows[0]["cells"]) == 8


def test_training_page_records_for_qi_leads_only(gov, client_for):
    url = reverse("assessments:training", args=["RAA"])
    data = {
        "level": "foundation",
        "people": "12",
        "completed_on": "2025-01-20",
        "course": "QI foundations",
    }
    assert (
        client_for(gov["role_users"]["board_member"]).post(url, data).status_code == 403
    )
    assert client_for(gov["qi"]).post(url, data).status_code == 302
    page = client_for(gov["role_users"]["board_member"]).get(url)
    assert b"QI foundations" in page.content
