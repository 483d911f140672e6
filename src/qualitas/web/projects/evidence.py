"""What a project's own records and measures show: the state of each measure, whether
the aim is met, balancing-measure alerts, and a suggested IHI progress score with the
reasons for it.

The measures are charted with the SPC engine, all of a project's (or a portfolio's)
series at once: one query and one engine call per organisation and unit, then pandas
group-bys over every linked series. Charts for evidence ignore later rebases, so a
change made by the project shows as special cause against the baseline before it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import Count, Q
from django.utils import timezone

from qualitas.web.measures import series, words
from qualitas.web.organisations.models import Organisation
from qualitas.web.projects.models import (
    PROGRESS_LEVELS,
    ChangeIdea,
    PDSACycle,
    ProgressScore,
    Project,
    ProjectMeasure,
    TeamMember,
)

BASELINE_POINTS = 6  # points before the project started, for a baseline
RECENT_POINTS = 6  # the window for recent signals and for "sustained"
AIM_POINTS = 3  # the aim is judged on the mean of the latest points


@dataclass
class MeasureState:
    """One linked measure, as its chart shows it from the project's point of view."""

    link: ProjectMeasure
    n_points: int = 0
    latest_value: float | None = None
    latest_period: pd.Timestamp | None = None
    variation: str | None = None
    baseline_points: int = 0
    baseline_mean: float | None = None
    recent_mean: float | None = None
    improvement_since_start: bool = False
    concern_recent: bool = False
    sustained: bool = False
    sustained_long: bool = False

    @property
    def has_data(self) -> bool:
        return self.n_points > 0

    @property
    def measure(self):
        return self.link.measure

    def fmt(self, x: float | None) -> str:
        return words.number(x, self.link.measure.decimals)

    @property
    def latest_text(self) -> str:
        return self.fmt(self.latest_value)

    @property
    def baseline_text(self) -> str:
        return self.fmt(self.baseline_mean)

    @property
    def recent_text(self) -> str:
        return self.fmt(self.recent_mean)

    @property
    def latest_label(self) -> str:
        if self.latest_period is None:
            return ""
        return words.period(self.latest_period, self.link.measure.frequency)

    @property
    def variation_text(self) -> str:
        return words.VARIATION.get(self.variation or "", "No data yet")


def measure_states(links: Iterable[ProjectMeasure]) -> dict[int, MeasureState]:
    """Link id -> state, computing every chart the links need in a few engine calls."""
    links = list(links)
    states = {link.pk: MeasureState(link) for link in links}
    if not links:
        return states
    groups: dict[tuple[int, int | None], list[ProjectMeasure]] = defaultdict(list)
    for link in links:
        groups[(link.organisation_id, link.unit_id)].append(link)
    orgs = Organisation.objects.in_bulk({k[0] for k in groups})
    frames = []
    for (org_id, unit_id), group in groups.items():
        measures = list({link.measure_id: link.measure for link in group}.values())
        frame = series.organisation_series(measures, orgs[org_id], unit_id=unit_id)
        if frame.empty:
            continue
        result = series.run_xmr(
            frame,
            by="measure_id",
            direction={m.pk: m.direction for m in measures},
            target=None,
            part=None,
        )
        if result is None:
            continue
        pts = result.points[
            ["measure_id", "period", "value", "cl", "point_type", "special_cause"]
        ].copy()
        pts["org_id"], pts["unit_id"] = org_id, -1 if unit_id is None else unit_id
        frames.append(pts)
    if not frames:
        return states
    points = pd.concat(frames, ignore_index=True)
    points["point_type"] = points["point_type"].astype(str)
    keys = pd.DataFrame(
        {
            "link_id": [link.pk for link in links],
            "measure_id": [link.measure_id for link in links],
            "org_id": [link.organisation_id for link in links],
            "unit_id": [-1 if link.unit_id is None else link.unit_id for link in links],
            "start": pd.to_datetime([link.project.started_on for link in links]),
            "sign": [
                {"increase": 1.0, "decrease": -1.0}.get(link.measure.direction, 0.0)
                for link in links
            ],
        }
    )
    p = keys.merge(points, on=["measure_id", "org_id", "unit_id"], how="inner")
    if p.empty:
        return states
    p = p.sort_values(["link_id", "period"], kind="stable")
    g = p.groupby("link_id", sort=False)
    p["from_end"] = g.cumcount(ascending=False)  # 0 = the latest point
    before = p["period"] < p["start"]
    p["before_value"] = p["value"].where(before)
    summary = pd.DataFrame(
        {
            "n": g.size(),
            "baseline_n": before.groupby(p["link_id"]).sum(),
            "baseline_mean": p.groupby("link_id")["before_value"].mean(),
            "improved": ((p["point_type"] == "improvement") & ~before)
            .groupby(p["link_id"])
            .any(),
            "concern_recent": (
                (p["point_type"] == "concern") & (p["from_end"] < RECENT_POINTS)
            )
            .groupby(p["link_id"])
            .any(),
        }
    )
    last = p[p["from_end"] == 0].set_index("link_id")
    recent = p[p["from_end"] < AIM_POINTS].groupby("link_id")["value"].mean()
    # Better than the baseline mean, in the measure's better direction (never for
    # measures with no better direction).
    p = p.join(summary["baseline_mean"], on="link_id")
    better = (p["value"] - p["baseline_mean"]) * p["sign"] > 0
    after = p["period"] >= p["start"]
    for window, name in ((RECENT_POINTS, "sustained"), (2 * RECENT_POINTS, "long")):
        in_window = (p["from_end"] < window) & after
        counts = in_window.groupby(p["link_id"]).sum()
        good = (in_window & better).groupby(p["link_id"]).sum()
        summary[name] = (counts >= window) & (good == counts)
    variation = last["point_type"]
    for link_id, row in summary.iterrows():
        s = states[int(link_id)]
        s.n_points = int(row["n"])
        s.baseline_points = int(row["baseline_n"])
        s.baseline_mean = (
            None if pd.isna(row["baseline_mean"]) else float(row["baseline_mean"])
        )
        s.improvement_since_start = bool(row["improved"])
        s.concern_recent = bool(row["concern_recent"])
        s.sustained = bool(row["sustained"])
        s.sustained_long = bool(row["long"])
        s.latest_value = float(last.at[link_id, "value"])
        s.latest_period = pd.Timestamp(last.at[link_id, "period"])
        s.recent_mean = float(recent.get(link_id, np.nan))
        s.variation = _variation(
            str(variation.get(link_id, "")), last.at[link_id, "special_cause"]
        )
    return states


def _variation(point_type: str, special_cause: object) -> str:
    """The Making Data Count variation key of the latest point."""
    cause = str(special_cause)
    high = cause.endswith(("high", "up", "upl"))
    side = "high" if high else "low"
    if point_type in ("improvement", "concern"):
        return f"{point_type}_{side}"
    if point_type.startswith("neutral"):
        return point_type
    return "common_cause"


@dataclass
class AimCheck:
    """Whether the aim can be checked against its measure, and what it shows."""

    checkable: bool
    status: str  # "unchecked", "no_data", "met", "not_yet", "missed"
    text: str


def check_aim(project: Project, states: dict[int, MeasureState]) -> AimCheck:
    m = project.aim_measure
    if m is None or project.aim_value is None:
        missing = "the outcome measure" if m is None else "how much it should change"
        return AimCheck(
            False,
            "unchecked",
            f"The aim cannot be checked yet: say {missing}"
            + ("" if project.aim_by else " and by when")
            + ".",
        )
    state = next((s for s in states.values() if s.link.measure_id == m.pk), None)
    target = words.number(project.aim_value, m.decimals)
    if state is None or not state.has_data or state.recent_mean is None:
        return AimCheck(True, "no_data", f"No data yet for {m.name}.")
    recent = words.number(state.recent_mean, m.decimals)
    sign = {"increase": 1, "decrease": -1}.get(m.direction, 0)
    if sign == 0:
        met = (
            abs(state.recent_mean - project.aim_value) <= abs(project.aim_value) * 0.05
        )
    else:
        met = (state.recent_mean - project.aim_value) * sign >= 0
    window = f"the mean of the latest {AIM_POINTS} points ({recent} {m.unit}, to {state.latest_label})"
    if met:
        return AimCheck(
            True,
            "met",
            f"{window[0].upper()}{window[1:]} reaches the aim of {target} {m.unit}.",
        )
    if project.aim_by and project.aim_by < timezone.localdate():
        return AimCheck(
            True,
            "missed",
            f"The aim was due by {project.aim_by:%B %Y}; {window} has not reached {target} {m.unit}.",
        )
    return AimCheck(
        True,
        "not_yet",
        f"{window[0].upper()}{window[1:]}; the aim is {target} {m.unit}.",
    )


@dataclass
class Check:
    score: Decimal
    label: str
    met: bool
    detail: str


@dataclass
class Assessment:
    """Everything the project page and the portfolio say about a project's evidence."""

    project: Project
    states: dict[int, MeasureState]
    aim: AimCheck
    checks: list[Check]
    suggested: Decimal
    cautions: list[str] = field(default_factory=list)
    balancing_alerts: list[MeasureState] = field(default_factory=list)
    no_balancing: bool = False
    stalled: bool = False

    @property
    def suggested_label(self) -> str:
        return PROGRESS_LEVELS[self.suggested][0]


def _counts(projects: list[Project]) -> dict[int, dict[str, int]]:
    ids = [p.pk for p in projects]
    rows = Project.objects.filter(pk__in=ids).annotate(
        primaries=Count("drivers", filter=Q(drivers__kind="primary"), distinct=True),
        ideas=Count("change_ideas", distinct=True),
    )
    out = {r.pk: {"primaries": r.primaries, "ideas": r.ideas} for r in rows}
    team: dict[int, dict[str, int]] = defaultdict(lambda: {"people": 0, "leads": 0})
    for pid, role in TeamMember.objects.filter(project_id__in=ids).values_list(
        "project_id", "role"
    ):
        team[pid]["people"] += 1
        team[pid]["leads"] += role == TeamMember.Role.LEAD
    cycles: dict[int, dict[str, int]] = defaultdict(
        lambda: {"started": 0, "adopted": 0, "open": 0}
    )
    for pid, stage, decision in PDSACycle.objects.filter(
        change_idea__project_id__in=ids
    ).values_list("change_idea__project_id", "stage", "decision"):
        c = cycles[pid]
        c["started"] += stage != PDSACycle.Stage.PLAN
        c["adopted"] += decision == PDSACycle.Decision.ADOPT
        c["open"] += stage != PDSACycle.Stage.DONE
    testing: dict[int, int] = defaultdict(int)
    for pid in ChangeIdea.objects.filter(
        project_id__in=ids,
        status__in=[ChangeIdea.Status.TESTING, ChangeIdea.Status.ADAPTED],
    ).values_list("project_id", flat=True):
        testing[pid] += 1
    for pid in ids:
        out.setdefault(pid, {"primaries": 0, "ideas": 0})
        out[pid].update(team[pid])
        out[pid].update(cycles[pid])
        out[pid]["testing"] = testing[pid]
    return out


def assess(projects: Iterable[Project]) -> dict[int, Assessment]:
    """Project id -> assessment, for many projects at once."""
    projects = list(projects)
    if not projects:
        return {}
    links = list(
        ProjectMeasure.objects.filter(project__in=projects).select_related(
            "measure", "project"
        )
    )
    states = measure_states(links)
    by_project: dict[int, dict[int, MeasureState]] = defaultdict(dict)
    for link in links:
        by_project[link.project_id][link.pk] = states[link.pk]
    counts = _counts(projects)
    return {p.pk: _assess(p, by_project[p.pk], counts[p.pk]) for p in projects}


def _assess(
    project: Project, states: dict[int, MeasureState], c: dict[str, int]
) -> Assessment:
    outcomes = [
        s for s in states.values() if s.link.role == ProjectMeasure.Role.OUTCOME
    ]
    balancing = [
        s for s in states.values() if s.link.role == ProjectMeasure.Role.BALANCING
    ]
    aim = check_aim(project, states)
    aim_state = next(
        (s for s in outcomes if s.link.measure_id == project.aim_measure_id), None
    )
    # The aim's own measure first, when it has a baseline.
    baseline = sorted(
        (s for s in outcomes if s.baseline_points >= BASELINE_POINTS),
        key=lambda s: s.link.measure_id != project.aim_measure_id,
    )
    improved = [s for s in outcomes if s.improvement_since_start]
    checks = [
        Check(
            Decimal("0.5"),
            "The project is registered",
            True,
            "Its aim is written down.",
        ),
        Check(
            Decimal("1.0"),
            "Charter and team",
            bool(project.problem.strip()) and c["leads"] > 0 and c["people"] >= 2,
            f"Problem {'described' if project.problem.strip() else 'not described'}; "
            f"{c['people']} {'person' if c['people'] == 1 else 'people'} on the team, "
            f"{'with' if c['leads'] else 'without'} a lead (a team needs at least two).",
        ),
        Check(
            Decimal("1.5"),
            "Planning: driver diagram and outcome measure",
            c["primaries"] > 0 and c["ideas"] > 0 and bool(outcomes),
            f"{c['primaries']} primary driver{'s' if c['primaries'] != 1 else ''}, "
            f"{c['ideas']} change idea{'s' if c['ideas'] != 1 else ''}, "
            f"{len(outcomes)} outcome measure{'s' if len(outcomes) != 1 else ''}.",
        ),
        Check(
            Decimal("2.0"),
            "Baseline data",
            bool(baseline),
            (
                f"{baseline[0].measure.name} has {baseline[0].baseline_points} points before the project started."
                if baseline
                else f"No outcome measure has {BASELINE_POINTS} or more points before the project started."
            ),
        ),
        Check(
            Decimal("2.5"),
            "Changes being tested",
            c["started"] > 0 and aim.checkable,
            f"{c['started']} PDSA cycle{'s' if c['started'] != 1 else ''} started; "
            + (
                "the aim can be checked against its measure."
                if aim.checkable
                else aim.text
            ),
        ),
        Check(
            Decimal("3.0"),
            "A change tested successfully",
            c["adopted"] > 0,
            f"{c['adopted']} cycle{'s' if c['adopted'] != 1 else ''} ended in 'adopt'.",
        ),
        Check(
            Decimal("3.5"),
            "Improvement on the outcome measure",
            bool(improved),
            (
                f"Special cause improvement on {', '.join(s.measure.name for s in improved)} since the project started."
                if improved
                else "No special cause improvement on an outcome measure since the project started."
            ),
        ),
        Check(
            Decimal("4.0"),
            "Significant improvement: the aim is met",
            aim.status == "met" and len(improved) * 2 >= len(outcomes),
            aim.text,
        ),
        Check(
            Decimal("4.5"),
            "Improvement sustained",
            aim_state is not None and aim_state.sustained and aim.status == "met",
            (
                f"The latest {RECENT_POINTS} points of {aim_state.measure.name} are all better than the baseline mean ({aim_state.fmt(aim_state.baseline_mean)})."
                if aim_state is not None and aim_state.sustained
                else f"Not yet {RECENT_POINTS} points in a row better than the baseline mean on the aim's measure."
            ),
        ),
        Check(
            Decimal("5.0"),
            "Outstanding sustainable results",
            bool(outcomes)
            and all(s.sustained_long for s in outcomes)
            and c["testing"] == 0
            and c["open"] == 0
            and project.status in (Project.Status.SUSTAINING, Project.Status.COMPLETED),
            f"Every outcome measure better than its baseline for {2 * RECENT_POINTS} points, every change decided, and the project sustaining or completed.",
        ),
    ]
    suggested = Decimal("0.5")
    for check in checks:
        if not check.met:
            break
        suggested = check.score
    alerts = [s for s in balancing if s.concern_recent]
    cautions = []
    if not balancing:
        cautions.append(
            "No balancing measure: the project cannot see whether its changes cause harm elsewhere."
        )
    for s in alerts:
        cautions.append(
            f"Special cause concern on the balancing measure {s.measure.name} in the latest {RECENT_POINTS} points: check the changes are not causing it."
        )
    stalled = project.is_stalled()
    if stalled:
        cautions.append(
            f"No activity recorded since {timezone.localtime(project.last_activity_at):%d %B %Y}: the project is stalled."
        )
    return Assessment(
        project=project,
        states=states,
        aim=aim,
        checks=checks,
        suggested=suggested,
        cautions=cautions,
        balancing_alerts=alerts,
        no_balancing=not balancing,
        stalled=stalled,
    )


def latest_scores(projects: Iterable[Project]) -> dict[int, ProgressScore]:
    """Project id -> its latest self-assessed ProgressScore (or absent)."""
    out: dict[int, ProgressScore] = {}
    for s in ProgressScore.objects.filter(project__in=list(projects)).order_by(
        "project_id", "-assessed_on", "-created_at", "-id"
    ):
        out.setdefault(s.project_id, s)
    return out


def weeks_since(when: dt.datetime) -> int:
    return int((timezone.now() - when).days // 7)
