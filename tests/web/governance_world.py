"""The governance world for the issue 6 tests: Trust A's board and its quality
committee, two meetings of the committee (the first frozen, with a decision and an
action), on top of the ``world`` fixture of conftest.py.

Import the fixture into a test module: ``from tests.web.governance_world import gov``.
"""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def gov(world):
    from qualitas.web.meetings import services

    w = world
    qi = w["role_users"]["qi_lead"]
    board = services.create_committee(
        by=qi, organisation=w["trust_a"], name="Trust Board", kind="board"
    )
    committee = services.create_committee(
        by=qi,
        organisation=w["trust_a"],
        name="Quality and Safety Committee",
        kind="committee",
        reports_to=board,
        measures_committee="Quality and Safety Committee",
    )
    first = services.schedule_meeting(
        by=qi,
        committee=committee,
        date=dt.date(2024, 7, 10),
        data_cut=dt.date(2024, 6, 1),
    )
    services.freeze_report(by=qi, meeting=first)
    decision = services.record_decision(
        by=qi,
        meeting=first,
        text="Ask the Chief Nurse for a falls deep dive",
        measure=w["measure"],
    )
    action = services.add_action(
        by=qi,
        meeting=first,
        text="Present the falls deep dive",
        owner="Chief Nurse",
        due=dt.date(2024, 9, 30),
        measure=w["measure"],
        decision=decision,
    )
    second = services.schedule_meeting(
        by=qi,
        committee=committee,
        date=dt.date(2024, 10, 9),
        data_cut=dt.date(2024, 9, 1),
    )
    return {
        **w,
        "board": board,
        "committee": committee,
        "first": first,
        "second": second,
        "decision": decision,
        "action": action,
        "qi": qi,
    }
