"""Who may open a system's (ICB's) system report, and whose figures it may show.

The system report sets every measure of a system beside every organisation in it.
It is opened by:

- people with a role in the system itself (the ICB's members): their role reaches
  every organisation in the system, so every cell is drawn;
- people with a role in one of the system's organisations (a trust, a practice):
  they see where they stand in their system, but only their own organisation's
  figures and figures that are published or shared within the system; every other
  cell says the figures are not shared with them.

Anyone else may not learn that the report exists (404). What a role lets someone do
there (download the CSV, say) is held in the system or in any of its organisations.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization.grants import grants
from qualitas.web.authorization.tree import descendants, hierarchy

P = Permission


def system_members(system: Any) -> list[int]:
    """Every organisation below the system, at any depth."""
    _, children = hierarchy()
    return descendants(system.pk, children)


def reaches_system(user: Any, system: Any, permission: Permission) -> bool:
    """Does the user hold ``permission`` in the system or in one of its
    organisations?"""
    if not system.is_system:
        return False
    held = grants(user)
    return any(
        permission in held.get(o, ()) for o in (system.pk, *system_members(system))
    )


def readable_members(user: Any, system: Any) -> set[int]:
    """The system's organisations whose figures the user may see by their roles."""
    held = grants(user)
    return {o for o in system_members(system) if P.VIEW_MEASURES in held.get(o, ())}


def systems_for(user: Any) -> list[Any]:
    """The systems whose report the user may open (for menus)."""
    from qualitas.web.organisations.models import Organisation

    parents, _ = hierarchy()
    ids = set()
    for org_id, perms in grants(user).items():
        if P.VIEW_MEASURES not in perms:
            continue
        o: int | None = org_id
        while o is not None:
            ids.add(o)
            o = parents.get(o)
    return list(Organisation.objects.filter(pk__in=ids, kind="system"))


def get_system_for_user(
    user: Any, ods_code: str, permission: Permission = P.VIEW_MEASURES
) -> Any:
    """The system with this ODS code if the user may open its report (404
    otherwise), and may do ``permission`` there (403 otherwise)."""
    from qualitas.web.organisations.models import Organisation

    org = Organisation.objects.filter(ods_code=ods_code, kind="system").first()
    if org is None or not reaches_system(user, org, P.VIEW_MEASURES):
        raise Http404("No such system")
    if not reaches_system(user, org, permission):
        raise PermissionDenied(
            f"You do not have permission to {permission.description.lower()}."
        )
    return org
