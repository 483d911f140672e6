"""Benefit claims: the light-to-dark-green ledger.

A claim starts *light green*: an estimate of what an improvement could be worth, with
the method behind it and the action that would make it real. It becomes *dark green*
only when a finance user of the organisation where the benefit lands signs off the
amount actually realised (a closed bed, cut agency shifts, a cancelled contract).
Until then it is potential, and the ledger never adds the two together.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from qualitas.web.measures.models import Measure
from qualitas.web.organisations.models import Organisation


class ClaimQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Claims made by, or landing in, an organisation the user may read."""
        from qualitas.web.accounts.permissions import Permission
        from qualitas.web.authorization import organisation_ids

        orgs = organisation_ids(user, Permission.VIEW_MEASURES)
        return self.filter(Q(organisation_id__in=orgs) | Q(lands_in_id__in=orgs))


class BenefitClaim(models.Model):
    class Kind(models.TextChoices):
        CASH = "cash", "Cash-releasing"
        CAPACITY = "capacity", "Capacity released"
        AVOIDED = "avoided", "Cost avoided"
        QUALITY = "quality", "Quality only (no money)"

    class Status(models.TextChoices):
        ESTIMATED = "estimated", "Light green: estimated"
        CONVERTING = "converting", "Light green: being converted"
        REALISED = "realised", "Dark green: realised, signed off by finance"
        NOT_REALISED = "not_realised", "Not realised (finance)"

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="benefit_claims",
        help_text="The organisation whose improvement work makes the claim.",
    )
    lands_in = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="benefits_landing",
        verbose_name="where the benefit lands",
        help_text="The organisation in the system whose budget would see it: a "
        "hospital's work may save money for the ICB or a community trust.",
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="benefit_claims",
        help_text="The improvement project whose work makes the benefit.",
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.TextField(blank=True)
    financial_year = models.CharField(
        max_length=7, blank=True, help_text="The year the benefit is for, e.g. 2025/26."
    )
    # Light green
    estimate_amount = models.DecimalField(
        "light green estimate (£)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What the improvement could be worth in a year, in pounds.",
    )
    estimate_quantity = models.DecimalField(
        "capacity or events",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="e.g. 1,200 bed days released, or 40 falls avoided.",
    )
    quantity_unit = models.CharField(
        max_length=60, blank=True, help_text="e.g. bed days, falls, clinic sessions."
    )
    method = models.TextField(
        "how the estimate was made",
        help_text="The data, the comparison and the unit cost behind the figure.",
    )
    conversion = models.TextField(
        "the action that would make it real",
        blank=True,
        help_text="What must happen for finance to see the money: close a bed, cut "
        "agency shifts, stop a contract, or count the extra activity.",
    )
    owner = models.CharField(max_length=150, help_text="Who will convert it.")
    budget_line = models.CharField(
        max_length=150, blank=True, help_text="The budget that would change."
    )
    evidence_measure = models.ForeignKey(
        Measure,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A cost or activity measure whose SPC chart shows the change.",
    )
    changed_from = models.DateField(
        null=True,
        blank=True,
        help_text="The month the change was made (marked on the evidence chart).",
    )
    # What a funnel-plot opportunity said, when the claim started from one.
    opportunity = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.ESTIMATED
    )
    # Dark green: only finance sets these (see services.sign_off).
    realised_amount = models.DecimalField(
        "dark green realised (£)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="claim_has_title"),
            models.CheckConstraint(condition=~Q(method=""), name="claim_has_method"),
            models.CheckConstraint(condition=~Q(owner=""), name="claim_has_owner"),
            models.CheckConstraint(
                condition=Q(estimate_amount__isnull=True) | Q(estimate_amount__gte=0),
                name="claim_estimate_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(realised_amount__isnull=True) | Q(realised_amount__gte=0),
                name="claim_realised_not_negative",
            ),
            # Dark green exactly when finance has signed off an amount.
            models.CheckConstraint(
                condition=(
                    Q(status="realised")
                    & Q(realised_amount__isnull=False)
                    & Q(signed_off_by__isnull=False)
                    & Q(signed_off_at__isnull=False)
                )
                | (~Q(status="realised") & Q(realised_amount__isnull=True)),
                name="claim_realised_only_when_signed_off",
            ),
            models.CheckConstraint(
                condition=~Q(status="not_realised")
                | (Q(signed_off_by__isnull=False) & Q(signed_off_at__isnull=False)),
                name="claim_not_realised_decided_by_finance",
            ),
            models.CheckConstraint(
                condition=~Q(kind="quality") | Q(estimate_amount__isnull=True),
                name="claim_quality_only_has_no_money",
            ),
            models.CheckConstraint(
                condition=Q(estimate_quantity__isnull=True) | ~Q(quantity_unit=""),
                name="claim_quantity_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_dark_green(self) -> bool:
        return self.status == self.Status.REALISED

    @property
    def is_decided(self) -> bool:
        return self.status in (self.Status.REALISED, self.Status.NOT_REALISED)

    @property
    def lands_elsewhere(self) -> bool:
        return self.lands_in_id != self.organisation_id

    @property
    def conversion_share(self) -> Decimal | None:
        """Realised as a share of the estimate, once signed off."""
        if self.realised_amount is None or not self.estimate_amount:
            return None
        return self.realised_amount / self.estimate_amount
