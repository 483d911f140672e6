"""The one permission vocabulary: what people may do, and which roles let them.

Roles are held within an organisation (a Membership). A role held in a system (ICB)
applies to every organisation in that system. ``has_permission`` in
:mod:`qualitas.web.authorization` is the only place these are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Permission(StrEnum):
    VIEW_MEASURES = "view_measures"
    EXPORT_REPORT = "export_report"
    ANNOTATE_CHART = "annotate_chart"
    ENTER_DATA = "enter_data"
    IMPORT_DATA = "import_data"
    MANAGE_MEASURES = "manage_measures"
    REBASE_CHART = "rebase_chart"
    VIEW_AUDIT_LOG = "view_audit_log"
    ADMINISTER = "administer"
    VIEW_PROJECTS = "view_projects"
    VIEW_PROJECT_WORK = "view_project_work"
    START_PROJECTS = "start_projects"
    EDIT_PROJECTS = "edit_projects"
    MANAGE_PROJECT_TEAM = "manage_project_team"
    LOG_INVOLVEMENT = "log_involvement"
    # Board governance and value (issue 6)
    PREPARE_MEETINGS = "prepare_meetings"
    ASSESS_GOVERNANCE = "assess_governance"
    RECORD_TRAINING = "record_training"
    CLAIM_BENEFITS = "claim_benefits"
    SIGN_OFF_SAVINGS = "sign_off_savings"
    TAG_EVIDENCE = "tag_evidence"

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self]


DESCRIPTIONS = {
    Permission.VIEW_MEASURES: "See the measures register, SPC charts and the integrated quality report",
    Permission.EXPORT_REPORT: "Download the integrated quality report as CSV, board packs as PDF and PowerPoint, and the well-led evidence list",
    Permission.ANNOTATE_CHART: "Add notes to points on a chart",
    Permission.ENTER_DATA: "Enter a month's value for a measure",
    Permission.IMPORT_DATA: "Upload data files and use the JSON API",
    Permission.MANAGE_MEASURES: "Define measures, targets and trajectories",
    Permission.REBASE_CHART: "Recalculate a chart's limits from a point, with a recorded reason",
    Permission.VIEW_AUDIT_LOG: "Read the audit log of every change",
    Permission.ADMINISTER: "Manage organisations, people and roles (the admin site)",
    # A project's team and patient partners hold the project ones on that project only
    # (see qualitas.web.authorization).
    Permission.VIEW_PROJECTS: "See improvement projects and their aims, driver diagrams and learning",
    Permission.VIEW_PROJECT_WORK: "See a project's tests of change, measures and charts",
    Permission.START_PROJECTS: "Start an improvement project",
    Permission.EDIT_PROJECTS: "Change improvement projects (a project's own team may change it)",
    Permission.MANAGE_PROJECT_TEAM: "Add people to a project's team and partners, and change their roles (a project's lead may too)",
    Permission.LOG_INVOLVEMENT: "Add to a project's 'you said, we did' involvement log",
    Permission.PREPARE_MEETINGS: "Set up boards and committees, freeze a meeting's quality report, write its narrative and record decisions and actions",
    Permission.ASSESS_GOVERNANCE: "Answer the QI-governance maturity and improvement capability self-assessments",
    Permission.RECORD_TRAINING: "Record how many people have been trained in quality improvement, and at what level",
    Permission.CLAIM_BENEFITS: "Record benefit claims: the light green estimate, its method and the action that would make it real",
    Permission.SIGN_OFF_SAVINGS: "Sign off the realised (dark green) amount of a benefit claim",
    Permission.TAG_EVIDENCE: "Tag records as evidence for the CQC well-led framework",
}


@dataclass(frozen=True)
class Role:
    key: str
    name: str
    description: str
    permissions: frozenset[Permission]


P = Permission
_READ = {P.VIEW_MEASURES, P.VIEW_PROJECTS, P.VIEW_PROJECT_WORK}

ROLES: dict[str, Role] = {
    r.key: r
    for r in (
        Role(
            "board_member",
            "Board member",
            "Reads the integrated quality report and asks for assurance.",
            frozenset(_READ | {P.EXPORT_REPORT, P.ASSESS_GOVERNANCE}),
        ),
        Role(
            "executive",
            "Executive",
            "Answers for measures at board and explains what the charts show.",
            frozenset(
                _READ
                | {P.EXPORT_REPORT, P.ANNOTATE_CHART, P.START_PROJECTS}
                | {P.PREPARE_MEETINGS, P.ASSESS_GOVERNANCE, P.CLAIM_BENEFITS}
                | {P.TAG_EVIDENCE}
            ),
        ),
        Role(
            "qi_lead",
            "Quality improvement lead",
            "Defines measures and targets, and rebases charts when a change has stuck.",
            frozenset(
                _READ
                | {
                    P.EXPORT_REPORT,
                    P.ANNOTATE_CHART,
                    P.ENTER_DATA,
                    P.MANAGE_MEASURES,
                    P.REBASE_CHART,
                    P.START_PROJECTS,
                    P.EDIT_PROJECTS,
                    P.MANAGE_PROJECT_TEAM,
                    P.LOG_INVOLVEMENT,
                }
                | {P.PREPARE_MEETINGS, P.ASSESS_GOVERNANCE, P.RECORD_TRAINING}
                | {P.CLAIM_BENEFITS, P.TAG_EVIDENCE}
            ),
        ),
        Role(
            "team_member",
            "Team member",
            "Enters this month's value and notes what happened on the ward.",
            frozenset(_READ | {P.ANNOTATE_CHART, P.ENTER_DATA, P.START_PROJECTS}),
        ),
        Role(
            "analyst",
            "Analyst",
            "Loads data from files and pipelines and looks after measure definitions.",
            frozenset(
                _READ
                | {
                    P.EXPORT_REPORT,
                    P.ANNOTATE_CHART,
                    P.ENTER_DATA,
                    P.IMPORT_DATA,
                    P.MANAGE_MEASURES,
                    P.REBASE_CHART,
                }
                | {P.PREPARE_MEETINGS, P.CLAIM_BENEFITS}
            ),
        ),
        Role(
            "patient_partner",
            "Patient partner",
            "Reads the measures and reports; sees the projects they are a partner on, as their agreed role allows.",
            frozenset({P.VIEW_MEASURES}),
        ),
        Role(
            "finance",
            "Finance",
            "Reads the report, especially efficiency measures, and signs off realised savings.",
            frozenset(_READ | {P.EXPORT_REPORT, P.CLAIM_BENEFITS, P.SIGN_OFF_SAVINGS}),
        ),
        Role(
            "administrator",
            "Administrator",
            "Manages organisations, people and roles, and reads the audit log.",
            # Everything but signing off savings: only finance confirms money is real.
            frozenset(Permission) - {P.SIGN_OFF_SAVINGS},
        ),
    )
}

ROLE_CHOICES = [(r.key, r.name) for r in ROLES.values()]


def roles_markdown() -> str:
    """docs/roles.md, written from ``ROLES`` and ``DESCRIPTIONS`` so that it cannot
    drift from the rules (a test compares the file with this)."""
    lines = [
        "# What each role may do",
        "",
        "<!-- Generated from qualitas.web.accounts.permissions by",
        "     `python -m qualitas.web roles --markdown > docs/roles.md`; do not edit. -->",
        "",
        "A person holds roles in an organisation (a trust, an ICB or a practice). A role",
        "held in an integrated care board applies in every organisation of that system.",
        "The same table is on the site at `/roles/`. Members of an improvement project's",
        "team, and its patient partners, also see and change that project as their",
        "team role allows, whatever their organisation role.",
        "",
    ]
    for role in ROLES.values():
        lines += [f"## {role.name}", "", role.description, ""]
        lines += [f"- {p.description}" for p in Permission if p in role.permissions]
        lines.append("")
    lines += ["## Who may do what", ""]
    header = "| may | " + " | ".join(r.name for r in ROLES.values()) + " |"
    lines += [header, "|---" * (len(ROLES) + 1) + "|"]
    for p in Permission:
        marks = ["yes" if p in r.permissions else "" for r in ROLES.values()]
        lines.append(f"| {p.description} | " + " | ".join(marks) + " |")
    return "\n".join(lines) + "\n"
