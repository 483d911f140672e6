"""Measures (the register), their observations, targets, annotations and rebases, and
the import batches that loaded the data."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from qualitas.io.validation import Rules
from qualitas.web.organisations.models import Organisation, Unit


class Domain(models.TextChoices):
    SAFE = "safe", "Safe"
    EFFECTIVE = "effective", "Effective"
    PATIENT_CENTRED = "patient_centred", "Patient-centred"
    TIMELY = "timely", "Timely"
    EFFICIENT = "efficient", "Efficient"
    EQUITABLE = "equitable", "Equitable"


class MeasureQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Measures whose definition the user may read."""
        from qualitas.web.authorization import visible_owner_ids

        return self.filter(organisation_id__in=visible_owner_ids(user))

    def search(self, text: str):
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text)
            | Q(code__icontains=text)
            | Q(description__icontains=text)
            | Q(operational_definition__icontains=text)
            | Q(owner__icontains=text)
            | Q(data_source__icontains=text)
        )


class Measure(models.Model):
    """A quality measure with its full definition (the register entry)."""

    class Type(models.TextChoices):
        OUTCOME = "outcome", "Outcome"
        PROCESS = "process", "Process"
        BALANCING = "balancing", "Balancing"

    class ChartType(models.TextChoices):
        # The values are the engine's chart names (qualitas.spc.chart), apart from
        # xmr: the Making Data Count preset of its i chart.
        RUN = "run", "Run chart (median and run rules)"
        XMR = "xmr", "XmR (Making Data Count)"
        P = "p", "p chart (proportions)"
        PP = "pp", "p′ chart (proportions with very large denominators)"
        U = "u", "u chart (rates)"
        UP = "up", "u′ chart (rates with very large denominators)"
        C = "c", "c chart (counts of events)"
        G = "g", "g chart (days between rare events)"
        T = "t", "t chart (time between rare events)"

    class Direction(models.TextChoices):
        INCREASE = "increase", "Higher is better"
        DECREASE = "decrease", "Lower is better"
        NEUTRAL = "neutral", "Neither (monitor only)"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annual"
        EVENTS = "events", "Events, each with its date"

    class Aggregation(models.TextChoices):
        RATIO = "ratio", "Sum of numerators over sum of denominators"
        SUM = "sum", "Sum of values"
        MEAN = "mean", "Mean of values"

    class Sharing(models.TextChoices):
        OWN = "own", "Not shared: each organisation sees only its own figures"
        SYSTEM = "system", "Shared within the system under its data-sharing agreement"
        PUBLISHED = (
            "published",
            "Published statistics: every organisation's figures are public",
        )

    class Burden(models.TextChoices):
        LOW = "low", "Low: extracted automatically"
        MEDIUM = "medium", "Medium: some manual steps"
        HIGH = "high", "High: counted or audited by hand"

    code = models.SlugField(
        max_length=60,
        unique=True,
        help_text="Short name used in files and the API, e.g. ae-4-hour.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(
        blank=True, help_text="Why this measure matters, in plain English."
    )
    operational_definition = models.TextField(
        help_text="Exactly what is counted, when, and what is left out."
    )
    numerator = models.CharField(
        max_length=300, blank=True, help_text="What is counted on top."
    )
    denominator = models.CharField(
        max_length=300, blank=True, help_text="What it is divided by."
    )
    domain = models.CharField(max_length=20, choices=Domain.choices)
    measure_type = models.CharField("type", max_length=12, choices=Type.choices)
    unit = models.CharField(
        max_length=60, help_text="e.g. %, per 1,000 bed days, patients."
    )
    multiplier = models.FloatField(
        default=1.0,
        help_text="Value = numerator ÷ denominator × this (100 for a percentage).",
    )
    decimals = models.PositiveSmallIntegerField(
        default=1, help_text="Decimal places to show."
    )
    chart_type = models.CharField(
        max_length=10, choices=ChartType.choices, default=ChartType.XMR
    )
    direction = models.CharField(
        "improvement direction",
        max_length=10,
        choices=Direction.choices,
        default=Direction.INCREASE,
    )
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    aggregation = models.CharField(
        max_length=10,
        choices=Aggregation.choices,
        default=Aggregation.RATIO,
        help_text="How organisations' figures combine into a system's.",
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="measures",
        help_text="The organisation that owns the definition; a system's measures are shared by its members.",
    )
    owner = models.CharField(
        max_length=150, help_text="The accountable person or role, e.g. Chief Nurse."
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_measures",
        verbose_name="owner's account",
        help_text="The owner's qualitas account: they are told by email when the "
        "latest point shows special cause concern or misses the target.",
    )
    committee = models.CharField(
        max_length=100, blank=True, help_text="The committee that reviews it."
    )
    data_source = models.TextField(
        help_text="Where the data come from, with the licence if public."
    )
    is_synthetic = models.BooleanField(
        default=False, help_text="The data are generated for demonstration, not real."
    )
    sharing = models.CharField(
        "data sharing",
        max_length=10,
        choices=Sharing.choices,
        default=Sharing.OWN,
        help_text="Whose figures a comparison (funnel plot) may show to whom: "
        "published statistics to anyone who can see the measure, shared data to "
        "the organisations of the same system, otherwise only to those who may "
        "see each organisation's own data.",
    )
    record_sd = models.FloatField(
        "standard deviation of one record",
        null=True,
        blank=True,
        help_text="For comparing mean outcomes between organisations (e.g. PROMs "
        "health gain): how much one patient's outcome varies, usually the national "
        "published figure. Leave empty for other measures.",
    )
    collection_burden = models.CharField(
        max_length=10, choices=Burden.choices, default=Burden.LOW
    )
    breakdowns = models.JSONField(
        default=list,
        blank=True,
        help_text="Groups the data can be split by, e.g. deprivation quintile, ethnicity, site.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Moved on by every write to the measure's figures, targets, baselines, notes or
    # corrections (measures/versions.py), so results kept in the cache under it are
    # never served after the data change.
    data_version = models.PositiveBigIntegerField(default=0, editable=False)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(multiplier__gt=0), name="measure_multiplier_positive"
            ),
            # g and t charts measure the gaps between dated events, and dated events
            # have no other chart: the pair is one decision.
            models.CheckConstraint(
                condition=Q(chart_type__in=["g", "t"], frequency="events")
                | (~Q(chart_type__in=["g", "t"]) & ~Q(frequency="events")),
                name="measure_events_with_rare_event_chart",
            ),
            # p, p′, u and u′ charts need each period's denominator.
            models.CheckConstraint(
                condition=~Q(chart_type__in=["p", "pp", "u", "up"])
                | Q(aggregation="ratio"),
                name="measure_ratio_chart_with_denominator",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_denominator(self) -> bool:
        return self.aggregation == self.Aggregation.RATIO

    @property
    def rules(self) -> Rules:
        """What this measure's values must be (a count, a proportion...), as the
        shared validation layer reads them."""
        return Rules.for_measure(
            aggregation=self.aggregation,
            multiplier=self.multiplier,
            decimals=self.decimals,
            unit=self.unit,
            frequency=self.frequency,
            chart_type=self.chart_type,
        )


class Target(models.Model):
    """A target value from a date on. Several steps make a trajectory; steps for one
    organisation replace the general ones for it."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="targets"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Leave empty for a target that applies to every organisation.",
    )
    starts = models.DateField(help_text="The first period the target applies to.")
    value = models.FloatField()
    note = models.CharField(
        max_length=200,
        blank=True,
        help_text="e.g. operational standard, interim trajectory.",
    )

    class Meta:
        ordering = ["measure", "organisation", "starts"]

    def __str__(self) -> str:
        return f"{self.value:g} from {self.starts:%b %Y}"


class ObservationQuerySet(models.QuerySet):
    def totals(self):
        """Whole-organisation figures: no unit, no breakdown."""
        return self.filter(unit__isnull=True, breakdown="")


class Observation(models.Model):
    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="observations"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="observations"
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="observations",
    )
    period = models.DateField(
        help_text="The first day of the month (or quarter, or year), the day, the "
        "Monday a week starts, or the date of an event."
    )
    breakdown = models.CharField(
        max_length=60,
        blank=True,
        help_text="e.g. deprivation quintile; empty for the total.",
    )
    stratum = models.CharField(
        max_length=100, blank=True, help_text="The group within the breakdown."
    )
    value = models.FloatField()
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="observations",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ObservationQuerySet.as_manager()

    class Meta:
        ordering = ["measure", "organisation", "period"]
        indexes = [models.Index(fields=["measure", "organisation", "period"])]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "organisation", "period", "breakdown", "stratum"],
                condition=Q(unit__isnull=True),
                name="observation_unique_for_organisation",
            ),
            models.UniqueConstraint(
                fields=[
                    "measure",
                    "organisation",
                    "unit",
                    "period",
                    "breakdown",
                    "stratum",
                ],
                condition=Q(unit__isnull=False),
                name="observation_unique_for_unit",
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True, denominator__isnull=True)
                | Q(numerator__isnull=False, denominator__gt=0),
                name="observation_numerator_with_positive_denominator",
            ),
            models.CheckConstraint(
                condition=Q(breakdown="", stratum="")
                | (~Q(breakdown="") & ~Q(stratum="")),
                name="observation_breakdown_with_stratum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure.code} {self.organisation.ods_code} {self.period:%Y-%m}: {self.value:g}"


class CorrectionQuerySet(models.QuerySet):
    def totals(self):
        """Corrections of whole-organisation figures: no unit, no breakdown."""
        return self.filter(unit__isnull=True, breakdown="")


class Correction(models.Model):
    """A stored value put right (corrected) or taken back (withdrawn), with the reason.

    The observation itself holds only the value in force: a correction changes it and a
    withdrawal deletes it. This record keeps the history: which value (its measure,
    organisation, unit, period and group, so it outlives a withdrawn row), what it was,
    what it became, who changed it, when and why."""

    class Kind(models.TextChoices):
        CORRECTED = "corrected", "Corrected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="corrections"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField()
    breakdown = models.CharField(max_length=60, blank=True)
    stratum = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    old_value = models.FloatField()
    old_numerator = models.FloatField(null=True, blank=True)
    old_denominator = models.FloatField(null=True, blank=True)
    new_value = models.FloatField(null=True, blank=True)
    new_numerator = models.FloatField(null=True, blank=True)
    new_denominator = models.FloatField(null=True, blank=True)
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["measure", "organisation", "period"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="correction_has_reason"
            ),
            # A correction has a new value; a withdrawal has none.
            models.CheckConstraint(
                condition=Q(kind="corrected", new_value__isnull=False)
                | Q(
                    kind="withdrawn",
                    new_value__isnull=True,
                    new_numerator__isnull=True,
                    new_denominator__isnull=True,
                ),
                name="correction_new_value_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(old_numerator__isnull=True, old_denominator__isnull=True)
                # (denominator given as well: a CHECK passes when it is unknown)
                | Q(
                    old_numerator__isnull=False,
                    old_denominator__isnull=False,
                    old_denominator__gt=0,
                ),
                name="correction_old_numerator_with_positive_denominator",
            ),
            models.CheckConstraint(
                condition=Q(new_numerator__isnull=True, new_denominator__isnull=True)
                # (denominator given as well: a CHECK passes when it is unknown)
                | Q(
                    new_numerator__isnull=False,
                    new_denominator__isnull=False,
                    new_denominator__gt=0,
                ),
                name="correction_new_numerator_with_positive_denominator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.measure.code} {self.period:%Y-%m}"

    @property
    def withdrawn(self) -> bool:
        return self.kind == self.Kind.WITHDRAWN


class Annotation(models.Model):
    """A note on one point of a chart: what happened then."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="annotations"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField()
    text = models.CharField(max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period", "created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="annotation_has_text"),
        ]

    def __str__(self) -> str:
        return f"{self.period:%b %Y}: {self.text}"


class Rebase(models.Model):
    """A new baseline from a period on, with the reason for recalculating the limits."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="rebases"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField(help_text="The first period of the new baseline.")
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "organisation", "period"],
                name="rebase_unique_period",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="rebase_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Rebased from {self.period:%b %Y}"


class ImportBatch(models.Model):
    """One attempt to load data (a file, an API call or a form), kept as history."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "File upload"
        API = "api", "JSON API"
        FORM = "form", "Entry form"

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Checked, waiting to be applied"
        REJECTED = "rejected", "Rejected: errors in the data"
        APPLIED = "applied", "Applied"
        DISCARDED = "discarded", "Discarded"

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="imports",
        help_text="The organisation the data are for (it and its members).",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    filename = models.CharField(max_length=255, blank=True)
    file_hash = models.CharField("SHA-256 of the file", max_length=64, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="The first errors found, row by row."
    )
    summary = models.JSONField(default=dict, blank=True)
    # The checked rows wait here between preview and apply, then are cleared.
    pending = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_source_display()}, {self.get_status_display().lower()})"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)
