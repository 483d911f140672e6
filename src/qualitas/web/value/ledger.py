"""Totals of the ledger: light green (potential, not yet decided) and dark green
(realised and signed off) for each organisation where benefits land, and for the
whole system. Light and dark green are never added together."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from qualitas.web.organisations.models import Organisation
from qualitas.web.value.models import BenefitClaim

ZERO = Decimal("0")


@dataclass
class Totals:
    claims: int = 0
    light_green: Decimal = ZERO  # estimates of claims not yet decided
    dark_green: Decimal = ZERO  # realised amounts signed off by finance
    estimated_then_realised: Decimal = ZERO  # the estimates of realised claims
    not_realised: int = 0
    landing_from_elsewhere: int = 0  # claims made by another organisation
    capacity: dict[str, Decimal] = field(default_factory=dict)  # unit -> quantity
    by_kind: dict[str, Decimal] = field(default_factory=dict)  # kind -> light green

    def add(self, claim: BenefitClaim) -> None:
        self.claims += 1
        if claim.lands_elsewhere:
            self.landing_from_elsewhere += 1
        if claim.status == BenefitClaim.Status.REALISED:
            self.dark_green += claim.realised_amount or ZERO
            self.estimated_then_realised += claim.estimate_amount or ZERO
        elif claim.status == BenefitClaim.Status.NOT_REALISED:
            self.not_realised += 1
        else:
            amount = claim.estimate_amount or ZERO
            self.light_green += amount
            label = claim.get_kind_display()
            self.by_kind[label] = self.by_kind.get(label, ZERO) + amount
            if claim.estimate_quantity is not None and claim.quantity_unit:
                unit = claim.quantity_unit.strip().lower()
                self.capacity[unit] = (
                    self.capacity.get(unit, ZERO) + claim.estimate_quantity
                )

    @property
    def conversion(self) -> Decimal | None:
        """Dark green as a share of what was estimated for the same claims."""
        if not self.estimated_then_realised:
            return None
        return self.dark_green / self.estimated_then_realised


@dataclass
class Ledger:
    organisations: list[tuple[Organisation, Totals]]
    total: Totals
    projects: list[tuple[object, Totals]] = field(default_factory=list)


def ledger(claims: list[BenefitClaim], organisations: list[Organisation]) -> Ledger:
    """Totals for each of ``organisations`` (by where benefits land) and overall."""
    per: dict[int, Totals] = defaultdict(Totals)
    by_project: dict[int, Totals] = defaultdict(Totals)
    projects = {}
    total = Totals()
    for claim in claims:
        per[claim.lands_in_id].add(claim)
        total.add(claim)
        if claim.project_id is not None:
            by_project[claim.project_id].add(claim)
            projects[claim.project_id] = claim.project
    rows = [(o, per[o.pk]) for o in organisations if per[o.pk].claims]
    project_rows = sorted(
        ((projects[k], t) for k, t in by_project.items()), key=lambda r: str(r[0])
    )
    return Ledger(rows, total, project_rows)
