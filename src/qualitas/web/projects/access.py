"""Who may see and change a project.

- The project's **team** (sponsor, lead, members, QI coach) sees and changes it.
- People whose role in the project's organisation lets them read projects read it;
  QI leads and administrators there may change it (``EDIT_PROJECTS``).
- **Patient and carer partners** with an account see what their agreed access allows:
  a summary (aim, driver diagram, involvement log, progress), everything read-only, or
  everything plus adding to the involvement log.
- **Outsiders** see nothing, unless the team shares the project with its whole system
  or with everyone, or spreads one of its change ideas to their organisation.

``project_allows`` answers for one project (``has_permission(user, p, project)`` calls
it); ``visible_project_filter`` gives the same answer for reading, as a query.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from qualitas.web.accounts.access import (
    ancestors,
    descendants,
    grants,
    has_permission,
    hierarchy,
    organisation_ids,
)
from qualitas.web.accounts.permissions import Permission

P = Permission
_ROLES_CACHE = "_qualitas_project_roles"
_PARTNER_CACHE = "_qualitas_project_partners"


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def team_roles(user: Any) -> dict[int, str]:
    """Project id -> the user's team role there (cached on the user for the request)."""
    if not _signed_in(user):
        return {}
    cached = getattr(user, _ROLES_CACHE, None)
    if cached is None:
        from qualitas.web.projects.models import TeamMember

        cached = dict(
            TeamMember.objects.filter(user=user).values_list("project_id", "role")
        )
        setattr(user, _ROLES_CACHE, cached)
    return cached


def partner_access(user: Any) -> dict[int, str]:
    """Project id -> the access agreed with the user as a patient or carer partner."""
    if not _signed_in(user):
        return {}
    cached = getattr(user, _PARTNER_CACHE, None)
    if cached is None:
        import datetime as dt

        from qualitas.web.projects.models import PatientPartner

        cached = dict(
            PatientPartner.objects.filter(user=user)
            .filter(Q(left_on__isnull=True) | Q(left_on__gte=dt.date.today()))
            .values_list("project_id", "access")
        )
        setattr(user, _PARTNER_CACHE, cached)
    return cached


def forget(user: Any) -> None:
    """Drop the cached team roles and partnerships (after the team changes)."""
    for name in (_ROLES_CACHE, _PARTNER_CACHE):
        if hasattr(user, name):
            delattr(user, name)


def system_of(org_id: int, parents: dict[int, int | None]) -> int:
    """The top of an organisation's tree (its system, or itself)."""
    chain = ancestors(org_id, parents)
    return chain[-1] if chain else org_id


def same_system(org_ids: set[int]) -> set[int]:
    """Every organisation in the same system as any of ``org_ids``."""
    if not org_ids:
        return set()
    parents, children = hierarchy()
    out: set[int] = set()
    for top in {system_of(o, parents) for o in org_ids}:
        out.add(top)
        out.update(descendants(top, children))
    return out


def _shared_with(user: Any, project: Any) -> bool:
    readers = organisation_ids(user, P.VIEW_PROJECTS)
    if not readers:
        return False
    sharing = project.sharing
    if sharing == "everyone":
        return True
    if sharing == "system" and project.organisation_id in same_system(readers):
        return True
    from qualitas.web.projects.models import Spread

    return Spread.objects.filter(
        change_idea__project=project, to_organisation_id__in=readers
    ).exists()


def project_allows(user: Any, permission: Permission, project: Any) -> bool:
    if not _signed_in(user):
        return False
    held = grants(user).get(project.organisation_id, frozenset())
    on_team = project.pk in team_roles(user)
    partner = partner_access(user).get(project.pk)
    if permission == P.EDIT_PROJECTS:
        return on_team or P.EDIT_PROJECTS in held
    if permission == P.LOG_INVOLVEMENT:
        return on_team or P.LOG_INVOLVEMENT in held or partner == "contribute"
    if permission in (P.VIEW_PROJECTS, P.VIEW_PROJECT_WORK):
        if on_team or permission in held:
            return True
        if partner is not None:
            return permission == P.VIEW_PROJECTS or partner in ("read", "contribute")
        return _shared_with(user, project)
    return permission in held


def visible_project_filter(user: Any, prefix: str = "") -> Q:
    """A filter for the projects the user may read (``prefix`` for related queries)."""
    if not _signed_in(user):
        return Q(pk__in=[])
    from qualitas.web.projects.models import Spread, TeamMember

    readers = organisation_ids(user, P.VIEW_PROJECTS)
    ids = TeamMember.objects.filter(user=user).values("project_id")
    partner_ids = list(partner_access(user))
    q = Q(**{f"{prefix}pk__in": ids}) | Q(**{f"{prefix}pk__in": partner_ids})
    if readers:
        spread_ids = Spread.objects.filter(to_organisation_id__in=readers).values(
            "change_idea__project_id"
        )
        q |= (
            Q(**{f"{prefix}organisation_id__in": readers})
            | Q(**{f"{prefix}sharing": "everyone"})
            | Q(
                **{
                    f"{prefix}sharing": "system",
                    f"{prefix}organisation_id__in": same_system(readers),
                }
            )
            | Q(**{f"{prefix}pk__in": spread_ids})
        )
    return q


def get_project_for_user(user: Any, pk: int, permission: Permission = P.VIEW_PROJECTS):
    """The project, if the user may see it (404 otherwise) and do ``permission`` (403)."""
    from qualitas.web.projects.models import Project

    project = (
        Project.objects.select_related("organisation", "unit", "aim_measure")
        .filter(pk=pk)
        .first()
    )
    if project is None or not has_permission(user, P.VIEW_PROJECTS, project):
        raise Http404("No such project")
    require_on(user, permission, project)
    return project


def require_on(user: Any, permission: Permission, project: Any) -> None:
    if not has_permission(user, permission, project):
        raise PermissionDenied(
            f"You do not have permission to {permission.description.lower()} on this project."
        )
