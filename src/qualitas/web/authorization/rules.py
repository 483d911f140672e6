"""The per-model rule registry and ``has_permission``, the one question views,
templates and services ask.

Each model with rules of its own registers one function ``(user, permission, obj) ->
bool`` under its label (``@rule("projects.Project")``); ``has_permission`` finds the
rule for the object's model. An object of a model with no rule of its own is judged
by its organisation (``obj.organisation_id``): the permission must be held there.
Anything else is a programming error, never a silent yes or no.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization.grants import grants, visible_owner_ids

Rule = Callable[[Any, Permission, Any], bool]
_RULES: dict[str, Rule] = {}


def rule(label: str) -> Callable[[Rule], Rule]:
    """Register the rule for a model, by its label (``"app.Model"``)."""

    def register(fn: Rule) -> Rule:
        if label in _RULES:
            raise ValueError(f"{label} already has a rule: {_RULES[label].__name__}")
        _RULES[label] = fn
        return fn

    return register


def has_permission(user: Any, permission: Permission, obj: Any = None) -> bool:
    """May ``user`` do ``permission`` to ``obj``?

    ``obj`` None asks "anywhere at all" (to show a menu item, say).
    """
    if obj is None:
        return any(permission in perms for perms in grants(user).values())
    meta = getattr(obj, "_meta", None)
    found = _RULES.get(meta.label) if meta is not None else None
    if found is not None:
        return bool(found(user, permission, obj))
    org_id = getattr(obj, "organisation_id", None)
    if org_id is None:
        raise TypeError(f"has_permission has no rule for a {type(obj).__name__}")
    return permission in grants(user).get(org_id, ())


def require(user: Any, permission: Permission, obj: Any = None) -> None:
    """Raise PermissionDenied (403) unless ``has_permission``."""
    if not has_permission(user, permission, obj):
        raise PermissionDenied(
            f"You do not have permission to {permission.description.lower()}."
        )


@rule("organisations.Organisation")
def organisation_rule(user: Any, permission: Permission, org: Any) -> bool:
    """Held in the organisation itself, or through a role in a system above it.

    Seeing measures here (``VIEW_MEASURES``) is also the test for seeing the
    organisation's data wherever another page draws it.
    """
    return permission in grants(user).get(org.pk, ())


@rule("measures.Measure")
def measure_rule(user: Any, permission: Permission, measure: Any) -> bool:
    """Reading a definition is allowed where the measure's owner is one of the user's
    organisations or a system above one of them; changing it needs the permission in
    the owning organisation."""
    if permission in grants(user).get(measure.organisation_id, ()):
        return True
    if permission != Permission.VIEW_MEASURES:
        return False
    return measure.organisation_id in visible_owner_ids(user)


@rule("meetings.Meeting")
def meeting_rule(user: Any, permission: Permission, meeting: Any) -> bool:
    """A meeting belongs to its committee's organisation."""
    return permission in grants(user).get(meeting.committee.organisation_id, ())


@rule("jobs.Job")
def job_rule(user: Any, permission: Permission, job: Any) -> bool:
    """A background job and its result are the requester's alone, and only while
    they still hold the permission the job needed where it ran (a board pack stops
    being theirs if they leave the board). A job has nothing else to do to it, so
    every permission gets the same answer."""
    return job.requested_by_id == getattr(user, "pk", None) and has_permission(
        user, Permission(job.permission), job.organisation
    )


@rule("value.BenefitClaim")
def claim_rule(user: Any, permission: Permission, claim: Any) -> bool:
    """A claim is read where it was made or where the benefit lands; only finance
    where it lands signs it off; everything else is done where it was made."""
    held = grants(user)
    if permission == Permission.VIEW_MEASURES:
        return permission in held.get(claim.organisation_id, ()) or permission in (
            held.get(claim.lands_in_id, ())
        )
    if permission == Permission.SIGN_OFF_SAVINGS:
        return permission in held.get(claim.lands_in_id, ())
    return permission in held.get(claim.organisation_id, ())
