"""Data that are late or out of date are flagged on the report, the measure page, a
frozen meeting report and the board pack."""

from __future__ import annotations

import datetime as dt
from html import unescape

from django.urls import reverse

from qualitas.web.board import report
from qualitas.web.meetings import services
from qualitas.web.meetings.snapshot import FrozenReport, FrozenRow

# The world's data run from January 2023 to December 2024.
LATE = "Data are 4 months late: last point December 2024"


def test_the_report_says_how_late_each_measure_is(world):
    rep = report.build(world["trust_a"], [world["measure"]], until=dt.date(2025, 6, 1))
    assert rep.rows[0].late == LATE
    in_time = report.build(
        world["trust_a"], [world["measure"]], until=dt.date(2025, 2, 1)
    )
    assert in_time.rows[0].late == ""


def test_the_live_report_and_measure_page_flag_out_of_date_data(world, client_for):
    client = client_for(world["users"]["member"])
    html = unescape(client.get(reverse("board:report", args=["RAA"])).content.decode())
    assert "late: last point December 2024" in html
    page = unescape(
        client.get(reverse("measures:chart", args=["falls", "RAA"])).content.decode()
    )
    assert "Out of date" in page
    assert "late: last point December 2024." in page


def test_a_frozen_report_and_its_pack_keep_the_lateness_at_the_data_cut(gov):
    from qualitas.web.meetings import pack

    late_meeting = services.schedule_meeting(
        by=gov["qi"],
        committee=gov["first"].committee,
        date=dt.date(2025, 6, 20),
        data_cut=dt.date(2025, 6, 1),
    )
    services.freeze_report(by=gov["qi"], meeting=late_meeting)
    frozen = FrozenReport(late_meeting.snapshot)
    assert frozen.rows[0].late == LATE
    built, _ = pack.build(late_meeting)
    assert LATE in built.measures[0].note
    # A meeting whose data cut is the latest month has nothing late.
    assert FrozenReport(gov["first"].snapshot).rows[0].late == ""


def test_reports_frozen_before_lateness_was_kept_still_read(gov):
    row = dict(gov["first"].snapshot.rows[0])
    row.pop("late", None)
    assert FrozenRow.from_json(row).late == ""
