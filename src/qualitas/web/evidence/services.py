"""Tagging records as well-led evidence, and removing tags. Each function takes the
acting user as ``by=``, checks their permission, runs in one transaction and records
an audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction

from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import record
from qualitas.web.authorization import require
from qualitas.web.evidence import records
from qualitas.web.evidence.models import EvidenceTag
from qualitas.web.evidence.wellled import KLOES, STATEMENTS
from qualitas.web.organisations.models import Organisation


@transaction.atomic
def tag(
    *,
    by: Any,
    organisation: Organisation,
    kind: str,
    object_id: int,
    kloe: str = "",
    statement: str = "",
    note: str = "",
) -> EvidenceTag:
    require(by, Permission.TAG_EVIDENCE, organisation)
    spec = records.KINDS.get(kind)
    if spec is None or spec not in records.available():
        raise ValidationError({"kind": "That kind of record cannot be evidence."})
    if not (kloe or statement):
        raise ValidationError(
            "Choose a key line of enquiry, a quality statement, or both."
        )
    if kloe and kloe not in KLOES:
        raise ValidationError({"kloe": "Choose a key line of enquiry, W1 to W8."})
    if statement and statement not in STATEMENTS:
        raise ValidationError({"statement": "Choose a well-led quality statement."})
    model = records.model_of(spec)
    obj = model.objects.filter(pk=object_id).first()
    if obj is None:
        raise ValidationError("No such record.")
    if spec.describe(obj).organisation_id != organisation.pk:
        raise ValidationError("The record belongs to another organisation.")
    # Only what the evidence list offers qualifies (a realised saving, a cycle with
    # its learning, …), whatever id is posted.
    item = next(
        (i for i in spec.find([organisation.pk], dt.date.min) if i.obj.pk == obj.pk),
        None,
    )
    if item is None:
        raise ValidationError(f"This record cannot be evidence yet: {spec.why}")
    ct = ContentType.objects.get_for_model(model)
    if EvidenceTag.objects.filter(
        content_type=ct, object_id=obj.pk, kloe=kloe, statement=statement
    ).exists():
        raise ValidationError("The record is already tagged so.")
    evidence = EvidenceTag.objects.create(
        organisation=organisation,
        content_type=ct,
        object_id=obj.pk,
        kind=kind,
        kloe=kloe,
        statement=statement,
        summary=item.summary,
        record_date=item.date,
        url=item.url,
        note=note.strip(),
        tagged_by=by,
    )
    record(
        by=by,
        action="evidence.tagged",
        obj=evidence,
        summary=f"Tagged as well-led evidence ({' / '.join(x for x in (kloe, STATEMENTS.get(statement, '')) if x)}): {item.summary[:300]}",
        after={"kind": kind, "object_id": obj.pk, "kloe": kloe, "statement": statement},
    )
    return evidence


@transaction.atomic
def untag(*, by: Any, evidence: EvidenceTag) -> None:
    require(by, Permission.TAG_EVIDENCE, evidence.organisation)
    before = {
        "kind": evidence.kind,
        "object_id": evidence.object_id,
        "kloe": evidence.kloe,
        "statement": evidence.statement,
    }
    pk = evidence.pk
    evidence.delete()
    record(
        by=by,
        action="evidence.untagged",
        object_type="evidence.EvidenceTag",
        object_id=pk,
        organisation=evidence.organisation,
        summary=f"Removed a well-led evidence tag: {evidence.summary[:300]}",
        before=before,
    )
