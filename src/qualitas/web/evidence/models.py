"""A record tagged as evidence for the CQC well-led framework."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from qualitas.web.evidence.wellled import KLOE_CHOICES, STATEMENT_CHOICES
from qualitas.web.organisations.models import Organisation


class EvidenceTag(models.Model):
    """One record (a board decision, a learning review, an involvement entry, a
    capability assessment...) as evidence for a key line of enquiry and/or a quality
    statement. What the record says is copied when it is tagged, so the evidence list
    reads the same even if the record later goes."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="evidence_tags"
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(max_length=30)  # a key of evidence.records.KINDS
    kloe = models.CharField(
        "key line of enquiry", max_length=2, choices=KLOE_CHOICES, blank=True
    )
    statement = models.CharField(
        "quality statement", max_length=20, choices=STATEMENT_CHOICES, blank=True
    )
    summary = models.CharField(max_length=500)
    record_date = models.DateField()
    url = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True, help_text="Why this is evidence.")
    tagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    tagged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kloe", "statement", "-record_date", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kloe="") | ~Q(statement=""),
                name="evidence_tag_says_for_what",
            ),
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kloe", "statement"],
                name="evidence_tag_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kloe or self.statement}: {self.summary[:80]}"
