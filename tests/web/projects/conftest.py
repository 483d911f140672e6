"""A project in the web tests' world, with the personas project access is about.

Built on ``world`` (tests/web/conftest.py): a project at Trust A on Ward 5, aimed at
the falls measure. Personas:

- ``lead``: leads the project (a team member at Trust A by role);
- ``colleague``: a team member at Trust A who is not on the project (reads it);
- ``qi_lead``: Trust A's QI lead, not on the team (may change any project there);
- ``partner_summary`` / ``partner_read`` / ``partner_contribute``: patient partners on
  the project with those agreed accesses (their role alone lets them see no projects);
- ``patient_partner``: a patient partner at Trust A who is not on this project;
- ``sister``: a team member at Trust B in the same system;
- ``outsider``: an analyst at a trust in another system.
"""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def pworld(world):
    # Imported here: Django is set up by tests/web/conftest.py only once pytest starts.
    from django.utils import timezone

    from qualitas.web.projects.models import PDSACycle, ProjectMeasure
    from tests.web.factories import MembershipFactory
    from tests.web.projects import factories as pf

    w = world
    a = w["trust_a"]
    lead = MembershipFactory(organisation=a, role="team_member").user
    project = pf.ProjectFactory(
        title="Fewer falls on Ward 5",
        organisation=a,
        unit=w["ward"],
        aim_measure=w["measure"],
        aim_value=4.0,
        aim_by=dt.date(2025, 3, 1),
        started_on=dt.date(2024, 1, 1),
    )
    pf.TeamMemberFactory(project=project, user=lead, role="lead")
    partners = {}
    for access in ("summary", "read", "contribute"):
        user = MembershipFactory(organisation=a, role="patient_partner").user
        partners[access] = pf.PatientPartnerFactory(
            project=project, user=user, access=access, name=f"Partner {access}"
        )
    outcome = ProjectMeasure.objects.create(
        project=project,
        measure=w["measure"],
        role="outcome",
        organisation=a,
    )
    primary = pf.DriverFactory(project=project, kind="primary", text="Safe bedside")
    secondary = pf.DriverFactory(
        project=project, kind="secondary", parent=primary, text="Call bell in reach"
    )
    idea = pf.ChangeIdeaFactory(project=project, title="Bedside checklist")
    idea.drivers.set([secondary])
    untested = pf.ChangeIdeaFactory(project=project, title="Sensor alarms")
    planned = pf.CycleFactory(change_idea=idea, number=1)
    done = pf.CycleFactory(
        change_idea=idea,
        number=2,
        stage=PDSACycle.Stage.DONE,
        # Written the week before the test, as the Model for Improvement asks.
        prediction_recorded_at=timezone.make_aware(dt.datetime(2024, 2, 23, 10, 0)),
        started_on=dt.date(2024, 3, 1),
        ended_on=dt.date(2024, 3, 15),
        result="9 of 10",
        outcome="yes",
        learning="Night staff found the call bell out of reach.",
        decision="adopt",
        decision_reason="Works by day and night.",
        decided_on=dt.date(2024, 3, 16),
    )
    member = project.team.get(user=lead)
    entry = pf.InvolvementEntryFactory(project=project, partner=partners["contribute"])
    spread = pf.SpreadFactory(change_idea=idea, to_organisation=w["trust_b"])
    people = {
        "lead": lead,
        "colleague": w["role_users"]["team_member"],
        "qi_lead": w["role_users"]["qi_lead"],
        "board_member": w["role_users"]["board_member"],
        "patient_partner": w["role_users"]["patient_partner"],
        "partner_summary": partners["summary"].user,
        "partner_read": partners["read"].user,
        "partner_contribute": partners["contribute"].user,
        "sister": MembershipFactory(organisation=w["trust_b"], role="team_member").user,
        "sister_qi": MembershipFactory(organisation=w["trust_b"], role="qi_lead").user,
        "outsider": w["users"]["outsider"],
        "owner": w["users"]["owner"],
    }
    return {
        **w,
        "project": project,
        "people": people,
        "partners": partners,
        "outcome": outcome,
        "primary": primary,
        "secondary": secondary,
        "idea": idea,
        "untested": untested,
        "planned": planned,
        "done": done,
        "member": member,
        "entry": entry,
        "spread": spread,
    }
