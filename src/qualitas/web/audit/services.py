"""Recording audit events. Every service that changes data calls ``record``."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.forms.models import model_to_dict

from qualitas.web.audit.models import AuditEvent


def snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model's field values as JSON-ready data, for the before/after of an event."""
    data = model_to_dict(obj, exclude=["password", *exclude])
    return {k: jsonable(v) for k, v in data.items()}


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def record(
    *,
    by: Any,
    action: str,
    obj: models.Model | None = None,
    summary: str,
    organisation: Any = None,
    organisations: Iterable[Any] = (),
    before: Any = None,
    after: Any = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    prepared: bool = False,
    by_name: str | None = None,
) -> AuditEvent:
    """Write one audit event. Call inside the same transaction as the change.

    ``organisations``: other organisations (or their ids) the event concerns; their
    administrators see it too. ``prepared``: ``before`` and ``after`` already hold
    only JSON types (large payloads, such as the rows an import replaced, skip the
    conversion). ``by_name``: who acted, when no one was signed in (e.g.
    "anonymous" for a failed sign-in); "system" otherwise."""
    user = by if getattr(by, "is_authenticated", False) else None
    if organisation is None and obj is not None:
        organisation = getattr(obj, "organisation", None)
        if organisation is None and obj.__class__.__name__ == "Organisation":
            organisation = obj
    event = AuditEvent.objects.create(
        by=user,
        by_name=(user.get_username() if user else by_name or "system"),
        action=action,
        object_type=object_type or (obj._meta.label if obj is not None else ""),
        object_id=str(
            object_id if object_id is not None else (obj.pk if obj is not None else "")
        ),
        object_repr=(str(obj) if obj is not None else "")[:300],
        organisation=organisation,
        summary=summary[:500],
        before=before if prepared else jsonable(before),
        after=after if prepared else jsonable(after),
    )
    main = getattr(organisation, "pk", organisation)
    others = {getattr(o, "pk", o) for o in organisations} - {main, None}
    if others:
        event.organisations.add(*others)
    return event


def organisations_of(user: Any) -> set[int]:
    """The organisations a person belongs to: an event about their account concerns
    the administrators of each."""
    if user is None or getattr(user, "pk", None) is None:
        return set()
    return set(user.memberships.values_list("organisation_id", flat=True))
