"""Demonstration improvement projects at different stages, linked to the demo measures.

Everything goes through the services, as a team would do it, so the audit log and the
stalled flags read as in real use. The stories follow the generated data: the falls
bundle on Ward 5 (a shift down from May 2024), sepsis screening in the emergency
department (a shift up from September 2024), the rising pressure ulcers on Ward 9
(January 2025), missed appointments in the most deprived areas (October 2024).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from qualitas.web.measures import services as measure_services
from qualitas.web.measures.models import Measure
from qualitas.web.organisations.models import Organisation, Unit
from qualitas.web.projects import services as s
from qualitas.web.projects.models import PDSACycle, Project, Spread

D = dt.date


def _m(code: str) -> Measure:
    return Measure.objects.get(code=code)


def _cycle(
    by: Any,
    idea,
    *,
    title: str,
    question: str,
    prediction: str,
    start: dt.date,
    days: int = 14,
    happened: str = "",
    result: str = "",
    outcome: str = "",
    learning: str = "",
    decision: str = "",
    why: str = "",
    stage: str = "done",
    previous: PDSACycle | None = None,
    tasks: str = "",
    data_plan: str = "",
    measures=(),
) -> PDSACycle:
    """A cycle taken as far as ``stage``, with the prediction recorded before it began."""
    end = start + dt.timedelta(days=days)
    cycle = s.plan_cycle(
        by=by,
        idea=idea,
        previous=previous,
        measures=list(measures),
        title=title,
        question=question,
        prediction=prediction,
        tasks=tasks,
        data_plan=data_plan,
        planned_start=start,
        planned_end=end,
        owner=by,
    )
    written = timezone.make_aware(
        dt.datetime.combine(start - dt.timedelta(days=3), dt.time(10, 30))
    )
    PDSACycle.objects.filter(pk=cycle.pk).update(prediction_recorded_at=written)
    if stage == "plan":
        return cycle
    s.start_cycle(by=by, cycle=cycle, started_on=start)
    if happened:
        s.record_do(
            by=by,
            cycle=cycle,
            what_happened=happened,
            as_planned=outcome != "no",
            ended_on=end if stage != "do" else None,
        )
    if stage == "do":
        return cycle
    s.record_study(
        by=by,
        cycle=cycle,
        result=result,
        outcome=outcome,
        learning=learning,
        ended_on=end,
    )
    if stage == "study":
        return cycle
    s.record_act(
        by=by,
        cycle=cycle,
        decision=decision,
        decision_reason=why,
        decided_on=end + dt.timedelta(days=2),
    )
    cycle.refresh_from_db()
    return cycle


def _drivers(by: Any, project: Project, tree: list[tuple[str, list[str]]]) -> dict:
    nodes = {}
    for primary, secondaries in tree:
        p = s.add_driver(by=by, project=project, text=primary)
        nodes[primary] = p
        for text in secondaries:
            nodes[text] = s.add_driver(by=by, project=project, text=text, parent=p)
    return nodes


def _scores(by: Any, project: Project, scores: list[tuple[str, dt.date, str]]) -> None:
    for score, when, note in scores:
        s.record_progress(
            by=by, project=project, score=Decimal(score), assessed_on=when, note=note
        )


def _activity(project: Project, days_ago: int) -> None:
    when = timezone.now() - dt.timedelta(days=days_ago)
    Project.objects.filter(pk=project.pk).update(last_activity_at=when)


def build(users: dict[str, Any], say: Callable[[str], None] = print) -> None:
    orgs = {o.ods_code: o for o in Organisation.objects.all()}
    rae = orgs["RAE"]
    units = {u.name: u for u in Unit.objects.filter(organisation=rae)}
    qi, team, exe, partner = (
        users["qi-lead"],
        users["team"],
        users["executive"],
        users["patient-partner"],
    )
    made = [
        _falls(qi, team, exe, partner, rae, units, users),
        _sepsis(qi, team, exe, rae, units),
        _discharge(qi, team, exe, rae, units),
        _pressure_ulcers(qi, team, rae, units),
        _outpatients(qi, exe, partner, rae),
    ]
    made.append(_calderdale(users["admin"], qi, orgs["RWY"], made[0]))
    for p in made:
        p.refresh_from_db()
    say(
        f"  {len(made)} improvement projects: "
        + "; ".join(f"{p.title} ({p.get_status_display().lower()})" for p in made)
    )


def _falls(qi, team, exe, partner, rae, units, users) -> Project:
    ward5 = units["Ward 5 (elderly care)"]
    p = s.create_project(
        by=team,
        organisation=rae,
        unit=ward5,
        title="Fewer falls on Ward 5",
        problem=(
            "Ward 5 cares for frail older people and had the most inpatient falls in the "
            "trust: about ten per 1,000 bed days in 2023, most at night and on the way "
            "to the toilet. Three falls caused a hip fracture."
        ),
        aim_what="Reduce inpatient falls on Ward 5",
        aim_measure=_m("falls-per-1000-bed-days"),
        aim_value=7.0,
        aim_by=D(2025, 3, 1),
        priority="Safe care",
        started_on=D(2024, 1, 8),
        sharing=Project.Sharing.SYSTEM,
    )
    s.set_team_member(by=team, project=p, user=exe, role="sponsor")
    s.set_team_member(by=team, project=p, user=qi, role="coach")
    jean = s.save_partner(
        by=team,
        project=p,
        user=partner,
        name="Jean Pickles",
        kind="carer",
        agreed_role=(
            "Cared for her husband after his fall on the ward. Reviews the patient and "
            "family information, joins the monthly project meeting and tests changes "
            "from a family's point of view."
        ),
        support="Induction to QI methods; travel and parking paid; meetings at 2pm to fit caring.",
        access="contribute",
        joined_on=D(2024, 1, 22),
    )
    # A process measure of the team's own, defined in the register and entered monthly.
    compliance = measure_services.create_measure(
        by=qi,
        organisation=rae,
        code="ward-5-falls-bundle",
        name="Falls bundle completed within 24 hours (Ward 5)",
        description="Whether every part of the falls bundle is in place for each new patient on Ward 5.",
        operational_definition=(
            "Audit of 20 patients a month admitted to Ward 5: the bundle counts as done when "
            "lying and standing blood pressure, footwear, call bell and the bedside checklist "
            "are all recorded within 24 hours of admission."
        ),
        numerator="Patients with the whole bundle done",
        denominator="Patients audited",
        domain="safe",
        measure_type="process",
        unit="%",
        multiplier=100.0,
        decimals=0,
        direction="increase",
        aggregation="ratio",
        owner="Ward 5 manager",
        committee="Quality and Safety Committee",
        data_source="Monthly ward audit by the falls link nurse (generated for the demonstration).",
        is_synthetic=True,
        collection_burden="high",
    )
    done = [
        4,
        5,
        4,
        9,
        12,
        15,
        16,
        17,
        18,
        17,
        18,
        19,
        18,
        18,
        19,
        17,
        19,
        18,
        19,
        18,
        19,
    ]
    for i, count in enumerate(done):
        period = D(2024 + (i // 12), i % 12 + 1, 1)
        measure_services.enter_value(
            by=team,
            measure=compliance,
            organisation=rae,
            unit=ward5,
            period=period,
            numerator=float(count),
            denominator=20.0,
        )
    s.link_measure(
        by=team,
        project=p,
        measure=compliance,
        role="process",
        unit=ward5,
        note="Is the bundle happening for every patient?",
    )
    s.link_measure(
        by=team,
        project=p,
        measure=_m("falls-with-harm"),
        role="outcome",
        note="Falls that hurt someone, trust-wide.",
    )
    s.link_measure(
        by=team,
        project=p,
        measure=_m("pressure-ulcers"),
        role="balancing",
        unit=ward5,
        note="Keeping people in bed to stop falls can cause pressure damage.",
    )
    # The trust's falls have years of monthly figures: enough for a baseline.
    s.choose_chart(
        by=team,
        link=p.project_measures.get(measure=_m("falls-per-1000-bed-days")),
        chart="control",
        reason="Two years of monthly figures before the project: a baseline for "
        "control limits, so a change shows as special cause.",
    )
    n = _drivers(
        team,
        p,
        [
            (
                "A safe environment at the bedside",
                ["Call bell and belongings in reach", "Safe footwear"],
            ),
            (
                "Patients at risk are known to everyone",
                [
                    "Falls risk assessed within 6 hours",
                    "Lying and standing blood pressure",
                ],
            ),
            (
                "Staff notice and act together",
                ["Safety huddle at each handover", "Learning from every fall"],
            ),
        ],
    )
    checklist = s.add_change_idea(
        by=team,
        project=p,
        title="Bedside safety checklist at every intentional rounding",
        description="A laminated checklist on each bed: call bell, glasses, drink, footwear, clear path to the toilet.",
        drivers=[n["Call bell and belongings in reach"], n["Safe footwear"]],
    )
    bp = s.add_change_idea(
        by=team,
        project=p,
        title="Lying and standing blood pressure on admission",
        drivers=[n["Lying and standing blood pressure"]],
    )
    alarms = s.add_change_idea(
        by=team,
        project=p,
        title="Bed and chair sensor alarms for patients at high risk",
        description="Pressure-sensitive pads that alert the nurse station when a patient at high risk stands up.",
        drivers=[n["Staff notice and act together"]],
    )
    huddle = s.add_change_idea(
        by=team,
        project=p,
        title="Two-minute falls huddle at handover",
        drivers=[
            n["Safety huddle at each handover"],
            n["Falls risk assessed within 6 hours"],
        ],
    )
    falls_link = p.project_measures.get(measure__code="falls-per-1000-bed-days")
    c1 = _cycle(
        team,
        checklist,
        title="Checklist in bay 1 for one week, day shift",
        question="Will nurses use the checklist at each two-hourly rounding?",
        prediction="At least 8 of 10 roundings in bay 1 will have the checklist completed, and it will take under a minute.",
        tasks="Sister Khan briefs the day team on Monday; checklists on the six beds of bay 1.",
        data_plan="Falls link nurse checks 10 random roundings each day and times three.",
        start=D(2024, 2, 5),
        days=7,
        happened="Used at most roundings by day. Two bank staff had not been briefed.",
        result="7 of 10 roundings on average; under a minute each. Patients liked it.",
        outcome="partly",
        learning="Briefing must reach bank staff; the checklist works by day.",
        decision="adapt",
        why="Add the checklist to the bank staff induction sheet and test on nights too.",
        measures=[falls_link],
    )
    _cycle(
        team,
        checklist,
        title="Checklist on all bays, day and night, with bank staff briefed",
        question="Does the checklist keep up at night and with bank staff?",
        prediction="9 of 10 roundings done by day and 8 of 10 at night; no falls in bay 1 in the two weeks.",
        start=D(2024, 3, 4),
        days=14,
        happened="Used by day and night; the induction sheet reached every bank nurse.",
        result="9 of 10 by day, 9 of 10 at night. One fall, not in bay 1.",
        outcome="yes",
        learning="Nights did better than predicted: fewer interruptions than by day.",
        decision="adopt",
        why="Part of rounding on Ward 5 from April 2024; offered to Ward 21.",
        previous=c1,
        measures=[falls_link],
    )
    _cycle(
        team,
        bp,
        title="Lying and standing BP for every admission for two weeks",
        question="Can lying and standing blood pressure be done for every new patient within 6 hours?",
        prediction="At least 80% of admissions will have it within 6 hours; we will find postural drops in about 1 in 5.",
        start=D(2024, 4, 1),
        happened="Done for most admissions; hard for patients arriving after 10pm.",
        result="84% within 6 hours; postural drop in 11 of 46 patients (24%), who had medicines reviewed.",
        outcome="yes",
        decision="adopt",
        why="Added to the admission paperwork; the night team does it at the first morning observations.",
    )
    _cycle(
        team,
        alarms,
        title="Sensor pads for the four patients at highest risk",
        question="Do sensor alarms help nurses reach patients at high risk before they fall?",
        prediction="Nurses will reach the patient within 60 seconds of an alarm in 9 of 10 cases, and there will be no falls among these patients.",
        start=D(2024, 4, 15),
        happened="Alarms sounded 140 times in a week, mostly when patients shifted in bed.",
        result="Nurses reached the patient within 60 seconds only 4 times in 10; one fall happened while the alarm was sounding in another bay.",
        outcome="no",
        learning="False alarms teach staff to ignore alarms. Patients with delirium were frightened by the sound.",
        decision="abandon",
        why=(
            "Alarm fatigue: too many false alarms, so staff stopped responding quickly, and the "
            "noise distressed patients with delirium. Cohorting patients at high risk in a bay "
            "with a nurse present worked better."
        ),
    )
    _cycle(
        team,
        huddle,
        title="Falls huddle at the 7am and 7pm handovers",
        question="Will a two-minute huddle name every patient at high risk at each handover?",
        prediction="Every patient at high risk will be named at 9 of 10 handovers, and huddles will last under three minutes.",
        start=D(2024, 5, 6),
        happened="Huddles ran at every handover; two ran long when the ward was busy.",
        result="High-risk patients named at 10 of 10 handovers; median 2.5 minutes.",
        outcome="yes",
        decision="adopt",
        why="Part of handover on Ward 5 since May 2024.",
    )
    for on, said, did in [
        (
            D(2024, 2, 12),
            "The non-slip socks are uncomfortable and patients take them off.",
            "Bought two sizes of socks, and families are asked to bring slippers with a back.",
        ),
        (
            D(2024, 3, 18),
            "Families do not know what the falls plan is for their relative.",
            "The falls plan is now on the bedside board, and nurses explain it at the first visit.",
        ),
        (
            D(2024, 6, 10),
            "The sensor alarms frightened my husband at night.",
            "The sensor alarms were stopped; patients at high risk are cared for together in a bay with a nurse present.",
        ),
        (
            D(2025, 5, 19),
            "The falls leaflet is hard to read for people whose first language is not English.",
            "",
        ),
    ]:
        s.log_involvement(
            by=team, project=p, partner=jean, on=on, you_said=said, we_did=did
        )
    _scores(
        team,
        p,
        [
            ("1.0", D(2024, 1, 22), "Charter agreed with the sponsor; team in place."),
            (
                "2.0",
                D(2024, 2, 26),
                "Baseline of two years of falls data; first tests.",
            ),
            ("3.0", D(2024, 5, 20), "Checklist and lying and standing BP adopted."),
            ("4.0", D(2024, 12, 16), "Falls below the aim for six months."),
            (
                "4.5",
                D(2025, 7, 14),
                "Sustained for over a year; bundle part of induction.",
            ),
        ],
    )
    s.update_project(by=team, project=p, status=Project.Status.SUSTAINING)
    ward21 = Unit.objects.get(organisation=rae, name="Ward 21 (orthopaedics)")
    spread = s.spread_idea(
        by=team,
        idea=checklist,
        to_organisation=rae,
        to_unit=ward21,
        note="Worked on Ward 5 by day and night once bank staff were briefed.",
    )
    s.update_spread(by=qi, spread=spread, status=Spread.Status.ADOPTED)
    Spread.objects.filter(pk=spread.pk).update(
        offered_on=D(2024, 4, 22), adopted_on=D(2024, 7, 1)
    )
    _activity(p, 6)
    return p


def _sepsis(qi, team, exe, rae, units) -> Project:
    ed = units["Emergency department"]
    p = s.create_project(
        by=qi,
        organisation=rae,
        unit=ed,
        title="Sepsis: antibiotics within the hour",
        problem=(
            "About one in five patients with red-flag sepsis waited more than an hour for "
            "antibiotics. Screening happened late, after triage, and antibiotics were kept "
            "in a locked cupboard away from resus."
        ),
        aim_what="Give antibiotics within an hour to patients with red-flag sepsis",
        aim_measure=_m("sepsis-antibiotics"),
        aim_value=85.0,
        aim_by=D(2025, 3, 1),
        priority="Effective care",
        started_on=D(2024, 6, 3),
    )
    s.set_team_member(by=qi, project=p, user=exe, role="sponsor")
    s.set_team_member(by=qi, project=p, user=team, role="member")
    s.link_measure(
        by=qi,
        project=p,
        measure=_m("ambulance-handovers-60"),
        role="balancing",
        note="Screening at the front door must not hold up ambulance handovers.",
    )
    n = _drivers(
        qi,
        p,
        [
            (
                "Sepsis is recognised early",
                ["Screening at triage", "Escalation to a senior doctor"],
            ),
            (
                "Antibiotics are at hand",
                ["Antibiotics stocked in resus", "Prescribing without delay"],
            ),
        ],
    )
    prompt = s.add_change_idea(
        by=qi,
        project=p,
        title="Electronic sepsis screening prompt at triage",
        drivers=[n["Screening at triage"]],
    )
    bags = s.add_change_idea(
        by=qi,
        project=p,
        title="Sepsis grab bags with first-dose antibiotics in resus",
        drivers=[n["Antibiotics stocked in resus"]],
    )
    s.add_change_idea(
        by=qi,
        project=p,
        title="Patient group direction for nurses to give the first dose",
        drivers=[n["Prescribing without delay"]],
    )
    c1 = _cycle(
        qi,
        prompt,
        title="Paper screening prompt on the triage desk for one week",
        question="Will triage nurses screen every adult with a NEWS2 of 5 or more?",
        prediction="9 of 10 eligible adults screened at triage; under two minutes per patient.",
        start=D(2024, 7, 1),
        days=7,
        happened="Prompt used on day shifts; missed at night when triage was busy.",
        result="6 of 10 screened. Screening took about a minute.",
        outcome="no",
        learning="A paper prompt is easy to miss at busy times; it needs to be in the record.",
        decision="adapt",
        why="Build the prompt into the electronic triage form so it appears by itself.",
    )
    _cycle(
        qi,
        prompt,
        title="Electronic prompt in the triage form",
        question="Does a prompt in the electronic form get every eligible adult screened?",
        prediction="At least 9 of 10 screened, day and night, and antibiotics within the hour for 85% of red-flag patients.",
        start=D(2024, 9, 2),
        days=21,
        happened="Prompt live from 2 September; it fires by itself when NEWS2 is 5 or more.",
        result="95% screened; 88% of red-flag patients had antibiotics within the hour.",
        outcome="yes",
        decision="adopt",
        why="The prompt stays in the triage form; rolled out to the wards' electronic observations too.",
        previous=c1,
    )
    _cycle(
        qi,
        bags,
        title="Two grab bags in resus for a month",
        question="Do grab bags cut the time from decision to first dose?",
        prediction="Median time from decision to first dose will fall from 25 to under 10 minutes.",
        start=D(2025, 6, 2),
        days=28,
        happened="Bags restocked daily by the night nurse in charge; one bag went missing for two days.",
        stage="do",
    )
    _scores(
        qi,
        p,
        [
            ("1.5", D(2024, 6, 17), "Team and charter; planning the first tests."),
            ("2.5", D(2024, 8, 5), "First test of the screening prompt."),
            ("3.5", D(2025, 1, 13), "Special cause improvement since September."),
        ],
    )
    _activity(p, 12)
    return p


def _discharge(qi, team, exe, rae, units) -> Project:
    ward9 = units["Ward 9 (respiratory)"]
    p = s.create_project(
        by=team,
        organisation=rae,
        unit=ward9,
        title="Home before noon",
        problem=(
            "Most discharges from Ward 9 happen after 4pm, so beds for patients waiting "
            "in the emergency department are freed late in the day. Medicines to take "
            "home and transport are the usual waits."
        ),
        aim_what="Shorten the average length of stay on the respiratory pathway",
        aim_measure=_m("length-of-stay"),
        aim_value=3.8,
        aim_by=D(2026, 12, 1),
        priority="Timely care and flow",
        started_on=D(2025, 1, 6),
    )
    s.set_team_member(by=team, project=p, user=exe, role="sponsor")
    s.set_team_member(by=team, project=p, user=qi, role="coach")
    s.link_measure(
        by=team,
        project=p,
        measure=_m("readmissions-30-day"),
        role="balancing",
        note="Earlier discharge must not send people back.",
    )
    n = _drivers(
        team,
        p,
        [
            (
                "Discharge is planned from admission",
                ["Expected date of discharge set on day 1"],
            ),
            (
                "Medicines and transport are ready",
                ["Medicines to take home prepared the day before"],
            ),
        ],
    )
    lounge = s.add_change_idea(
        by=team,
        project=p,
        title="Discharge lounge open from 10am",
        drivers=[n["Medicines and transport are ready"]],
    )
    ttos = s.add_change_idea(
        by=team,
        project=p,
        title="Pharmacy prepares medicines to take home the evening before",
        drivers=[n["Medicines to take home prepared the day before"]],
    )
    s.add_change_idea(
        by=team,
        project=p,
        title="Nurse-led discharge against criteria agreed on the ward round",
        drivers=[n["Expected date of discharge set on day 1"]],
    )
    _cycle(
        team,
        lounge,
        title="Move patients waiting for transport to the lounge by 10am",
        question="Does the lounge free beds before noon?",
        prediction="4 of the ward's daily discharges will leave the ward before noon, up from 1.",
        start=D(2025, 2, 3),
        happened="The lounge opened at 10am, but patients still waited for medicines on the ward.",
        result="Only 2 a day left before noon; medicines, not transport, held most people.",
        outcome="partly",
        learning="The wait for medicines comes first; the lounge helps only once medicines are ready.",
        decision="adapt",
        why="Test preparing medicines the evening before, then try the lounge again.",
    )
    _cycle(
        team,
        ttos,
        title="Medicines prepared the evening before for planned discharges",
        question="Can pharmacy have medicines ready by 9am for patients going home the next day?",
        prediction="8 of 10 planned discharges will have medicines ready by 9am.",
        start=D(2025, 3, 10),
        stage="plan",
    )
    _scores(team, p, [("2.0", D(2025, 3, 3), "Baseline and a first test.")])
    # Nothing recorded since: the portfolio flags the project as stalled.
    _activity(p, 80)
    return p


def _pressure_ulcers(qi, team, rae, units) -> Project:
    ward9 = units["Ward 9 (respiratory)"]
    p = s.create_project(
        by=qi,
        organisation=rae,
        unit=ward9,
        title="Pressure ulcer prevention on Ward 9",
        problem=(
            "Hospital-acquired pressure ulcers on Ward 9 have risen since January 2025, "
            "while the tissue viability nurse post has been vacant."
        ),
        aim_what="Halve hospital-acquired pressure ulcers on Ward 9",
        aim_measure=_m("pressure-ulcers"),
        aim_value=0.9,
        aim_by=D(2027, 3, 1),
        priority="Safe care",
        started_on=D(2026, 10, 5),
    )
    s.set_team_member(by=qi, project=p, user=team, role="member")
    n = _drivers(
        qi,
        p,
        [("Skin is checked and protected", ["Skin inspection at every rounding"])],
    )
    s.add_change_idea(
        by=qi,
        project=p,
        title="SSKIN bundle stickers in the nursing notes",
        drivers=[n["Skin inspection at every rounding"]],
    )
    _scores(qi, p, [("1.0", D(2026, 10, 12), "Team formed; charter agreed.")])
    _activity(p, 20)
    return p


def _outpatients(qi, exe, partner, rae) -> Project:
    p = s.create_project(
        by=qi,
        organisation=rae,
        title="Fewer missed outpatient appointments",
        problem=(
            "Patients from the most deprived areas missed more than twice as many "
            "outpatient appointments as others, so their care was delayed."
        ),
        aim_what="Reduce missed outpatient appointments, especially for people in the most deprived areas",
        aim_measure=_m("outpatient-dna"),
        aim_value=7.5,
        aim_by=D(2025, 6, 1),
        priority="Reducing health inequalities",
        started_on=D(2024, 8, 5),
        method=Project.Method.EXPERIENCE_BASED_CO_DESIGN,
    )
    s.set_team_member(by=qi, project=p, user=exe, role="sponsor")
    s.save_partner(
        by=qi,
        project=p,
        name="Manningham residents' group",
        kind="public",
        agreed_role="Told the team why appointments were missed and co-designed the reminder texts.",
        support="Two workshops at the community centre, with refreshments and vouchers.",
        access="summary",
        joined_on=D(2024, 8, 20),
    )
    s.link_measure(
        by=qi,
        project=p,
        measure=_m("fft-inpatient"),
        role="balancing",
        note="Extra calls should not make patients feel chased.",
    )
    n = _drivers(
        qi,
        p,
        [
            (
                "Patients know and can make the appointment",
                ["Reminders people read", "Easy rebooking"],
            ),
        ],
    )
    text = s.add_change_idea(
        by=qi,
        project=p,
        title="Text reminder with a link to rebook",
        drivers=[n["Reminders people read"], n["Easy rebooking"]],
    )
    call = s.add_change_idea(
        by=qi,
        project=p,
        title="A call from the booking team for patients in the most deprived areas",
        drivers=[n["Reminders people read"]],
    )
    letters = s.add_change_idea(
        by=qi,
        project=p,
        title="Large-print reminder letters",
        drivers=[n["Reminders people read"]],
    )
    _cycle(
        qi,
        text,
        title="Text reminders for the respiratory clinic",
        question="Do texts with a rebooking link cut missed appointments?",
        prediction="Missed appointments in the clinic will fall from 9% to 6%.",
        start=D(2024, 10, 1),
        days=28,
        happened="Texts sent 7 and 2 days before; 40 patients rebooked by the link.",
        result="Missed appointments fell to 6.5%.",
        outcome="yes",
        decision="adopt",
        why="Rolled out to all clinics from November 2024.",
    )
    _cycle(
        qi,
        call,
        title="Calls to patients in the most deprived quintile",
        question="Does a personal call reach the patients texts miss?",
        prediction="Missed appointments among the most deprived fifth will fall by a quarter.",
        start=D(2024, 10, 14),
        days=28,
        happened="The booking team reached two thirds of patients by phone.",
        result="Missed appointments among the most deprived fell by 28%.",
        outcome="yes",
        decision="adopt",
        why="Kept for patients in the most deprived quintile.",
    )
    _cycle(
        qi,
        letters,
        title="Large-print letters for patients over 75",
        question="Do large-print letters help older patients attend?",
        prediction="Missed appointments among patients over 75 will fall from 6% to 4%.",
        start=D(2024, 11, 4),
        days=28,
        happened="Letters sent to 300 patients over 75.",
        result="No change: 6.1% missed, against 6.0% before.",
        outcome="no",
        learning="Older patients told us the text reminder was enough; the letter arrived too early to help.",
        decision="abandon",
        why="No change in attendance, at 90p a letter; patients said the text reminder was enough.",
    )
    _scores(
        qi,
        p,
        [
            ("2.0", D(2024, 9, 2), "Baseline by deprivation quintile."),
            ("3.5", D(2025, 1, 6), "Improvement in the most deprived group."),
            ("4.0", D(2025, 6, 2), "Aim met; project completed."),
        ],
    )
    s.update_project(
        by=qi, project=p, status=Project.Status.COMPLETED, ended_on=D(2025, 6, 30)
    )
    _activity(p, 150)
    return p


def _calderdale(admin, qi, rwy, falls: Project) -> Project:
    """Another trust takes up the bedside checklist (the project is shared with the
    system, so Bradford's staff can follow it)."""
    p = s.create_project(
        by=admin,
        organisation=rwy,
        title="Falls prevention at Calderdale and Huddersfield",
        problem="Inpatient falls have risen steadily since autumn 2024.",
        aim_what="Bring inpatient falls back below 6 per 1,000 bed days",
        aim_measure=_m("falls-per-1000-bed-days"),
        aim_value=6.0,
        aim_by=D(2026, 3, 1),
        priority="Safe care",
        started_on=D(2025, 4, 7),
        sharing=Project.Sharing.SYSTEM,
    )
    # Bradford's QI lead coaches a Calderdale project: someone of another trust joins
    # when an administrator of their own organisation (here the ICB's) approves.
    s.invite(by=admin, project=p, username=qi.username, role="coach")
    s.decide_invitation(
        by=admin, invitation=p.invitations.get(user=qi, status="pending"), approve=True
    )
    spread = s.spread_idea(
        by=qi,
        idea=falls.change_ideas.get(title__startswith="Bedside safety checklist"),
        to_organisation=rwy,
        note="Ward 5 at Bradford cut falls by about 40% with this and the lying and standing BP.",
    )
    idea = s.take_up_spread(by=admin, spread=spread, project=p)
    Spread.objects.filter(pk=spread.pk).update(offered_on=D(2025, 3, 24))
    n = _drivers(
        admin,
        p,
        [
            ("Safe bedside", ["Call bell and belongings in reach"]),
            ("Staff awareness", []),
        ],
    )
    s.update_change_idea(
        by=admin,
        idea=idea,
        title=idea.title,
        description=idea.description,
        drivers=[n["Call bell and belongings in reach"]],
    )
    _cycle(
        admin,
        idea,
        title="Bradford's checklist on two wards",
        question="Does the Bradford checklist work on our wards as it is?",
        prediction="8 of 10 roundings with the checklist done in the first week.",
        start=D(2025, 5, 5),
        days=14,
        happened="Used on both wards; the night team asked for a smaller version.",
        result="8 of 10 by day, 6 of 10 at night.",
        outcome="partly",
        stage="study",
    )
    _scores(admin, p, [("2.5", D(2025, 5, 26), "Testing the checklist from Bradford.")])
    _activity(p, 25)
    return p
