"""The demonstration's board governance: Bradford Teaching Hospitals' board and its
Quality and Safety Committee with two past meetings (reports frozen, narrative,
decisions, an action log carried between them) and one to prepare; two completed
QI-governance maturity self-assessments a year apart; capability assessments,
training records and staff numbers; benefit claims from light to dark green; and
records tagged as well-led evidence.

Everything is made through the same services people use, by the demonstration
accounts, so the audit log reads as it would in a real trust.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from qualitas.web.accounts.models import User
from qualitas.web.assessments import services as assessments
from qualitas.web.assessments.frameworks import CAPABILITY, MATURITY
from qualitas.web.evidence import services as evidence
from qualitas.web.measures.models import Measure
from qualitas.web.meetings import services as meetings
from qualitas.web.meetings.models import Committee, Meeting, ReportItem
from qualitas.web.organisations.models import Organisation, Unit
from qualitas.web.value import services as value

TRUST = "RAE"
QS = "Quality and Safety Committee"
D = dt.date

# (measure code, what the chart tells us, what we are doing), per meeting. Written to
# match what the frozen charts show at each data cut.
NARRATIVE = {
    "first": [
        (
            "ambulance-handovers-60",
            "Special cause concern: handovers over an hour have risen since October 2024 and April is above the upper process limit. The process consistently fails the standard of none.",
            "Joint handover escalation with the ambulance service since March. A rapid-assessment bay opens in June; the Chief Operating Officer reports on its effect in September.",
        ),
        (
            "pressure-ulcers",
            "Common cause this month, but every point since January is above the mean and the run is rising: not yet a signal, and worth watching.",
            "The tissue viability nurse post has been vacant since January and the mattress audit is overdue. Interim cover from the community team starts in July.",
        ),
        (
            "c-difficile",
            "February's cluster on Ward 9 was a point above the upper limit; March and April are back within the limits. Against the target the process hits and misses.",
            "Deep clean and antimicrobial review done; ribotyping found no single strain. Infection prevention will bring its review to the next meeting.",
        ),
        (
            "falls-per-1000-bed-days",
            "Common cause around the lower mean set when the chart was rebased in May 2024; the new limits sit below the target, which is met every month.",
            "The falls bundle is part of ward routine. Ward 21 is testing a night-time checklist.",
        ),
    ],
    "second": [
        (
            "ambulance-handovers-60",
            "Still special cause concern, though July is lower than April; the process still fails the standard every month.",
            "The rapid-assessment bay opened on 16 June. It is too early for a signal; the next three months will show whether the process has changed.",
        ),
        (
            "pressure-ulcers",
            "Common cause; the rise since January has levelled at about 1.2 per 1,000 bed days, well above the mean of 0.9.",
            "Tissue viability nurse appointed (starts October). Mattress audit completed: 38 mattresses replaced. Ward 9 is testing two-hourly repositioning prompts.",
        ),
        (
            "sepsis-antibiotics",
            "Special cause improvement since the electronic screening tool went live in September 2024. The 90% target lies within the limits: it will be met in some months and missed in others.",
            "The screening tool is used on every ward. Next: a ready-made antibiotic pack in the emergency department, and the same prompts in the children's emergency department.",
        ),
    ],
}


def build(users: dict[str, User], say: Callable[[str], None] = print) -> None:
    org = Organisation.objects.get(ods_code=TRUST)
    system = org.parent
    qi, board_user = users["qi-lead"], users["board"]
    executive, finance = users["executive"], users["finance"]

    board = meetings.create_committee(
        by=qi,
        organisation=org,
        name="Board of Directors",
        kind=Committee.Kind.BOARD,
        purpose="The trust board: sets strategy and holds the executive to account for quality, safety and money.",
    )
    committee = meetings.create_committee(
        by=qi,
        organisation=org,
        name=QS,
        kind=Committee.Kind.COMMITTEE,
        reports_to=board,
        measures_committee=QS,
        purpose="Reviews quality and safety in depth each quarter and escalates to the board what needs its attention.",
    )
    for user, role, title in (
        (board_user, "chair", "Non-executive director"),
        (executive, "member", "Chief Operating Officer"),
        (qi, "secretary", "Head of Quality Improvement"),
        (users["patient-partner"], "attendee", "Patient partner"),
    ):
        meetings.add_member(
            by=qi, committee=committee, user=user, role=role, title=title
        )
    for user, role, title in (
        (board_user, "member", "Non-executive director"),
        (executive, "member", "Chief Operating Officer"),
        (finance, "member", "Director of Finance"),
    ):
        meetings.add_member(by=qi, committee=board, user=user, role=role, title=title)

    first = _meeting(
        qi, committee, D(2025, 6, 12), D(2025, 4, 1), "Boardroom, St Luke's Hospital"
    )
    _narrate(qi, first, NARRATIVE["first"])
    measure = {
        m.code: m
        for m in Measure.objects.filter(
            code__in=[
                "ambulance-handovers-60",
                "pressure-ulcers",
                "c-difficile",
                "falls-per-1000-bed-days",
                "sepsis-antibiotics",
            ]
        )
    }
    escalate = meetings.record_decision(
        by=qi,
        meeting=first,
        text="Escalate ambulance handover delays to the board: special cause concern, failing the standard.",
        measure=measure["ambulance-handovers-60"],
    )
    meetings.record_decision(
        by=qi,
        meeting=first,
        text="Pressure ulcers: no signal yet, but a deep dive at the next meeting because of the rising run since January.",
        measure=measure["pressure-ulcers"],
    )
    meetings.record_decision(
        by=qi,
        meeting=first,
        text="Falls: the committee is assured; the rebased chart is the baseline.",
        measure=measure["falls-per-1000-bed-days"],
    )
    handovers = meetings.add_action(
        by=qi,
        meeting=first,
        text="Report on the rapid-assessment bay and handover times.",
        owner="Chief Operating Officer",
        due=D(2025, 9, 1),
        measure=measure["ambulance-handovers-60"],
        decision=escalate,
    )
    tvn = meetings.add_action(
        by=qi,
        meeting=first,
        text="Report on the tissue viability vacancy and the overdue mattress audit.",
        owner="Chief Nurse",
        due=D(2025, 8, 31),
        measure=measure["pressure-ulcers"],
    )
    cdiff = meetings.add_action(
        by=qi,
        meeting=first,
        text="Present the infection prevention review of the Ward 9 C. difficile cluster.",
        owner="Director of Infection Prevention and Control",
        due=D(2025, 7, 31),
        measure=measure["c-difficile"],
    )
    meetings.mark_held(by=qi, meeting=first)

    second = _meeting(
        qi, committee, D(2025, 9, 11), D(2025, 7, 1), "Boardroom, St Luke's Hospital"
    )
    _narrate(qi, second, NARRATIVE["second"])
    meetings.update_action(
        by=qi,
        action=tvn,
        meeting=second,
        note="Post filled from October; audit done and 38 mattresses replaced.",
        close=True,
    )
    meetings.update_action(
        by=qi,
        action=handovers,
        meeting=second,
        note="Bay open since 16 June; report given. Keep open until three more months of data.",
    )
    meetings.update_action(
        by=qi,
        action=cdiff,
        meeting=second,
        note="Review delayed by the microbiology vacancy; now due at the December meeting.",
    )
    meetings.record_decision(
        by=qi,
        meeting=second,
        text="Sepsis: assured on the improvement; not yet on the target. Spread the prompts to the children's emergency department.",
        measure=measure["sepsis-antibiotics"],
    )
    meetings.add_action(
        by=qi,
        meeting=second,
        text="Plan the spread of sepsis screening prompts to the children's emergency department.",
        owner="Medical Director",
        due=D(2025, 11, 30),
        measure=measure["sepsis-antibiotics"],
    )
    meetings.mark_held(by=qi, meeting=second)

    meetings.schedule_meeting(
        by=qi,
        committee=committee,
        date=D(2025, 12, 11),
        data_cut=D(2025, 9, 1),
        location="Boardroom, St Luke's Hospital",
    )
    board_meeting = _meeting(
        qi, board, D(2025, 10, 2), D(2025, 7, 1), "Council Chamber"
    )
    meetings.record_decision(
        by=qi,
        meeting=board_meeting,
        text="Ambulance handover delays added to the corporate risk register, owned by the Chief Operating Officer, until the chart shows the process has changed.",
        measure=measure["ambulance-handovers-60"],
    )
    meetings.mark_held(by=qi, meeting=board_meeting)
    say(
        "  a board and a Quality and Safety Committee with two past meetings, one to prepare, and a board meeting"
    )
    _system_meeting(users["analyst"], system)
    say("  the ICB's quality group, whose pack has the system report")

    _training(qi, org)
    _maturity(board_user, org)
    _capability(qi, board_user, org)
    say(
        "  two QI-governance maturity self-assessments, capability by unit, QI training records"
    )

    _claims(qi, executive, finance, org, system)
    say("  benefit claims from light to dark green")

    _evidence(qi, org)
    say("  records tagged as well-led evidence")


def _system_meeting(analyst: User, system: Organisation) -> None:
    """The ICB's own quality group: its frozen report (and board pack) has the
    system report, every measure beside every organisation of West Yorkshire."""
    group = meetings.create_committee(
        by=analyst,
        organisation=system,
        name="System Quality Group",
        kind=Committee.Kind.BOARD,
        purpose="Brings the system's organisations together each quarter to see "
        "where quality varies across West Yorkshire and what is being learnt.",
    )
    held = _meeting(
        analyst, group, D(2025, 11, 20), D(2025, 9, 1), "ICB offices, Wakefield"
    )
    meetings.mark_held(by=analyst, meeting=held)


def _meeting(
    by: User, committee: Committee, date: dt.date, cut: dt.date, where: str
) -> Meeting:
    meeting = meetings.schedule_meeting(
        by=by, committee=committee, date=date, data_cut=cut, location=where
    )
    meetings.freeze_report(by=by, meeting=meeting)
    return meeting


def _narrate(by: User, meeting: Meeting, texts: list[tuple[str, str, str]]) -> None:
    for code, told, doing in texts:
        item = ReportItem.objects.get(meeting=meeting, measure__code=code)
        meetings.save_narrative(by=by, item=item, chart_tells_us=told, doing=doing)


def _training(qi: User, org: Organisation) -> None:
    wards = {u.name: u for u in Unit.objects.filter(organisation=org)}
    ward5, ward9, ward21 = (
        wards[n]
        for n in (
            "Ward 5 (elderly care)",
            "Ward 9 (respiratory)",
            "Ward 21 (orthopaedics)",
        )
    )
    ed = wards["Emergency department"]
    assessments.set_headcount(by=qi, organisation=org, staff=5200, as_of=D(2025, 4, 1))
    for unit, staff in ((ward5, 46), (ward9, 52), (ward21, 41), (ed, 130)):
        assessments.set_headcount(
            by=qi, organisation=org, unit=unit, staff=staff, as_of=D(2025, 4, 1)
        )
    rows = [
        (None, "awareness", 1450, D(2024, 9, 30), "QI in a day"),
        (
            None,
            "board",
            9,
            D(2024, 11, 14),
            "Governing for improvement (board development)",
        ),
        (ward5, "foundation", 14, D(2024, 3, 20), "QI foundations"),
        (ward5, "practitioner", 3, D(2024, 10, 2), "QI practitioner programme"),
        (ward9, "foundation", 5, D(2025, 2, 12), "QI foundations"),
        (ward21, "foundation", 8, D(2024, 6, 5), "QI foundations"),
        (ward21, "practitioner", 2, D(2025, 1, 15), "QI practitioner programme"),
        (ed, "foundation", 11, D(2024, 11, 20), "QI foundations"),
        (ed, "expert", 1, D(2025, 3, 6), "QI coach training"),
    ]
    for unit, level, people, on, course in rows:
        assessments.record_training(
            by=qi,
            organisation=org,
            unit=unit,
            level=level,
            people=people,
            completed_on=on,
            course=course,
        )


# Board answers: (level, evidence). The 2024 answers are a board starting out; 2025's
# show the change after the board development programme and the new committee.
MATURITY_2024 = {
    "priority.agenda": (
        "low",
        "Quality items were last on the agenda at 10 of 12 board meetings (board papers 2023-24).",
    ),
    "priority.time": (
        "medium",
        "About a quarter of board time on quality, mostly incidents.",
    ),
    "priority.committees": (
        "low",
        "Quality committee minutes were re-discussed in full at the board.",
    ),
    "priority.training": ("low", "No board QI training before autumn 2024."),
    "priority.balance_assurance": (
        "low",
        "The integrated performance report was red-amber-green only.",
    ),
    "data.improvement_data": ("low", "No improvement project data reached the board."),
    "data.proactive": (
        "medium",
        "Reviews followed serious incidents and regulator letters.",
    ),
    "data.spc": ("low", "Red-amber-green ratings against targets, month on month."),
    "performance.knows": (
        "medium",
        "Non-executives knew the A&E and cancer headlines.",
    ),
    "performance.reviews": ("medium", "Quality reviewed at alternate board meetings."),
    "staff.frontline": (
        "medium",
        "QI in pockets: the elderly care wards and theatres.",
    ),
    "staff.heard": ("low", "No staff presentations to the board in 2023-24."),
    "patients.projects": (
        "low",
        "Patients were consulted on two service changes only.",
    ),
    "patients.board": (
        "medium",
        "A patient story opens each board, with little follow-up.",
    ),
    "approach.priorities": (
        "low",
        "Fourteen quality priorities in the quality account.",
    ),
    "approach.method": ("medium", "Model for Improvement taught, not used everywhere."),
    "balance.domains": (
        "medium",
        "Safety dominated; experience data were reviewed annually.",
    ),
    "dynamics.challenge": ("medium", "Challenge came mainly from two non-executives."),
    "dynamics.clinical_leaders": (
        "medium",
        "The Chief Nurse led; the Medical Director less so.",
    ),
}
MATURITY_2025 = {
    **MATURITY_2024,
    "priority.agenda": (
        "high",
        "Quality is the first substantive item since October 2024 (board agendas).",
    ),
    "priority.committees": (
        "high",
        "The Quality and Safety Committee reports escalations only; the board does not re-run its discussion.",
    ),
    "priority.training": (
        "high",
        "Nine board members completed the governing for improvement programme in November 2024.",
    ),
    "priority.balance_assurance": (
        "medium",
        "SPC report with assurance icons; improvement updates at every second meeting.",
    ),
    "data.improvement_data": (
        "medium",
        "Narrative on improvement work for the measures of concern.",
    ),
    "data.spc": (
        "high",
        "Every measure in the integrated quality report is an SPC chart with icons.",
    ),
    "performance.knows": ("high", "Board members discuss signals, not single months."),
    "staff.heard": (
        "medium",
        "Ward 5's falls team presented to the board in March 2025.",
    ),
    "patients.projects": (
        "medium",
        "Patient partners on the falls and discharge projects.",
    ),
    "approach.priorities": (
        "medium",
        "Three trust-wide priorities; divisions still add their own.",
    ),
    "dynamics.challenge": (
        "high",
        "Executives and non-executives both challenge, led by the data.",
    ),
}


def _maturity(by: User, org: Organisation) -> None:
    for day, answers in (
        (D(2024, 6, 20), MATURITY_2024),
        (D(2025, 6, 19), MATURITY_2025),
    ):
        a = assessments.start_assessment(
            by=by, organisation=org, framework=MATURITY.key, assessed_on=day
        )
        assessments.save_answers(by=by, assessment=a, answers=answers)
        assessments.complete(by=by, assessment=a)


CAPABILITY_ORG = {
    "culture.level": (
        "developing",
        "Staff survey 2024: 64% feel able to suggest improvements (up from 55%).",
    ),
    "leadership.level": (
        "developing",
        "Executive sponsors for every trust priority; board trained in 2024.",
    ),
    "staff.level": (
        "emerging",
        "1,450 staff at awareness level; under 1% trained to lead projects.",
    ),
    "users.level": ("emerging", "Patient partners on two projects."),
    "partners.level": ("emerging", "Joint falls work with the community trust."),
    "process.level": ("developing", "Tests of change recorded on four wards."),
    "governance.level": (
        "developing",
        "The board's maturity self-assessment rose from 1.6 to 2.3.",
    ),
    "data.level": (
        "embedded",
        "Every board measure is an SPC chart; wards see the same charts.",
    ),
}
CAPABILITY_WARD5 = {
    "culture.level": (
        "embedded",
        "Daily huddle reviews the falls chart and ideas board.",
    ),
    "leadership.level": ("developing", "Ward manager trained as a QI practitioner."),
    "staff.level": ("developing", "14 of 46 staff trained to foundation level."),
    "users.level": ("developing", "A patient partner helped design the falls leaflet."),
    "partners.level": ("emerging", "Falls response with the care home team."),
    "process.level": ("embedded", "Falls bundle adopted after four PDSA cycles."),
    "governance.level": (
        "developing",
        "Ward results reach the Quality and Safety Committee.",
    ),
    "data.level": ("embedded", "Ward-level falls chart updated monthly."),
}


def _capability(qi: User, board_user: User, org: Organisation) -> None:
    ward5 = Unit.objects.get(organisation=org, name="Ward 5 (elderly care)")
    for unit, answers, by in (
        (None, CAPABILITY_ORG, board_user),
        (ward5, CAPABILITY_WARD5, qi),
    ):
        a = assessments.start_assessment(
            by=by,
            organisation=org,
            framework=CAPABILITY.key,
            unit=unit,
            assessed_on=D(2025, 6, 26),
        )
        assessments.save_answers(by=by, assessment=a, answers=answers)
        assessments.complete(by=by, assessment=a)


def _project(title: str):
    """A demonstration project by its title (None if the projects demo is absent)."""
    from qualitas.web.projects.models import Project

    return Project.objects.filter(title=title).first()


def _claims(
    qi: User, executive: User, finance: User, org: Organisation, system: Organisation
) -> None:
    m = {
        x.code: x
        for x in Measure.objects.filter(
            code__in=[
                "falls-per-1000-bed-days",
                "agency-spend",
                "sepsis-antibiotics",
                "outpatient-dna",
                "pressure-ulcers",
                "length-of-stay",
            ]
        )
    }
    falls = value.create_claim(
        by=qi,
        organisation=org,
        lands_in=org,
        project=_project("Fewer falls on Ward 5"),
        title="Falls bundle: fewer bank shifts for enhanced observation",
        kind="cash",
        financial_year="2024/25",
        estimate_amount=Decimal("86000"),
        method="Falls fell by about a third from May 2024 (SPC shift). Each avoided fall with harm saved a median 3 bank shifts of one-to-one observation at £190: 150 avoided falls x 3 shifts x £190.",
        conversion="Stop the standing bank shifts for enhanced observation on Wards 5 and 21.",
        owner="Deputy Chief Nurse",
        budget_line="Nursing bank, medicine division",
        evidence_measure=m["falls-per-1000-bed-days"],
        changed_from=D(2024, 5, 1),
    )
    value.sign_off(
        by=finance,
        claim=falls,
        realised=True,
        amount=Decimal("61500"),
        note="Bank spend code 4410 reduced from October 2024; checked against the ledger.",
    )
    agency = value.create_claim(
        by=executive,
        organisation=org,
        lands_in=org,
        title="Agency nursing replaced by substantive and bank staff",
        kind="cash",
        financial_year="2024/25",
        estimate_amount=Decimal("240000"),
        method="Agency share of the pay bill fell from 6.1% to 2.9% (SPC trend); the difference in agency premium over bank rates on the hours replaced.",
        conversion="Cap agency bookings at director sign-off and remove the agency budget line for medicine.",
        owner="Chief Operating Officer",
        budget_line="Agency nursing, all divisions",
        evidence_measure=m["agency-spend"],
        changed_from=D(2023, 10, 1),
    )
    value.sign_off(
        by=finance,
        claim=agency,
        realised=True,
        amount=Decimal("198000"),
        note="Agency budget reduced by £198,000 in the 2025/26 plan.",
    )
    value.create_claim(
        by=qi,
        organisation=org,
        lands_in=org,
        project=_project("Sepsis: antibiotics within the hour"),
        title="Sepsis screening: shorter stays on the medical wards",
        kind="capacity",
        financial_year="2025/26",
        estimate_amount=Decimal("165900"),
        estimate_quantity=Decimal("420"),
        quantity_unit="bed days",
        method="Faster antibiotics shortened stays for sepsis by about 1.2 days across 350 admissions a year, at £395 a bed day.",
        conversion="Close the winter escalation bed on Ward 9 a month early; otherwise the capacity is used for waiting patients and is not cash.",
        owner="Medical Director",
        budget_line="Escalation beds, medicine",
        evidence_measure=m["sepsis-antibiotics"],
        changed_from=D(2024, 9, 1),
        status="converting",
    )
    value.create_claim(
        by=qi,
        organisation=org,
        lands_in=org,
        project=_project("Fewer missed outpatient appointments"),
        title="Text reminders: outpatient slots released",
        kind="capacity",
        financial_year="2025/26",
        estimate_quantity=Decimal("1150"),
        quantity_unit="clinic appointments",
        method="Missed appointments fell by 28% among patients from the most deprived areas: about 1,150 slots a year rebooked for others.",
        conversion="Count the extra first appointments against the elective recovery target (activity, not cash).",
        owner="Director of Operations, planned care",
        budget_line="Outpatient elective activity",
        evidence_measure=m["outpatient-dna"],
        changed_from=D(2024, 10, 1),
    )
    value.create_claim(
        by=qi,
        organisation=org,
        lands_in=org,
        project=_project("Home before noon"),
        title="Home before noon: bed days released on the medical wards",
        kind="capacity",
        financial_year="2025/26",
        estimate_quantity=Decimal("900"),
        quantity_unit="bed days",
        method="Discharges before noon up from 14% to 30%: about half a day saved for 1,800 patients a year.",
        conversion="Use the released beds to stop booking escalation beds in March; only then does it become cash.",
        owner="Director of Operations, medicine",
        budget_line="Escalation beds, medicine",
        evidence_measure=m["length-of-stay"],
    )
    value.create_claim(
        by=qi,
        organisation=org,
        lands_in=system,
        title="Falls response for care homes: ambulance call-outs and attendances avoided",
        kind="avoided",
        financial_year="2025/26",
        estimate_amount=Decimal("48000"),
        method="120 fewer conveyances a year from the five care homes in the pilot, at the tariff for an attendance and an ambulance call-out.",
        conversion="The ICB reduces the urgent care contract value with the ambulance service and the acute trust at the next contract round.",
        owner="ICB Director of Strategy",
        budget_line="Urgent and emergency care contracts",
    )
    value.create_claim(
        by=qi,
        organisation=org,
        lands_in=org,
        project=_project("Pressure ulcer prevention on Ward 9"),
        title="Pressure ulcer prevention on Ward 9",
        kind="quality",
        method="Fewer hospital-acquired pressure ulcers: harm avoided for patients; any saving in dressings and stays is small and not claimed.",
        owner="Chief Nurse",
        evidence_measure=m["pressure-ulcers"],
    )
    theatres = value.create_claim(
        by=executive,
        organisation=org,
        lands_in=org,
        title="Theatre scheduling: extra orthopaedic lists",
        kind="cash",
        financial_year="2024/25",
        estimate_amount=Decimal("120000"),
        method="Two extra lists a month from better scheduling, valued at the cost of outsourced operations.",
        conversion="Stop outsourcing hip and knee operations to the independent sector.",
        owner="Director of Operations, planned care",
        budget_line="Independent sector outsourcing",
    )
    value.sign_off(
        by=finance,
        claim=theatres,
        realised=False,
        note="The extra lists were used for the waiting list; outsourcing continued at the same level, so no money was released.",
    )


def _evidence(qi: User, org: Organisation) -> None:
    from qualitas.web.assessments.models import Assessment, TrainingRecord
    from qualitas.web.meetings.models import Decision

    for d in Decision.objects.filter(meeting__committee__organisation=org):
        evidence.tag(
            by=qi,
            organisation=org,
            kind="decision",
            object_id=d.pk,
            kloe="W6",
            statement="governance",
            note="The committee acted on a signal in its SPC report.",
        )
    latest = (
        Assessment.objects.filter(
            organisation=org, framework="maturity", status="completed"
        )
        .order_by("-assessed_on")
        .first()
    )
    evidence.tag(
        by=qi,
        organisation=org,
        kind="assessment",
        object_id=latest.pk,
        kloe="W1",
        statement="capable_leaders",
        note="The board assesses its own maturity in governing for improvement each year.",
    )
    board_training = TrainingRecord.objects.get(organisation=org, level="board")
    evidence.tag(
        by=qi,
        organisation=org,
        kind="training",
        object_id=board_training.pk,
        kloe="W8",
        statement="learning",
    )
