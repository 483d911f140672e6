"""Adding organisations, from their ODS codes where the offline lookup knows them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from qualitas.web.audit.services import record, snapshot
from qualitas.web.organisations import ods
from qualitas.web.organisations.models import Organisation


def _create(*, by: Any, by_name: str | None, **fields: Any) -> Organisation:
    org = Organisation.objects.create(**fields)
    record(
        by=by,
        by_name=by_name,
        action="organisation.added",
        obj=org,
        organisation=org,
        summary=f"Added {org.name} ({org.ods_code})",
        after=snapshot(org),
    )
    return org


@transaction.atomic
def add_from_ods(
    *,
    by: Any,
    code: str,
    name: str = "",
    parent: str = "",
    kind: str = "",
    by_name: str | None = None,
) -> tuple[Organisation, list[Organisation]]:
    """The organisation with this ODS code, added if it is new, with its ICB first.

    A code the offline lookup knows takes its kind and ICB from there (and its name,
    unless ``name`` gives another); an unknown code needs ``name``, and takes
    ``parent`` (the ODS code of its ICB, added too if the lookup knows it) and
    ``kind`` (default trust). Returns the organisation and
    every organisation this call added (none if it was already there)."""
    code = code.strip().upper()
    if not code or not code.isalnum() or len(code) > 12:
        raise ValidationError(f"'{code}' is not an ODS code (letters and digits).")
    existing = Organisation.objects.filter(ods_code__iexact=code).first()
    if existing is not None:
        return existing, []
    entry = ods.lookup(code)
    if entry is None and not name.strip():
        raise ValidationError(
            f"{code} is not in the offline ODS lookup (NHS trusts and ICBs, July "
            f'2025): give its name, e.g. --organisation "{code}=Name of the '
            "organisation\" (and --parent with its ICB's code)."
        )
    added: list[Organisation] = []
    # What the lookup knows wins over the options meant for codes it does not know.
    parent_code = ((entry.parent if entry else "") or parent).strip().upper()
    parent_org = None
    if parent_code:
        parent_org, made = add_from_ods(by=by, code=parent_code, by_name=by_name)
        if not parent_org.is_system:
            raise ValidationError(
                f"{parent_org.name} ({parent_code}) is not an integrated care board, "
                "so it cannot be a parent."
            )
        added += made
    chosen_kind = entry.kind if entry else (kind or Organisation.Kind.TRUST)
    if chosen_kind not in Organisation.Kind.values:
        raise ValidationError(
            f"The kind of organisation is one of {', '.join(Organisation.Kind.values)}, "
            f"not '{chosen_kind}'."
        )
    org = _create(
        by=by,
        by_name=by_name,
        ods_code=code,
        name=name.strip() or (entry.name if entry else code),
        kind=chosen_kind,
        parent=parent_org,
    )
    return org, [*added, org]
