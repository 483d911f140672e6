"""What a user's roles grant, organisation by organisation.

A user's *grants* map each organisation id to the permissions they hold there: the
permissions of their roles in that organisation, plus those of roles in any
organisation above it (a role in a system reaches every organisation in it). They are
computed once per request and kept on the user object.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from qualitas.web.accounts.permissions import ROLES, Permission
from qualitas.web.authorization.tree import ancestors, descendants, hierarchy

_CACHE = "_qualitas_grants"


def signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def grants(user: Any) -> dict[int, frozenset[Permission]]:
    """Organisation id -> permissions the user holds there (cached on the user)."""
    if not signed_in(user):
        return {}
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    memberships = list(user.memberships.values_list("organisation_id", "role"))
    held: dict[int, set[Permission]] = defaultdict(set)
    if memberships:
        _, children = hierarchy()
        for org_id, role_key in memberships:
            role = ROLES.get(role_key)
            if role is None:
                continue
            for o in (org_id, *descendants(org_id, children)):
                held[o] |= role.permissions
    result = {o: frozenset(p) for o, p in held.items()}
    setattr(user, _CACHE, result)
    return result


def forget_grants(user: Any) -> None:
    """Drop the cached grants (after a membership changes)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def organisation_ids(user: Any, permission: Permission) -> set[int]:
    """The organisations where the user holds ``permission``."""
    return {o for o, perms in grants(user).items() if permission in perms}


def visible_owner_ids(user: Any) -> set[int]:
    """Organisations whose measure definitions the user may read: where they may see
    measures, and the systems above (a system's shared definitions are used by its
    members)."""
    viewable = organisation_ids(user, Permission.VIEW_MEASURES)
    if not viewable:
        return set()
    parents, _ = hierarchy()
    out = set(viewable)
    for o in viewable:
        out.update(ancestors(o, parents))
    return out
