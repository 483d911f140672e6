"""Who may see and change a project.

- The project's **team** (sponsor, lead, members, QI coach) sees and changes it.
- People whose role in the project's organisation lets them read projects read it;
  QI leads and administrators there may change it (``EDIT_PROJECTS``).
- **Patient and carer partners** with an account see what their agreed access allows:
  a summary (aim, driver diagram, involvement log, progress), everything read-only, or
  everything plus adding to the involvement log.
- **Outsiders** see nothing, unless the team shares the project with its whole system
  or with everyone, or spreads one of its change ideas to their organisation.

``project_rule`` answers for one project (``has_permission(user, p, project)``);
``visible_project_filter`` gives the same answer for reading, as a query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization.grants import grants, organisation_ids, signed_in
from qualitas.web.authorization.rules import rule
from qualitas.web.authorization.tree import same_system

P = Permission
_ROLES_CACHE = "_qualitas_project_roles"
_PARTNER_CACHE = "_qualitas_project_partners"


def team_roles(user: Any) -> dict[int, str]:
    """Project id -> the user's team role there (cached on the user for the request)."""
    if not signed_in(user):
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
    if not signed_in(user):
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


@rule("projects.Project")
def project_rule(user: Any, permission: Permission, project: Any) -> bool:
    if not signed_in(user):
        return False
    held = grants(user).get(project.organisation_id, frozenset())
    on_team = project.pk in team_roles(user)
    partner = partner_access(user).get(project.pk)
    if permission == P.EDIT_PROJECTS:
        return on_team or P.EDIT_PROJECTS in held
    if permission == P.MANAGE_PROJECT_TEAM:
        # Not every team member: one could otherwise add anyone, or promote themselves.
        lead = team_roles(user).get(project.pk) == "lead"
        return lead or P.MANAGE_PROJECT_TEAM in held
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
    if not signed_in(user):
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


def reaches(person: Any, project: Any) -> bool:
    """Does one of the person's roles reach the project's organisation (a role there,
    or in a system above it)? Anyone else joins the team only by an invitation their
    own organisation's administrator approves."""
    return project.organisation_id in grants(person)


@rule("projects.ProjectInvitation")
def invitation_rule(user: Any, permission: Permission, invitation: Any) -> bool:
    """An invitation is decided (``ADMINISTER``) by an administrator of an
    organisation the invited person belongs to; nobody else may see it."""
    if permission != P.ADMINISTER or not signed_in(user):
        return False
    held = grants(user)
    return any(
        P.ADMINISTER in held.get(o, ())
        for o in invitation.user.memberships.values_list("organisation_id", flat=True)
    )


def decidable_invitations_filter(user: Any) -> Q:
    """The invitations ``user`` may approve or decline, as a query."""
    administered = organisation_ids(user, P.ADMINISTER)
    return Q(user__memberships__organisation_id__in=administered)
