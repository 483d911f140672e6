"""Board governance journeys in a real browser: prepare a meeting, write its narrative
and download the pack as PDF and PowerPoint; complete a QI-governance maturity
self-assessment; sign off a saving as finance, and be refused as anyone else."""

from __future__ import annotations

import io
import re

import pytest

from qualitas.web.assessments.models import Assessment
from qualitas.web.meetings.models import Meeting, ReportItem
from qualitas.web.value.models import BenefitClaim
from tests.browser.conftest import sign_in
from tests.reports.poppler import (
    ink_share,
    page_count,
    page_images,
    page_text,
    require_poppler,
)
from tests.web.test_jobs import run_jobs

pytestmark = pytest.mark.browser

TOLD = "Handovers over an hour are still special cause concern: the bay has not yet changed the process."
DOING = "Second rapid-assessment bay from January; handover data reviewed weekly with the ambulance service."


def _prepare_and_download(page, button: str):
    """Ask for the pack, leave, let the worker prepare it, come back and download it.

    The worker runs here, in the test's thread, while the browser is elsewhere: the
    test database lives in this process's memory, where SQLite's shared-cache locks
    refuse a reader while another thread writes. tests/browser/test_production.py
    runs the worker as its own process, watched through the progress bar."""
    meeting_url = page.url
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    job_url = page.url
    page.get_by_role("progressbar").wait_for()
    page.get_by_role("link", name="your background jobs", exact=True).click()
    page.get_by_role("heading", name="Your background jobs").wait_for()
    run_jobs()
    page.goto(job_url)
    page.get_by_text("Your file is ready.").wait_for()
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("link", name=re.compile("^Download ")).click()
    page.goto(meeting_url)
    return download.value


def test_prepare_a_meeting_write_narrative_and_export_the_pack(page, demo, tmp_path):
    require_poppler()
    sign_in(page, "qi-lead")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Meetings"
    ).click()
    page.get_by_role("link", name="Quality and Safety Committee").click()
    page.get_by_role("link", name="11 December 2025").click()
    page.get_by_role("heading", name="Meeting of 11 December 2025").wait_for()
    # The action log comes with the meeting before anything is frozen.
    assert page.get_by_text("Present the infection prevention review").is_visible()

    page.get_by_label("Data to").fill("2025-09")
    page.get_by_role("button", name="Freeze the report").click()
    page.get_by_text(
        re.compile("The report is frozen with data to September 2025")
    ).wait_for()
    meeting = Meeting.objects.get(date="2025-12-11")
    assert meeting.snapshot.rows

    page.get_by_role("link", name="Ambulance handovers over 60 minutes").click()
    page.get_by_role(
        "heading", name="Ambulance handovers over 60 minutes", level=1
    ).wait_for()
    page.locator("#spc-chart svg").first.wait_for()  # the frozen chart is drawn
    assert page.get_by_text("qualitas suggested this").is_visible()
    page.get_by_label("What the chart tells us").fill(TOLD)
    page.get_by_label("What we are doing").fill(DOING)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text(
        "The narrative for Ambulance handovers over 60 minutes has been saved."
    ).wait_for()
    item = ReportItem.objects.get(
        meeting=meeting, measure__code="ambulance-handovers-60"
    )
    assert (item.chart_tells_us, item.doing, item.prefilled) == (TOLD, DOING, False)
    row = page.locator("#measure-" + str(item.measure_id))
    assert "Written" in row.inner_text()

    pdf_download = _prepare_and_download(page, "Prepare the board pack (PDF)")
    pdf = tmp_path / "pack.pdf"
    pdf_download.save_as(pdf)
    assert (
        pdf_download.suggested_filename
        == "quality-and-safety-committee-2025-12-11-pack.pdf"
    )
    pages = page_count(pdf)
    n = len(meeting.snapshot.rows)
    assert pages >= 1 + 1 + n + 1  # cover, summary, a page per measure, actions
    text = "\n".join(page_text(pdf, p, layout=False) for p in range(1, pages + 1))
    flat = " ".join(text.split())
    assert " ".join(TOLD.split()) in flat
    assert " ".join(DOING.split()) in flat
    assert "Present the infection prevention review" in flat
    images = page_images(pdf, tmp_path, dpi=30)
    assert len(images) == pages
    assert all(ink_share(im) > 0.01 for im in images)

    pptx_download = _prepare_and_download(page, "Prepare as PowerPoint")
    from pptx import Presentation

    deck = Presentation(io.BytesIO(pptx_download.path().read_bytes()))
    slides = list(deck.slides)
    texts = [
        "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        for slide in slides
    ]
    mine = [
        t for t in texts if "Ambulance handovers over 60 minutes" in t and TOLD in t
    ]
    assert len(mine) == 1
    assert DOING in "\n".join(texts)
    assert sum(1 for t in texts if "latest period" in t) == n  # a slide per measure


def test_complete_a_maturity_self_assessment(page, demo):
    sign_in(page, "board")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Governance"
    ).click()
    page.get_by_role(
        "link", name="Bradford Teaching Hospitals NHS Foundation Trust", exact=True
    ).click()
    page.get_by_role("button", name="Start a maturity self-assessment").click()
    # qualitas gathers its proposals in the background: the job's page, then the
    # questionnaire once the worker has run it.
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    page.get_by_role("progressbar").wait_for()
    run_jobs()
    page.get_by_role("link", name="See the result").click()
    page.get_by_role("heading", name="QI-governance maturity", level=1).wait_for()
    questions = page.locator("fieldset.question")
    count = questions.count()
    assert count == 19
    assert page.get_by_text("qualitas proposes:").count() >= 5

    # Saving halfway keeps the answers.
    for i in range(count):
        q = questions.nth(i)
        q.locator("input[type=radio][value=medium]").check()
        q.get_by_label("Evidence").fill(f"Board papers, item {i + 1}")
    page.get_by_role("button", name="Save answers").click()
    page.get_by_text("Your answers have been saved.").wait_for()
    assert page.locator("input[type=radio][value=medium]:checked").count() == count

    page.locator("fieldset.question").first.locator(
        "input[type=radio][value=high]"
    ).check()
    page.get_by_role("button", name="Save and complete the assessment").click()
    page.get_by_text("The assessment is complete.").wait_for()
    latest = Assessment.objects.filter(framework="maturity").order_by("-id").first()
    assert latest.is_completed
    assert latest.completed_by.username == "board"
    # The radar of the latest assessments is drawn on the governance page.
    page.locator("#maturity-radar svg").first.wait_for()
    assert (
        page.locator("#maturity-radar")
        .get_by_text("Improvement as a board priority")
        .count()
        >= 1
    )


def _post_sign_off(page, claim_pk: int) -> int:
    """Post finance's form straight to the server, as a user could without the page."""
    return page.evaluate(
        """async (url) => {
            const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
            const body = new URLSearchParams({outcome: 'realised', amount: '99999', note: 'not mine'});
            const r = await fetch(url, {method: 'POST', body, headers: {'X-CSRFToken': token}, redirect: 'manual'});
            return r.status;
        }""",
        f"/value/claims/{claim_pk}/sign-off/",
    )


def test_sign_off_a_saving_as_finance_and_be_refused_as_anyone_else(page, demo):
    sign_in(page, "qi-lead")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Value"
    ).click()
    page.get_by_role(
        "link", name="Bradford Teaching Hospitals NHS Foundation Trust", exact=True
    ).click()
    page.get_by_role("link", name="Make a claim").click()
    page.get_by_label("Title").fill("Discharge lounge: escalation beds closed earlier")
    page.get_by_label("Cash-releasing").check()
    page.get_by_label("Light green estimate (£)").fill("52000")
    page.get_by_label("How the estimate was made").fill(
        "Stays shortened by 0.3 days on average across 4,300 discharges, at £395 a bed day."
    )
    page.get_by_label("The action that would make it real").fill(
        "Close the winter escalation ward two weeks early."
    )
    page.get_by_label("Owner").fill("Director of Operations")
    page.get_by_label("Budget line").fill("Escalation beds, medicine")
    page.get_by_role("button", name="Add to the ledger").click()
    page.get_by_text(re.compile("is in the ledger as light green")).wait_for()
    claim = BenefitClaim.objects.get(
        title="Discharge lounge: escalation beds closed earlier"
    )
    assert claim.status == "estimated"
    # The QI lead sees no sign-off form, and the server refuses their post.
    assert page.get_by_role("heading", name="Finance sign-off").count() == 0
    assert _post_sign_off(page, claim.pk) == 403

    for username in ("admin", "executive", "board"):
        page.context.clear_cookies()
        sign_in(page, username)
        page.goto(f"/value/claims/{claim.pk}/")
        assert page.get_by_role("heading", name="Finance sign-off").count() == 0
        assert _post_sign_off(page, claim.pk) == 403, username
    claim.refresh_from_db()
    assert claim.realised_amount is None

    page.context.clear_cookies()
    sign_in(page, "finance")
    page.goto(f"/value/claims/{claim.pk}/")
    page.get_by_role("heading", name="Finance sign-off").wait_for()
    page.get_by_label("Realised: the money is in the budget line (dark green)").check()
    page.get_by_label("Amount realised (£)").fill("47500")
    page.get_by_label("Evidence or reason").fill(
        "Escalation ward closed 14 March; budget 5120 reduced."
    )
    page.get_by_role("button", name="Record finance's decision").click()
    page.get_by_text(
        "Signed off: £47,500.00 realised. The claim is dark green."
    ).wait_for()
    assert page.get_by_text("Dark green: realised").first.is_visible()
    claim.refresh_from_db()
    assert claim.realised_amount == 47500
    assert claim.signed_off_by.username == "finance"
