"""Answers qualitas can propose from its own records, each with the facts behind it.

A proposal is only a start: people answer, with their own evidence. Where the records
say nothing (how board members challenge each other, say), there is no proposal.
Thresholds are written beside each rule so a board can see, and argue with, them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Max, Sum

from qualitas.web.assessments.models import Assessment, Headcount, TrainingRecord
from qualitas.web.board import report as live_report
from qualitas.web.measures.models import Measure, Observation
from qualitas.web.meetings import project_links
from qualitas.web.meetings.models import Committee, CommitteeMember, Meeting, ReportItem
from qualitas.web.organisations.models import Organisation, Unit

TRAINING_YEARS = 3
SKILLED = ("foundation", "practitioner", "expert")


@dataclass(frozen=True)
class Proposal:
    level: str
    reason: str


class Evidence:
    """The records about one organisation (or unit) as of a date, read once."""

    def __init__(self, organisation: Organisation, unit: Unit | None, as_of: dt.date):
        self.organisation = organisation
        self.unit = unit
        self.as_of = as_of
        self.year_ago = as_of - dt.timedelta(days=365)

    @cached_property
    def report_rows(self) -> list:
        org = self.organisation
        return live_report.build(
            org, live_report.measures_for(org, Measure.objects.all()), until=self.as_of
        ).rows

    @cached_property
    def meetings(self) -> list[Meeting]:
        return list(
            Meeting.objects.filter(
                committee__organisation=self.organisation,
                date__gt=self.year_ago,
                date__lte=self.as_of,
            ).select_related("committee", "snapshot")
        )

    @cached_property
    def training(self) -> dict[str, int]:
        qs = TrainingRecord.objects.filter(
            organisation=self.organisation,
            completed_on__gt=self.as_of - dt.timedelta(days=365 * TRAINING_YEARS),
            completed_on__lte=self.as_of,
        )
        if self.unit is not None:
            qs = qs.filter(unit=self.unit)
        return {
            level: int(total or 0)
            for level, total in qs.values("level")
            .annotate(total=Sum("people"))
            .values_list("level", "total")
        }

    @cached_property
    def headcount(self) -> int | None:
        row = (
            Headcount.objects.filter(
                organisation=self.organisation, unit=self.unit, as_of__lte=self.as_of
            )
            .order_by("-as_of", "-id")
            .first()
        )
        return row.staff if row else None

    @cached_property
    def activity(self) -> project_links.Activity:
        return project_links.activity(
            [self.organisation.pk],
            unit_id=self.unit.pk if self.unit else None,
            since=self.year_ago,
            until=self.as_of,
        )

    @cached_property
    def board_members(self) -> int:
        return CommitteeMember.objects.filter(
            committee__organisation=self.organisation,
            committee__kind=Committee.Kind.BOARD,
        ).count()

    def latest_maturity(self) -> Assessment | None:
        return (
            Assessment.objects.filter(
                organisation=self.organisation,
                framework="maturity",
                status=Assessment.Status.COMPLETED,
                assessed_on__lte=self.as_of,
            )
            .order_by("-assessed_on", "-id")
            .first()
        )


Rule = Callable[[Evidence], Proposal | None]


def _count(n: int, one: str, many: str) -> str:
    """
    >>> _count(1, "committee reports", "committees report")
    '1 committee reports'
    """
    return f"{n} {one if n == 1 else many}"


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


# --- QI-governance maturity --------------------------------------------------------


def _spc_share(e: Evidence) -> tuple[int, int]:
    rows = e.report_rows
    full = sum(1 for r in rows if not r.short_baseline)
    return full, len(rows)


def m_spc(e: Evidence) -> Proposal | None:
    full, total = _spc_share(e)
    if not total:
        return None
    share = _share(full, total)
    level = "high" if share >= 0.8 else "medium" if share >= 0.4 else "low"
    return Proposal(
        level,
        f"{full} of the {total} measures in the integrated quality report are SPC charts "
        f"with full limits ({share:.0%}); High from 80%, Medium from 40%.",
    )


def m_improvement_data(e: Evidence) -> Proposal | None:
    frozen = [m for m in e.meetings if hasattr(m, "snapshot")]
    if not frozen:
        return Proposal(
            "low", "No meeting in the last year saw a frozen quality report."
        )
    latest = max(frozen, key=lambda m: m.date)
    ids = [r["measure_id"] for r in latest.snapshot.rows]
    if not ids:
        return None
    written = set(
        ReportItem.objects.filter(meeting=latest, measure_id__in=ids, prefilled=False)
        .exclude(doing="")
        .values_list("measure_id", flat=True)
    )
    linked = set(project_links.for_measures([e.organisation.pk], ids, viewer=None))
    covered = written | linked
    share = _share(len(covered), len(ids))
    level = "high" if share >= 0.5 else "medium" if covered else "low"
    return Proposal(
        level,
        f"At the {latest} meeting, {len(covered)} of {len(ids)} measures came with "
        f"improvement work: a written 'what we are doing' or a linked project "
        f"({share:.0%}); High from 50%.",
    )


def m_reviews(e: Evidence) -> Proposal | None:
    reviewed = [m for m in e.meetings if hasattr(m, "snapshot")]
    n = len(reviewed)
    level = "high" if n >= 10 else "medium" if n >= 4 else "low"
    return Proposal(
        level,
        f"{n} board or committee meetings reviewed a quality report in the 12 months to "
        f"{e.as_of:%B %Y}; High from 10 (monthly), Medium from 4 (quarterly).",
    )


def m_committees(e: Evidence) -> Proposal | None:
    committees = Committee.objects.filter(
        organisation=e.organisation,
        kind=Committee.Kind.COMMITTEE,
        reports_to__isnull=False,
    )
    if not committees.exists():
        return Proposal(
            "low", "No committee reporting to the board is set up in qualitas."
        )
    met = {
        m.committee_id
        for m in e.meetings
        if m.committee.kind == Committee.Kind.COMMITTEE
    }
    busy = [
        c
        for c in committees
        if sum(1 for m in e.meetings if m.committee_id == c.pk) >= 4
    ]
    if busy:
        names = ", ".join(c.name for c in busy)
        return Proposal(
            "high",
            f"{names} met at least four times in the last year and reports to the board. "
            "Check that the board hears escalations rather than the whole discussion again.",
        )
    return Proposal(
        "medium",
        f"{_count(committees.count(), 'committee reports', 'committees report')} to the "
        f"board; {len(met)} met in the last year, none four times.",
    )


def m_board_training(e: Evidence) -> Proposal | None:
    trained = e.training.get("board", 0)
    members = e.board_members
    if trained == 0:
        return Proposal(
            "low",
            f"No board development in QI recorded in the last {TRAINING_YEARS} years.",
        )
    if members and trained >= members:
        return Proposal(
            "high",
            f"{trained} people completed board development in QI in the last {TRAINING_YEARS} "
            f"years; the board has {members} members.",
        )
    return Proposal(
        "medium",
        f"{trained} people completed board development in QI"
        + (
            f", fewer than the board's {members} members."
            if members
            else "; the board's members are not recorded."
        ),
    )


def m_frontline(e: Evidence) -> Proposal | None:
    a = e.activity
    skilled = sum(e.training.get(k, 0) for k in SKILLED)
    facts = f"{a.open_projects} open improvement projects, {a.cycles} tests of change started in the last year, {skilled} staff trained to foundation level or above."
    if a.open_projects >= 10 or a.cycles >= 20:
        return Proposal("high", facts + " High from 10 projects or 20 tests a year.")
    if a.open_projects or skilled:
        return Proposal("medium", facts)
    return Proposal("low", facts)


def m_patients(e: Evidence) -> Proposal | None:
    a = e.activity
    if not a.projects:
        return None
    share = _share(a.with_partners, a.projects)
    level = "high" if share >= 0.5 else "medium" if a.with_partners else "low"
    return Proposal(
        level,
        f"{a.with_partners} of {a.projects} projects have a patient or carer partner "
        f"({share:.0%}); {a.involvement_entries} 'you said, we did' entries in the last year.",
    )


def m_balance(e: Evidence) -> Proposal | None:
    rows = e.report_rows
    if not rows:
        return None
    counts = dict.fromkeys(("safe", "effective", "patient_centred"), 0)
    for r in rows:
        if r.measure.domain in counts:
            counts[r.measure.domain] += 1
    shares = {d: _share(n, len(rows)) for d, n in counts.items()}
    words = ", ".join(f"{n} {d.replace('_', '-')}" for d, n in counts.items())
    if all(s >= 0.15 for s in shares.values()):
        level = "high"
    elif all(n > 0 for n in counts.values()):
        level = "medium"
    else:
        level = "low"
    return Proposal(
        level,
        f"Of {len(rows)} measures in the report: {words}. High when each of safety, "
        "effectiveness and experience is at least 15%.",
    )


MATURITY_RULES: dict[str, Rule] = {
    "priority.committees": m_committees,
    "priority.training": m_board_training,
    "data.improvement_data": m_improvement_data,
    "data.spc": m_spc,
    "performance.reviews": m_reviews,
    "staff.frontline": m_frontline,
    "patients.projects": m_patients,
    "balance.domains": m_balance,
}


# --- improvement capability --------------------------------------------------------


def _four(value: float, embedded: float, developing: float) -> str:
    if value >= embedded:
        return "embedded"
    if value >= developing:
        return "developing"
    return "emerging" if value > 0 else "absent"


def c_staff(e: Evidence) -> Proposal | None:
    skilled = sum(e.training.get(k, 0) for k in SKILLED)
    aware = e.training.get("awareness", 0)
    if e.headcount:
        share = _share(skilled, e.headcount)
        return Proposal(
            _four(share, 0.3, 0.1),
            f"{skilled} of {e.headcount} staff trained to foundation level or above in the "
            f"last {TRAINING_YEARS} years ({share:.0%}), {aware} more at awareness level. "
            "Embedded from 30%, developing from 10%.",
        )
    if skilled or aware:
        return Proposal(
            "emerging",
            f"{skilled} staff trained to foundation level or above and {aware} at awareness "
            "level; record the number of staff to read this as a share.",
        )
    return Proposal(
        "absent", f"No QI training recorded in the last {TRAINING_YEARS} years."
    )


def c_leadership(e: Evidence) -> Proposal | None:
    if e.unit is not None:
        return None
    trained = e.training.get("board", 0)
    maturity = e.latest_maturity()
    recent = maturity is not None and maturity.assessed_on > e.year_ago
    if trained and recent and e.board_members and trained >= e.board_members:
        level = "embedded"
    elif trained and recent:
        level = "developing"
    elif trained or recent:
        level = "emerging"
    else:
        level = "absent"
    return Proposal(
        level,
        f"{trained} people completed board development in QI; "
        + (
            "the board assessed its QI-governance maturity in the last year."
            if recent
            else "no QI-governance self-assessment in the last year."
        ),
    )


def c_users(e: Evidence) -> Proposal | None:
    a = e.activity
    if not a.projects:
        return None
    share = _share(a.with_partners, a.projects)
    if share >= 0.5 and a.involvement_entries >= 5:
        level = "embedded"
    elif share >= 0.25:
        level = "developing"
    else:
        level = "emerging" if a.with_partners else "absent"
    return Proposal(
        level,
        f"{a.with_partners} of {a.projects} projects have a patient or carer partner; "
        f"{a.involvement_entries} 'you said, we did' entries in the last year.",
    )


def c_partners(e: Evidence) -> Proposal | None:
    a = e.activity
    if not a.projects:
        return None
    joint = a.system_projects + a.spread_out
    return Proposal(
        _four(joint, 5, 2),
        f"{a.system_projects} projects shared across the system and {a.spread_out} change "
        "ideas offered to other teams or organisations. Embedded from 5, developing from 2.",
    )


def c_process(e: Evidence) -> Proposal | None:
    a = e.activity
    if not project_links.installed():
        return None
    return Proposal(
        _four(a.finished_cycles, 12, 4),
        f"{a.finished_cycles} tests of change (PDSA cycles) reached a decision in the last "
        f"year, of {a.cycles} started. Embedded from 12, developing from 4.",
    )


def c_governance(e: Evidence) -> Proposal | None:
    if e.unit is not None:
        return None
    maturity = e.latest_maturity()
    if maturity is None:
        return Proposal(
            "absent",
            "The board has not completed a QI-governance maturity self-assessment.",
        )
    from qualitas.web.assessments.scoring import overall

    score = overall(maturity)
    if score is None:
        return None
    level = "embedded" if score >= 2.5 else "developing" if score >= 2 else "emerging"
    return Proposal(
        level,
        f"The board's QI-governance maturity in {maturity.assessed_on:%B %Y} averaged "
        f"{score:.1f} of 3. Embedded from 2.5, developing from 2.",
    )


def c_data(e: Evidence) -> Proposal | None:
    if e.unit is None:
        full, total = _spc_share(e)
        if not total:
            return Proposal(
                "absent", "No measures with data in the integrated quality report."
            )
        share = _share(full, total)
        return Proposal(
            _four(share, 0.8, 0.5),
            f"{full} of {total} report measures are SPC charts with full limits ({share:.0%}).",
        )
    # The unit's own charts: measures with ward-level data in the twelve months up
    # to the unit's latest data (how current the data are is the register's concern).
    rows = Observation.objects.filter(unit=e.unit, period__lte=e.as_of)
    latest = rows.aggregate(p=Max("period"))["p"]
    n = 0
    if latest is not None:
        start = latest - dt.timedelta(days=365)
        n = rows.filter(period__gt=start).values("measure").distinct().count()
    return Proposal(
        _four(n, 5, 3),
        f"{e.unit.name} has its own SPC data for {n} measures in its latest twelve "
        "months of data. Embedded from 5, developing from 3.",
    )


CAPABILITY_RULES: dict[str, Rule] = {
    "staff.level": c_staff,
    "leadership.level": c_leadership,
    "users.level": c_users,
    "partners.level": c_partners,
    "process.level": c_process,
    "governance.level": c_governance,
    "data.level": c_data,
}

RULES = {"maturity": MATURITY_RULES, "capability": CAPABILITY_RULES}


def propose(
    assessment: Assessment, progress: Callable[[float, str], None] | None = None
) -> dict[str, Proposal]:
    """Proposals for the assessment's questions, as of its date. ``progress`` is
    told the fraction done and the step in words as each question is looked into
    (the background job's progress bar)."""
    e = Evidence(assessment.organisation, assessment.unit, assessment.assessed_on)
    out = {}
    rules = RULES[assessment.framework]
    for i, (key, rule) in enumerate(rules.items()):
        if progress is not None:
            progress(i / len(rules), "Looking through the records")
        proposal = rule(e)
        if proposal is not None:
            out[key] = proposal
    return out
