"""Improvement projects run with the Model for Improvement.

A project has an aim (what, how much, by when) checkable against its outcome measure,
a team with roles, patient and carer partners with an agreed role and an involvement
log, a driver diagram (aim, primary and secondary drivers, change ideas), measures in
the roles outcome, process and balancing, PDSA cycles per change idea, and a history of
self-assessed IHI progress scores. Change ideas can spread to other units and
organisations, and their adoption is tracked.

Who may do what to a project is decided by its rule in
:mod:`qualitas.web.authorization.projects`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from qualitas.web.measures.models import Measure
from qualitas.web.organisations.models import Organisation, Unit

# The IHI progress scale (as used by Life QI): score -> (label, meaning).
PROGRESS_LEVELS: dict[Decimal, tuple[str, str]] = {
    Decimal("0.5"): (
        "Intent to participate",
        "The project is identified; there is no charter or team yet.",
    ),
    Decimal("1.0"): (
        "Charter and team established",
        "The charter is agreed and people are assigned; no work done yet.",
    ),
    Decimal("1.5"): (
        "Planning begun",
        "Resources, focus, materials and a meeting schedule are being organised.",
    ),
    Decimal("2.0"): (
        "Activity, but no changes",
        "Learning under way: baseline data, studying the process, surveys.",
    ),
    Decimal("2.5"): (
        "Changes tested, no improvement yet",
        "Tests of change have started; most goals have a measure charted against a target.",
    ),
    Decimal("3.0"): (
        "Modest improvement",
        "Some changes tested successfully and implemented on a small scale; early signs of improvement.",
    ),
    Decimal("3.5"): (
        "Improvement",
        "Testing and implementation continue; the measures move further towards the goals.",
    ),
    Decimal("4.0"): (
        "Significant improvement",
        "Expected results reached for major parts of the system; implementation (training, communication) has begun; at least half the goals met.",
    ),
    Decimal("4.5"): (
        "Sustainable improvement",
        "Key measures show the improvement being sustained.",
    ),
    Decimal("5.0"): (
        "Outstanding sustainable results",
        "All implementation complete, all goals met, and changes made to keep the gains.",
    ),
}
PROGRESS_CHOICES = [(k, f"{k} – {v[0]}") for k, v in PROGRESS_LEVELS.items()]

# A project with no recorded activity for this long is flagged as stalled.
STALLED_AFTER = dt.timedelta(weeks=8)


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Projects the user may see (see :meth:`Project.allows`), as one query."""
        from qualitas.web.authorization import visible_project_filter

        return self.filter(visible_project_filter(user)).distinct()

    def open(self):
        return self.filter(status__in=Project.OPEN_STATUSES)

    def stalled(self, now: dt.datetime | None = None):
        cutoff = (now or timezone.now()) - STALLED_AFTER
        return self.open().filter(last_activity_at__lt=cutoff)


class Project(models.Model):
    class Method(models.TextChoices):
        MODEL_FOR_IMPROVEMENT = "mfi", "Model for Improvement"
        LEAN = "lean", "Lean"
        SIX_SIGMA = "six_sigma", "Six Sigma"
        EXPERIENCE_BASED_CO_DESIGN = "ebcd", "Experience-based co-design"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        TESTING = "testing", "Testing changes"
        SUSTAINING = "sustaining", "Implementing and sustaining"
        ON_HOLD = "on_hold", "On hold"
        COMPLETED = "completed", "Completed"
        CLOSED = "closed", "Closed without completing"

    class Sharing(models.TextChoices):
        ORGANISATION = "organisation", "People in the organisation"
        SYSTEM = "system", "People in every organisation of the system"
        EVERYONE = "everyone", "Everyone who can sign in to qualitas"

    OPEN_STATUSES = (Status.PLANNING, Status.TESTING, Status.SUSTAINING)

    uid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="A lasting identity, kept when the project is exported and imported.",
    )
    title = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="projects"
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
        help_text="The ward, department or service, if the project is in one.",
    )
    problem = models.TextField(
        blank=True, help_text="What is wrong now, for whom, and how we know."
    )
    # The aim, structured so it can be checked against the outcome measure.
    aim_what = models.TextField(
        "what we will achieve",
        help_text="e.g. Reduce inpatient falls on Ward 5.",
    )
    aim_measure = models.ForeignKey(
        Measure,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="aimed_at_by",
        help_text="The outcome measure that shows whether the aim is met.",
    )
    aim_value = models.FloatField(
        "how much",
        null=True,
        blank=True,
        help_text="The level the outcome measure should reach, in its own units.",
    )
    aim_by = models.DateField(
        "by when", null=True, blank=True, help_text="The month the aim should be met."
    )
    method = models.CharField(
        max_length=12, choices=Method.choices, default=Method.MODEL_FOR_IMPROVEMENT
    )
    priority = models.CharField(
        "strategic priority",
        max_length=100,
        blank=True,
        help_text="The organisation's strategic priority the project serves.",
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PLANNING
    )
    sharing = models.CharField(
        "who else may read it",
        max_length=12,
        choices=Sharing.choices,
        default=Sharing.ORGANISATION,
    )
    started_on = models.DateField(default=dt.date.today)
    ended_on = models.DateField(null=True, blank=True)
    imported_from = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where an imported project came from (organisation and file).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(
        default=timezone.now,
        db_index=True,
        help_text="The last time anyone recorded work on the project.",
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="project_has_title"),
            models.CheckConstraint(condition=~Q(aim_what=""), name="project_has_aim"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="project_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_stalled(self, now: dt.datetime | None = None) -> bool:
        return self.is_open and (
            (now or timezone.now()) - self.last_activity_at > STALLED_AFTER
        )

    def aim_sentence(self) -> str:
        """The aim in one sentence: what, how much and by when."""
        text = self.aim_what.strip().rstrip(".")
        if self.aim_measure_id and self.aim_value is not None:
            unit = self.aim_measure.unit.strip()
            gap = "" if unit.startswith("%") else " "
            text += f", reaching {self.aim_value:g}{gap}{unit}".rstrip()
        if self.aim_by:
            text += f" by {self.aim_by:%B %Y}"
        return text + "."


class TeamMember(models.Model):
    class Role(models.TextChoices):
        SPONSOR = "sponsor", "Sponsor"
        LEAD = "lead", "Project lead"
        MEMBER = "member", "Team member"
        COACH = "coach", "QI coach"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_roles"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_on = models.DateField(default=dt.date.today)

    class Meta:
        ordering = ["project", "role", "user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], name="team_member_once_per_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class ProjectInvitation(models.Model):
    """Someone from outside the project's organisation asked to join its team: they
    join only when an administrator of their own organisation approves."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="project_invitations",
    )
    role = models.CharField(max_length=10, choices=TeamMember.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-invited_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"],
                condition=Q(status="pending"),
                name="one_pending_invitation_per_person",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="decided_invitation_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} to {self.project} ({self.get_status_display()})"


class PatientPartner(models.Model):
    """A patient or carer on the project, with the role agreed with them."""

    class Kind(models.TextChoices):
        PATIENT = "patient", "Patient"
        CARER = "carer", "Carer"
        PUBLIC = "public", "Member of the public"

    class Access(models.TextChoices):
        SUMMARY = "summary", "The aim, driver diagram, involvement log and progress"
        READ = "read", "Everything in the project, read only"
        CONTRIBUTE = "contribute", "Everything, and adds to the involvement log"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="partners"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="partnerships",
        help_text="Their qualitas account, if they have one.",
    )
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PATIENT)
    agreed_role = models.TextField(
        help_text="What they agreed to do, e.g. co-design the discharge leaflet and join fortnightly meetings."
    )
    support = models.TextField(
        blank=True,
        help_text="Training, expenses and support agreed with them.",
    )
    access = models.CharField(
        "what they see in qualitas",
        max_length=10,
        choices=Access.choices,
        default=Access.SUMMARY,
    )
    joined_on = models.DateField(default=dt.date.today)
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(agreed_role=""), name="partner_has_agreed_role"
            ),
            models.UniqueConstraint(
                fields=["project", "user"],
                condition=Q(user__isnull=False),
                name="partner_account_once_per_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"

    @property
    def is_current(self) -> bool:
        return self.left_on is None or self.left_on >= dt.date.today()


class InvolvementEntry(models.Model):
    """'You said, we did': what patients and carers said and what the team did."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="involvement"
    )
    partner = models.ForeignKey(
        PatientPartner,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
    )
    on = models.DateField("date", default=dt.date.today)
    you_said = models.TextField("you said")
    we_did = models.TextField("we did", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name_plural = "involvement entries"
        constraints = [
            models.CheckConstraint(
                condition=~Q(you_said=""), name="involvement_has_what_was_said"
            )
        ]

    def __str__(self) -> str:
        return f"{self.on:%d %b %Y}: {self.you_said[:60]}"


class DriverNode(models.Model):
    """A primary driver (no parent) or a secondary driver (under a primary)."""

    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary driver"
        SECONDARY = "secondary", "Secondary driver"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="drivers"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["project", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="driver_has_text"),
            # Primaries hang off the aim; secondaries off a primary.
            models.CheckConstraint(
                condition=Q(kind="primary", parent__isnull=True)
                | Q(kind="secondary", parent__isnull=False),
                name="driver_kind_matches_parent",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")), name="driver_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class ChangeIdeaQuerySet(models.QuerySet):
    def visible_to(self, user):
        from qualitas.web.authorization import visible_project_filter

        return self.filter(visible_project_filter(user, prefix="project__")).distinct()


class ChangeIdea(models.Model):
    class Status(models.TextChoices):
        IDEA = "idea", "Not tested yet"
        TESTING = "testing", "Being tested"
        ADOPTED = "adopted", "Adopted"
        ADAPTED = "adapted", "Adapted, testing again"
        ABANDONED = "abandoned", "Abandoned"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="change_ideas"
    )
    drivers = models.ManyToManyField(
        DriverNode,
        blank=True,
        related_name="change_ideas",
        help_text="The drivers this change works on (usually secondary drivers).",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.IDEA
    )
    adapted_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="adaptations",
        help_text="The idea this one was adapted from.",
    )
    spread_from = models.ForeignKey(
        "Spread",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Set when the idea came to this project from another one.",
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ChangeIdeaQuerySet.as_manager()

    class Meta:
        ordering = ["project", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""), name="change_idea_has_title"
            ),
            models.CheckConstraint(
                condition=~Q(adapted_from=F("id")), name="change_idea_not_own_source"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PDSACycle(models.Model):
    """One Plan-Do-Study-Act cycle testing a change idea.

    The prediction is written in the plan and is fixed once the test starts: a
    service refuses to change it, and so does the database (a trigger added in the
    migration), so Study always compares the result with what was really expected.
    """

    class Stage(models.TextChoices):
        PLAN = "plan", "Planning"
        DO = "do", "Testing (do)"
        STUDY = "study", "Studying the results"
        DONE = "done", "Decided (act)"

    class Decision(models.TextChoices):
        ADOPT = "adopt", "Adopt"
        ADAPT = "adapt", "Adapt"
        ABANDON = "abandon", "Abandon"

    class Outcome(models.TextChoices):
        AS_PREDICTED = "yes", "As predicted"
        PARTLY = "partly", "Partly as predicted"
        NOT_AS_PREDICTED = "no", "Not as predicted"

    change_idea = models.ForeignKey(
        ChangeIdea, on_delete=models.CASCADE, related_name="cycles"
    )
    number = models.PositiveIntegerField(help_text="Cycle 1, 2, 3… for this idea.")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_cycle",
        help_text="The cycle this one follows (after 'adapt' or to test at a larger scale).",
    )
    stage = models.CharField(max_length=6, choices=Stage.choices, default=Stage.PLAN)
    # Plan
    question = models.TextField(
        "question", blank=True, help_text="What question will this test answer?"
    )
    prediction = models.TextField(
        blank=True,
        help_text="What you expect to happen, written before the test starts. It cannot be changed once the test starts.",
    )
    tasks = models.TextField(
        blank=True, help_text="Who does what, when and where to run the test."
    )
    data_plan = models.TextField(
        "data collection plan",
        blank=True,
        help_text="What will be measured, by whom, when and where.",
    )
    measures = models.ManyToManyField(
        "ProjectMeasure",
        blank=True,
        related_name="cycles",
        help_text="The project measures that will judge the test.",
    )
    planned_start = models.DateField()
    planned_end = models.DateField()
    prediction_recorded_at = models.DateTimeField(null=True, blank=True)
    # Do
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    as_planned = models.BooleanField("carried out as planned", null=True, blank=True)
    what_happened = models.TextField(
        blank=True, help_text="What happened: observations, problems, surprises."
    )
    # Study
    result = models.TextField(
        blank=True, help_text="What the data showed, compared with the prediction."
    )
    outcome = models.CharField(
        "compared with the prediction",
        max_length=6,
        choices=Outcome.choices,
        blank=True,
    )
    learning = models.TextField(blank=True, help_text="What we learnt.")
    # Act
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(
        "why, and what next",
        blank=True,
        help_text="Why this decision; for 'abandon', why the idea did not work.",
    )
    decided_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["change_idea", "number"]
        verbose_name = "PDSA cycle"
        constraints = [
            models.UniqueConstraint(
                fields=["change_idea", "number"], name="pdsa_number_unique_per_idea"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="pdsa_has_title"),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")),
                name="pdsa_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=False, ended_on__gte=F("started_on")),
                name="pdsa_ended_after_started",
            ),
            # No test starts without a question and a prediction written down.
            models.CheckConstraint(
                condition=Q(stage="plan")
                | (
                    ~Q(question="")
                    & ~Q(prediction="")
                    & Q(prediction_recorded_at__isnull=False)
                    & Q(started_on__isnull=False)
                ),
                name="pdsa_prediction_before_do",
            ),
            # Study needs the test to have ended and a result.
            models.CheckConstraint(
                condition=Q(stage__in=["plan", "do"])
                | (Q(ended_on__isnull=False) & ~Q(result="") & ~Q(outcome="")),
                name="pdsa_study_has_result",
            ),
            # A decision exactly when the cycle is done; abandoning says why.
            models.CheckConstraint(
                condition=(
                    Q(stage="done") & ~Q(decision="") & Q(decided_on__isnull=False)
                )
                | (~Q(stage="done") & Q(decision="")),
                name="pdsa_decision_when_done",
            ),
            models.CheckConstraint(
                condition=~Q(decision="abandon") | ~Q(decision_reason=""),
                name="pdsa_abandon_says_why",
            ),
            models.CheckConstraint(
                condition=~Q(previous=F("id")), name="pdsa_not_own_previous"
            ),
        ]

    def __str__(self) -> str:
        return f"Cycle {self.number}: {self.title}"

    @property
    def project(self) -> Project:
        return self.change_idea.project

    @property
    def prediction_locked(self) -> bool:
        return self.stage != self.Stage.PLAN

    def earliest_start(self) -> dt.date:
        """The first day the test may be recorded as started: the day its prediction
        was recorded (today, if it has not been written yet). A test entered as
        started before then would claim a prediction made before it that was not."""
        if self.prediction_recorded_at is None:
            return timezone.localdate()
        return timezone.localdate(self.prediction_recorded_at)

    @property
    def prediction_order(self) -> str:
        """How the recorded prediction stands to the start of the test: "before",
        "same_day", "after" (cycles entered before starts were checked), or ""
        while either is unknown. The cycle page words its claim from this."""
        if self.started_on is None or self.prediction_recorded_at is None:
            return ""
        recorded = timezone.localdate(self.prediction_recorded_at)
        if recorded < self.started_on:
            return "before"
        return "same_day" if recorded == self.started_on else "after"

    def dates(self) -> tuple[dt.date, dt.date]:
        """When the test ran (or is planned to run)."""
        start = self.started_on or self.planned_start
        end = self.ended_on or (
            self.planned_end
            if self.stage == self.Stage.PLAN
            else max(start, dt.date.today())
        )
        return start, max(start, end)


class ProjectMeasure(models.Model):
    """A measure the project watches, in the role it plays for this project."""

    class Role(models.TextChoices):
        OUTCOME = "outcome", "Outcome"
        PROCESS = "process", "Process"
        BALANCING = "balancing", "Balancing"

    class Chart(models.TextChoices):
        RUN = "run", "Run chart"
        CONTROL = "control", "Control chart"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="project_measures"
    )
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="project_links"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Whose chart: usually the project's organisation.",
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The ward's own chart, if the data are kept by ward.",
    )
    note = models.CharField(
        max_length=300, blank=True, help_text="Why this measure, for this project."
    )
    # The Model for Improvement starts on a run chart and moves to a control chart
    # once there is a baseline; the team decides when, and says why.
    chart = models.CharField(
        "chart on the project's pages",
        max_length=10,
        choices=Chart.choices,
        default=Chart.RUN,
    )
    chart_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    chart_decided_at = models.DateTimeField(null=True, blank=True)
    chart_reason = models.TextField(
        "why", blank=True, help_text="Why the chart was chosen."
    )

    class Meta:
        ordering = ["project", "role", "measure__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "measure"], name="project_measure_once"
            ),
            models.CheckConstraint(
                condition=Q(chart__in=["run", "control"]),
                name="project_measure_chart_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure.name} ({self.get_role_display().lower()})"

    # Rare events are charted as the gaps between them from the start: a run chart
    # of event dates would mean nothing.
    EVENT_CHART_TYPES = ("g", "t")

    @property
    def control_chart_type(self) -> str:
        """The control chart this measure moves to: the register's chart type, or
        XmR when the register keeps it on a run chart."""
        chart_type = self.measure.chart_type
        return "xmr" if chart_type == "run" else chart_type

    @property
    def charts_events(self) -> bool:
        return self.measure.chart_type in self.EVENT_CHART_TYPES

    @property
    def chart_type(self) -> str:
        """The chart type drawn on the project's pages."""
        if self.chart == self.Chart.RUN and not self.charts_events:
            return "run"
        return self.control_chart_type


class ProgressScore(models.Model):
    """A self-assessed IHI progress score; the history is every row."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="progress_scores"
    )
    score = models.DecimalField(
        max_digits=2, decimal_places=1, choices=PROGRESS_CHOICES
    )
    assessed_on = models.DateField(default=dt.date.today)
    note = models.TextField(blank=True, help_text="The evidence for this score.")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project", "-assessed_on", "-created_at", "-id"]
        get_latest_by = ["assessed_on", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__in=list(PROGRESS_LEVELS)),
                name="progress_score_on_ihi_scale",
            )
        ]

    def __str__(self) -> str:
        return f"{self.score} on {self.assessed_on:%d %b %Y}"

    @property
    def label(self) -> str:
        return PROGRESS_LEVELS[Decimal(self.score)][0]


class Spread(models.Model):
    """A change idea offered to another unit or organisation, and how far it got."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        TESTING = "testing", "Being tested there"
        ADOPTED = "adopted", "Adopted there"
        NOT_ADOPTED = "not_adopted", "Not adopted"

    change_idea = models.ForeignKey(
        ChangeIdea, on_delete=models.CASCADE, related_name="spreads"
    )
    to_organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="spreads_received"
    )
    to_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="spreads_received",
        help_text="The project that took the idea up there, if any.",
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OFFERED
    )
    note = models.TextField(blank=True)
    offered_on = models.DateField(default=dt.date.today)
    adopted_on = models.DateField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-offered_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="adopted", adopted_on__isnull=False)
                | (~Q(status="adopted") & Q(adopted_on__isnull=True)),
                name="spread_adopted_on_when_adopted",
            ),
        ]

    def __str__(self) -> str:
        where = self.to_unit.name if self.to_unit_id else self.to_organisation.name
        return f"{self.change_idea} → {where}"
