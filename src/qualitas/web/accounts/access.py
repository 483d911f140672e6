"""``has_permission`` and the scoped getters every view uses.

A user's *grants* map each organisation id to the permissions they hold there: the
permissions of their roles in that organisation, plus those of roles in any system
(ICB) above it. They are computed once per request and kept on the user object.

Getters return an object only if the user may see it and raise Http404 otherwise, so
an outsider cannot even learn that a measure or organisation exists; a member who may
see the object but not act on it gets PermissionDenied (403) from ``require``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from qualitas.web.accounts.permissions import ROLES, Permission

_CACHE = "_qualitas_grants"


def hierarchy() -> tuple[dict[int, int | None], dict[int, list[int]]]:
    """Every organisation's parent, and its children (organisations are few)."""
    from qualitas.web.organisations.models import Organisation

    parents: dict[int, int | None] = dict(
        Organisation.objects.values_list("id", "parent_id")
    )
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in parents.items():
        if parent is not None:
            children[parent].append(child)
    return parents, children


def ancestors(org_id: int, parents: dict[int, int | None]) -> list[int]:
    out: list[int] = []
    seen = {org_id}
    parent = parents.get(org_id)
    while parent is not None and parent not in seen:
        out.append(parent)
        seen.add(parent)
        parent = parents.get(parent)
    return out


def descendants(org_id: int, children: dict[int, list[int]]) -> list[int]:
    out: list[int] = []
    stack = list(children.get(org_id, ()))
    while stack:
        o = stack.pop()
        if o in out:
            continue
        out.append(o)
        stack.extend(children.get(o, ()))
    return out


def grants(user: Any) -> dict[int, frozenset[Permission]]:
    """Organisation id -> permissions the user holds there (cached on the user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
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


def has_permission(user: Any, permission: Permission, obj: Any = None) -> bool:
    """May ``user`` do ``permission`` to ``obj``?

    ``obj`` may be None (anywhere at all), an Organisation, a Measure, or anything with
    an ``organisation_id``. Reading a measure's definition is allowed where the measure
    is owned by one of the user's organisations or by a system above one of them (a
    system's shared definitions are used by its members); changing it needs the
    permission in the owning organisation.
    """
    held = grants(user)
    if obj is None:
        return any(permission in perms for perms in held.values())
    from qualitas.web.measures.models import Measure
    from qualitas.web.organisations.models import Organisation

    if isinstance(obj, Organisation):
        return permission in held.get(obj.pk, ())
    if isinstance(obj, Measure):
        if permission in held.get(obj.organisation_id, ()):
            return True
        if permission != Permission.VIEW_MEASURES:
            return False
        return obj.organisation_id in visible_owner_ids(user)
    allows = getattr(obj, "allows", None)
    if callable(allows):  # objects with their own rules, e.g. a project and its team
        return bool(allows(user, permission))
    org_id = getattr(obj, "organisation_id", None)
    if org_id is None:
        raise TypeError(f"has_permission cannot check a {type(obj).__name__}")
    return permission in held.get(org_id, ())


def visible_owner_ids(user: Any) -> set[int]:
    """Organisations whose measure definitions the user may read."""
    viewable = organisation_ids(user, Permission.VIEW_MEASURES)
    if not viewable:
        return set()
    parents, _ = hierarchy()
    out = set(viewable)
    for o in viewable:
        out.update(ancestors(o, parents))
    return out


def require(user: Any, permission: Permission, obj: Any = None) -> None:
    """Raise PermissionDenied unless ``has_permission``."""
    if not has_permission(user, permission, obj):
        raise PermissionDenied(
            f"You do not have permission to {permission.description.lower()}."
        )


def get_organisation_for_user(
    user: Any, ods_code: str, permission: Permission = Permission.VIEW_MEASURES
):
    """The organisation, if the user may see it (404 otherwise) and do ``permission`` (403)."""
    from qualitas.web.organisations.models import Organisation

    org = Organisation.objects.filter(ods_code=ods_code).first()
    if org is None or not has_permission(user, Permission.VIEW_MEASURES, org):
        raise Http404("No such organisation")
    require(user, permission, org)
    return org


def get_measure_for_user(
    user: Any, code: str, permission: Permission = Permission.VIEW_MEASURES
):
    """The measure, if the user may read it (404 otherwise) and do ``permission`` (403)."""
    from qualitas.web.measures.models import Measure

    measure = Measure.objects.select_related("organisation").filter(code=code).first()
    if measure is None or not has_permission(user, Permission.VIEW_MEASURES, measure):
        raise Http404("No such measure")
    require(user, permission, measure)
    return measure
