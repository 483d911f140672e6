"""People and their API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    is_demo = models.BooleanField(
        default=False,
        help_text="A demonstration account: it can sign in only when QUALITAS_ENV=demo.",
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return str(self)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        """Tokens that still work: not revoked, their owner active, and not a demo
        account's unless this is a demo (its password is public)."""
        tokens = self.filter(revoked_at__isnull=True, user__is_active=True)
        return tokens if settings.DEMO_MODE else tokens.filter(user__is_demo=False)


class ApiToken(models.Model):
    """A secret for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    PREFIX = "qtk_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100,
        help_text="What the token is for, e.g. 'nightly warehouse load'.",
    )
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(
        max_length=12, help_text="The first characters, to recognise the token."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)


class AccessRequest(models.Model):
    """Someone who signed in with single sign-on, has no account, and asks to join an
    organisation. An administrator there approves it (creating the account and a
    membership with the role they choose) or declines it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an administrator"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="access_requests",
    )
    email = models.EmailField(help_text="Verified by the sign-in service.")
    name = models.CharField(max_length=150, blank=True)
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    reason = models.TextField(
        max_length=1000, help_text="What they told the administrator about their work."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    role = models.CharField(
        max_length=20, blank=True, help_text="The role given on approval."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_requests",
        help_text="The account the approval created or used.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=models.Q(status="pending"),
                name="access_request_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | models.Q(decided_at__isnull=False),
                name="access_request_decided_with_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.email} asks to join {self.organisation}"


class SsoIdentity(models.Model):
    """The identity provider's permanent id for a person (issuer and subject), saved
    the first time their verified email address links them to this account.

    Later sign-ins find the account by it, so a changed address still signs the
    person in; and an address the provider later gives to someone else (a leaver's
    reused mailbox) cannot sign that someone into this account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sso_identities",
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="sso_identity_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "issuer"], name="sso_identity_one_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.issuer}"
