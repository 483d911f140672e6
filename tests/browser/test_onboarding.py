"""A new trust, from the first-run command to its first integrated quality report,
using only the steps in docs/getting-started.md. The screenshots in that document
are taken by this test: set QUALITAS_SCREENSHOTS=docs/getting-started to renew them.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from qualitas.web.measures.models import Measure, Observation
from qualitas.web.organisations.models import Membership, Organisation

pytestmark = pytest.mark.browser

PASSWORD = "Bradford-Board-Report-2026"
MEASURES = (
    "ae-4-hour",
    "falls-per-1000-bed-days",
    "c-difficile",
    "staff-sickness",
    "rtt-18-weeks",
)
PEOPLE = """name,email,organisation,role
Margaret Holroyd,margaret.holroyd@nhs.net,RAE,Board member
David Okafor,david.okafor@nhs.net,RAE,Executive
Priya Shah,priya.shah@nhs.net,RAE,Quality improvement lead
Tom Brierley,tom.brierley@nhs.net,RAE,Team member
Aisha Rahman,aisha.rahman@nhs.net,RAE,Analyst
Jean Pickles,jean.pickles@nhs.net,RAE,Patient partner
Gareth Lloyd,gareth.lloyd@nhs.net,RAE,Finance
Helen Mistry,helen.mistry@nhs.net,RAE,Team member
Imran Ali,imran.ali@nhs.net,RAE,Analyst
Ruth Barker,ruth.barker@nhs.net,RAE,Executive
"""


def three_years_of_data() -> str:
    """36 months of the five measures at the trust, in the long layout: one row per
    measure and month (numerator and denominator, or a count as the value)."""
    rng = np.random.default_rng(17)
    lines = ["measure,organisation,period,value,numerator,denominator"]
    # The three years to last month, so the report shows them as up to date.
    today = dt.date.today()
    last = today.year * 12 + today.month - 2  # last month, counted from year 0
    months = [
        dt.date((last - k) // 12, (last - k) % 12 + 1, 1) for k in range(35, -1, -1)
    ]
    for i, month in enumerate(months):
        period = month.strftime("%Y-%m")
        attendances = int(rng.normal(9000, 300))
        seen = int(attendances * min(0.99, rng.normal(0.74 + 0.002 * i, 0.015)))
        lines.append(f"ae-4-hour,RAE,{period},,{seen},{attendances}")
        bed_days = int(rng.normal(21000, 500))
        lines.append(
            f"falls-per-1000-bed-days,RAE,{period},,{rng.poisson(120)},{bed_days}"
        )
        lines.append(f"c-difficile,RAE,{period},{rng.poisson(4)},,")
        fte_days = int(rng.normal(150000, 2000))
        lost = int(fte_days * rng.normal(0.052, 0.003))
        lines.append(f"staff-sickness,RAE,{period},,{lost},{fte_days}")
        waiting = int(rng.normal(52000, 800))
        within = int(waiting * rng.normal(0.58, 0.01))
        lines.append(f"rtt-18-weeks,RAE,{period},,{within},{waiting}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("QUALITAS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, at=None) -> None:
        if at is not None:  # the part the document talks about, at the top
            at.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(folder / f"{name}.png"), full_page=False)

    return take


def test_a_new_trust_reaches_its_first_integrated_report(
    page, transactional_db, monkeypatch, tmp_path, shots
):
    # Step 2 of docs/getting-started.md (the test database already has its tables,
    # so only the migration is left out).
    monkeypatch.setenv("QUALITAS_ADMIN_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command(
        "setup",
        "--skip-migrate",
        "--no-input",
        "--organisation",
        "RAE",
        "--admin-username",
        "sam",
        "--admin-email",
        "sam.ellis@nhs.net",
        "--admin-first-name",
        "Sam",
        "--admin-last-name",
        "Ellis",
        stdout=out,
    )
    assert "Added NHS West Yorkshire Integrated Care Board (QWO)" in out.getvalue()
    trust = Organisation.objects.get(ods_code="RAE")
    assert trust.parent.ods_code == "QWO"

    # Step 3: sign in; the home page lists the first steps.
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Getting started").wait_for()
    shots(page, "1-home", page.get_by_role("heading", name="Getting started"))

    # Step 4: adopt five measures from the library.
    page.get_by_role("link", name="Adopt measures from the NHS measure library").click()
    page.get_by_role("heading", name="Measure library", level=1).wait_for()
    for code in MEASURES:
        page.locator(f"#adopt-{code}").check()
    shots(page, "2-library")
    page.get_by_role(
        "button", name="Adopt the chosen measures for Bradford Teaching Hospitals"
    ).click()
    page.get_by_text("5 measures added to the register").wait_for()
    assert set(
        Measure.objects.filter(organisation=trust).values_list("code", flat=True)
    ) == set(MEASURES)

    # Step 5: invite ten colleagues from a CSV file.
    page.goto("/")
    page.get_by_role("link", name="Invite people from a CSV file").click()
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    page.get_by_label("CSV file of people").set_input_files(str(people))
    page.get_by_role("button", name="Import and invite").click()
    page.get_by_role("heading", name="10 people imported").wait_for()
    shots(page, "3-people", page.get_by_role("heading", name="10 people imported"))
    assert Membership.objects.filter(organisation=trust).count() == 11

    # Step 6: upload three years of data.
    page.goto("/")
    page.get_by_role("link", name="Upload your data").click()
    data = tmp_path / "rae-measures.csv"
    data.write_text(three_years_of_data())
    page.get_by_label("The data are for").select_option("RAE")
    page.get_by_label("CSV or Excel file").set_input_files(str(data))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("heading", name="Check and apply").wait_for()
    assert page.get_by_text("180 rows, all correct.").is_visible()
    shots(page, "4-upload")
    page.get_by_role("button", name="Apply 180 rows").click()
    page.get_by_text("Done: 180 new values added.").wait_for()
    assert Observation.objects.filter(organisation=trust).count() == 180

    # Step 7: the integrated quality report.
    page.goto("/")
    page.get_by_role(
        "link",
        name="Integrated quality report for Bradford Teaching Hospitals NHS Foundation Trust",
    ).click()
    page.get_by_role("heading", name="Integrated quality report").first.wait_for()
    report = page.locator("table.report").inner_text()
    for name in (
        "A&E 4-hour performance (type 1)",
        "Inpatient falls per 1,000 bed days",
        "C. difficile infections (hospital-onset)",
        "Staff sickness absence",
        "Referral to treatment within 18 weeks",
    ):
        assert name in report, name
    shots(page, "5-report", page.locator("table.report"))
    # Every first step is now done.
    page.goto("/")
    assert page.locator(".getting-started s").count() == 3
