"""Every change to benefit claims. Each function takes the acting user as ``by=``,
checks their permission, runs in one transaction and records an audit event.

The rule the ledger exists for: only a finance user of the organisation where the
benefit lands may turn a claim dark green (:func:`sign_off`), and nothing else can
set a realised amount.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import record, snapshot
from qualitas.web.authorization import has_permission, require, system_of
from qualitas.web.organisations.models import Organisation
from qualitas.web.value.models import BenefitClaim

P = Permission
EDITABLE = (
    "project",
    "lands_in",
    "title",
    "kind",
    "description",
    "financial_year",
    "estimate_amount",
    "estimate_quantity",
    "quantity_unit",
    "method",
    "conversion",
    "owner",
    "budget_line",
    "evidence_measure",
    "changed_from",
    "status",
)


def _check_lands_in(organisation: Organisation, lands_in: Organisation) -> None:
    if system_of(organisation.pk) != system_of(lands_in.pk):
        raise ValidationError(
            {"lands_in": "The benefit must land in an organisation of the same system."}
        )


def _check_project(claim: BenefitClaim) -> None:
    if claim.project_id and claim.project.organisation_id != claim.organisation_id:
        raise ValidationError(
            {"project": "Choose a project of the organisation making the claim."}
        )


def _clean(claim: BenefitClaim) -> None:
    _check_project(claim)
    if claim.kind == BenefitClaim.Kind.QUALITY and claim.estimate_amount is not None:
        raise ValidationError(
            {
                "estimate_amount": "A quality-only claim has no money: leave the estimate empty."
            }
        )
    if claim.estimate_quantity is not None and not claim.quantity_unit.strip():
        raise ValidationError(
            {"quantity_unit": "Say what the quantity counts, e.g. bed days."}
        )
    if claim.kind == BenefitClaim.Kind.CAPACITY and claim.estimate_quantity is None:
        raise ValidationError(
            {
                "estimate_quantity": "Say how much capacity is released, e.g. 1,200 bed days."
            }
        )
    if claim.status not in (
        BenefitClaim.Status.ESTIMATED,
        BenefitClaim.Status.CONVERTING,
    ):
        raise ValidationError(
            {"status": "Only finance can record a claim as realised or not."}
        )
    claim.full_clean()


@transaction.atomic
def create_claim(
    *, by: Any, organisation: Organisation, lands_in: Organisation, **fields: Any
) -> BenefitClaim:
    require(by, P.CLAIM_BENEFITS, organisation)
    _check_lands_in(organisation, lands_in)
    unknown = set(fields) - set(EDITABLE) - {"opportunity"}
    if unknown:
        raise TypeError(f"unknown claim fields: {sorted(unknown)}")
    claim = BenefitClaim(
        organisation=organisation, lands_in=lands_in, created_by=by, **fields
    )
    _clean(claim)
    claim.save()
    record(
        by=by,
        action="benefit.claimed",
        obj=claim,
        summary=f"Claimed '{claim.title}' ({claim.get_kind_display().lower()}"
        + (
            f", light green £{claim.estimate_amount:,.0f}"
            if claim.estimate_amount is not None
            else ""
        )
        + f"), landing in {lands_in.name}",
        after=snapshot(claim),
    )
    return claim


@transaction.atomic
def update_claim(*, by: Any, claim: BenefitClaim, **fields: Any) -> BenefitClaim:
    require(by, P.CLAIM_BENEFITS, claim.organisation)
    if claim.is_decided:
        raise ValidationError(
            "Finance has decided this claim; it can no longer change. Make a new claim "
            "for any further benefit."
        )
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown claim fields: {sorted(unknown)}")
    before = snapshot(claim)
    for name, value in fields.items():
        setattr(claim, name, value)
    try:
        _check_lands_in(claim.organisation, claim.lands_in)
        _clean(claim)
    except ValidationError:
        claim.refresh_from_db()  # leave the caller's object as it is stored
        raise
    claim.save()
    record(
        by=by,
        action="benefit.updated",
        obj=claim,
        summary=f"Updated the claim '{claim.title}'",
        before=before,
        after=snapshot(claim),
    )
    return claim


@transaction.atomic
def sign_off(
    *,
    by: Any,
    claim: BenefitClaim,
    realised: bool,
    amount: Decimal | None = None,
    note: str = "",
) -> BenefitClaim:
    """Finance's decision: the amount realised (dark green), or that nothing was."""
    if not has_permission(by, P.SIGN_OFF_SAVINGS, claim.lands_in):
        raise PermissionDenied(
            f"Only finance at {claim.lands_in.name}, where the benefit lands, can sign "
            "off a realised saving."
        )
    if claim.is_decided:
        raise ValidationError("This claim has already been decided.")
    if claim.kind == BenefitClaim.Kind.QUALITY:
        raise ValidationError("A quality-only claim has no money to sign off.")
    if realised:
        if amount is None or amount < 0:
            raise ValidationError({"amount": "Enter the amount realised, in pounds."})
        claim.status = BenefitClaim.Status.REALISED
        claim.realised_amount = Decimal(amount).quantize(Decimal("0.01"))
    else:
        if not note.strip():
            raise ValidationError({"note": "Say why nothing was realised."})
        claim.status = BenefitClaim.Status.NOT_REALISED
        claim.realised_amount = None
    before = {"status": BenefitClaim.objects.get(pk=claim.pk).status}
    claim.signed_off_by = by
    claim.signed_off_at = timezone.now()
    claim.sign_off_note = note.strip()
    claim.full_clean()
    claim.save()
    record(
        by=by,
        action="benefit.signed_off" if realised else "benefit.not_realised",
        obj=claim,
        organisation=claim.lands_in,
        summary=(
            f"Signed off £{claim.realised_amount:,.2f} realised (dark green) for '{claim.title}'"
            if realised
            else f"Recorded that '{claim.title}' was not realised: {claim.sign_off_note[:200]}"
        ),
        before=before,
        after={
            "status": claim.status,
            "realised_amount": claim.realised_amount,
            "note": claim.sign_off_note,
        },
    )
    return claim
