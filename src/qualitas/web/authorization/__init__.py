"""Authorization: who may do what to which object, in one package.

- ``tree``: the organisation tree (parents, ancestors, descendants, system of);
- ``grants``: the permissions a user's roles grant in each organisation;
- ``rules``: the per-model rule registry and ``has_permission(user, permission, obj)``,
  the one question views, templates and services ask, and ``require`` (403);
- ``projects``: the rules of a project (its team and patient partners, sharing);
- ``getters``: the object if the user may see it (404 otherwise).

Any page that draws another organisation's data asks
``has_permission(user, Permission.VIEW_MEASURES, organisation)`` first, and says
"you don't have access to …'s data" instead of drawing it otherwise.
"""

from qualitas.web.authorization import projects as _projects  # noqa: F401 (rules)
from qualitas.web.authorization.getters import (
    get_assessment_for_user,
    get_claim_for_user,
    get_committee_for_user,
    get_for_user,
    get_job_for_user,
    get_measure_for_user,
    get_meeting_for_user,
    get_organisation_for_user,
    get_project_for_user,
)
from qualitas.web.authorization.grants import (
    forget_grants,
    grants,
    organisation_ids,
    visible_owner_ids,
)
from qualitas.web.authorization.projects import (
    decidable_invitations_filter,
    forget,
    partner_access,
    reaches,
    team_roles,
    visible_project_filter,
)
from qualitas.web.authorization.rules import has_permission, require, rule
from qualitas.web.authorization.tree import (
    ancestors,
    descendants,
    hierarchy,
    same_system,
    system_of,
)

__all__ = [
    "ancestors",
    "decidable_invitations_filter",
    "descendants",
    "forget",
    "forget_grants",
    "get_assessment_for_user",
    "get_claim_for_user",
    "get_committee_for_user",
    "get_for_user",
    "get_job_for_user",
    "get_measure_for_user",
    "get_meeting_for_user",
    "get_organisation_for_user",
    "get_project_for_user",
    "grants",
    "has_permission",
    "hierarchy",
    "organisation_ids",
    "partner_access",
    "reaches",
    "require",
    "rule",
    "same_system",
    "system_of",
    "team_roles",
    "visible_owner_ids",
    "visible_project_filter",
]
