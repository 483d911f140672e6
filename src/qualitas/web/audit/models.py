"""The audit log: who changed what, when, and the values before and after."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Events about organisations where the user may read the audit log."""
        from qualitas.web.accounts.permissions import Permission
        from qualitas.web.authorization import organisation_ids

        return self.about(organisation_ids(user, Permission.VIEW_AUDIT_LOG))

    def about(self, organisation_ids):
        """Events whose organisation, or one of whose other organisations concerned,
        is among ``organisation_ids`` (no duplicates: a subquery, not a join)."""
        also = AuditEvent.organisations.through.objects.filter(
            auditevent_id=models.OuterRef("pk"), organisation_id__in=organisation_ids
        )
        return self.filter(
            models.Q(organisation_id__in=organisation_ids) | models.Exists(also)
        )


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The name is kept as text too, so the log still reads well if the account goes.
    by_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(
        max_length=60, db_index=True
    )  # e.g. "observation.entered"
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Every other organisation the event concerns, so that each one's administrators
    # see it: a sign-in or password reset of someone who belongs to several.
    organisations = models.ManyToManyField(
        "organisations.Organisation", blank=True, related_name="+"
    )
    summary = models.CharField(max_length=500)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.by_name or 'system'}: {self.summary}"

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for fields whose value changed."""
        before = self.before if isinstance(self.before, dict) else {}
        after = self.after if isinstance(self.after, dict) else {}
        keys = list(dict.fromkeys([*before, *after]))
        return [
            (k, before.get(k), after.get(k))
            for k in keys
            if before.get(k) != after.get(k)
        ]
