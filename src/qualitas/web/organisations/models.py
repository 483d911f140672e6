"""Organisations (ICB/system, trust, practice), their units, and who belongs where."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qualitas.web.accounts.permissions import ROLE_CHOICES, ROLES


class Organisation(models.Model):
    class Kind(models.TextChoices):
        SYSTEM = "system", "Integrated care board (system)"
        TRUST = "trust", "Trust"
        PRACTICE = "practice", "General practice"

    name = models.CharField(max_length=200)
    ods_code = models.CharField(
        "ODS code",
        max_length=12,
        unique=True,
        help_text="The Organisation Data Service code, e.g. RAE or QWO.",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The system (ICB) a trust or practice belongs to.",
    )
    accepts_access_requests = models.BooleanField(
        default=False,
        help_text="People who sign in with single sign-on and have no account may "
        "ask to join; an administrator approves each request.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")),
                name="organisation_not_own_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_system(self) -> bool:
        return self.kind == self.Kind.SYSTEM


class Unit(models.Model):
    """A ward, department, service or site within an organisation."""

    class Kind(models.TextChoices):
        WARD = "ward", "Ward"
        DEPARTMENT = "department", "Department"
        SERVICE = "service", "Service"
        SITE = "site", "Site"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="units"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.WARD)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="unit_name_unique_in_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.ods_code})"


class Membership(models.Model):
    """A person's role in an organisation; a role in a system reaches its members too."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.role_name} at {self.organisation}"

    @property
    def role_name(self) -> str:
        role = ROLES.get(self.role)
        return role.name if role else self.role


class PeerGroup(models.Model):
    """A set of organisations a person chooses to compare their own with (trusts of
    a similar size and case mix, say). It names organisations only; what is drawn of
    them is still decided by each measure's sharing."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peer_groups"
    )
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(Organisation, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], name="peer_group_name_unique_for_owner"
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="peer_group_has_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name
