"""The team, patient and carer partners, and the 'you said, we did' log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.web.accounts.models import User
from qualitas.web.authorization import (
    decidable_invitations_filter,
    get_project_for_user,
    has_permission,
)
from qualitas.web.forms import form_errors
from qualitas.web.projects import (
    forms,
    services,
)
from qualitas.web.projects.models import (
    InvolvementEntry,
    PatientPartner,
    Project,
    ProjectInvitation,
    TeamMember,
)
from qualitas.web.projects.views.common import (
    P,
    page_context,
)

# --- team, partners and involvement ---------------------------------------------------------


def _team_context(request: HttpRequest, project: Project, **extra: Any) -> dict:
    return {
        **page_context(request, project, "team"),
        "team": project.team.select_related("user"),
        "partners": project.partners.select_related("user"),
        "team_form": extra.get("team_form") or forms.TeamMemberForm(),
        "roles": TeamMember.Role.choices,
    }


@login_required
def team(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    return render(request, "projects/team.html", _team_context(request, project))


@login_required
@require_POST
def team_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.MANAGE_PROJECT_TEAM)
    form = forms.TeamMemberForm(request.POST)
    if form.is_valid():
        username = form.cleaned_data["username"].strip()
        member = services.invite(
            by=request.user,
            project=project,
            username=username,
            role=form.cleaned_data["role"],
        )
        if member is not None:
            messages.success(
                request,
                f"{member.user} is {member.get_role_display().lower()} of the project.",
            )
        else:
            # The same words whether the username exists or not (see services.invite).
            messages.info(
                request,
                f"If '{username}' may join this project, they will be added when an "
                "administrator of their organisation approves.",
            )
        return redirect("projects:team", project.pk)
    return render(
        request, "projects/team.html", _team_context(request, project, team_form=form)
    )


@login_required
@require_POST
def team_remove(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.MANAGE_PROJECT_TEAM)
    item = get_object_or_404(TeamMember, pk=member, project=project)
    try:
        services.remove_team_member(by=request.user, member=item)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, f"{item.user} has left the team.")
    return redirect("projects:team", project.pk)


@login_required
def partner_form(
    request: HttpRequest, pk: int, partner: int | None = None
) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.MANAGE_PROJECT_TEAM)
    item = (
        get_object_or_404(PatientPartner, pk=partner, project=project)
        if partner
        else None
    )
    form = forms.PartnerForm(
        request.POST or None,
        instance=item,
        initial={"username": item.user.username if item and item.user_id else ""},
    )
    if request.method == "POST" and form.is_valid():
        d = {name: form.cleaned_data[name] for name in form.Meta.fields}
        username = form.cleaned_data["username"].strip()
        d["user"] = None
        if username:
            d["user"] = User.objects.filter(username=username, is_active=True).first()
            if d["user"] is None:
                form.add_error(
                    "username",
                    services.NO_SUCH_PERSON.format(org=project.organisation),
                )
        if not form.errors:
            if item is not None:
                item.refresh_from_db()
            try:
                saved = services.save_partner(
                    by=request.user, project=project, partner=item, **d
                )
            except ValidationError as e:
                form_errors(form, e)
            else:
                messages.success(request, f"{saved.name}'s role has been saved.")
                return redirect("projects:team", project.pk)
    return render(
        request,
        "projects/form.html",
        {
            **page_context(request, project, "team"),
            "form": form,
            "heading": f"{'Change what was agreed with ' + item.name if item else 'Add a patient or carer partner'}",
            "lede": "Agree the role with them first: why they are involved, what they will do, and the support and expenses they will get. They see in qualitas only what is agreed here.",
            "cancel": reverse("projects:team", args=[project.pk]),
        },
    )


@login_required
def involvement(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    form = forms.InvolvementForm(request.POST or None, project=project)
    if request.method == "POST":
        if not has_permission(request.user, P.LOG_INVOLVEMENT, project):
            raise PermissionDenied("You cannot add to this project's involvement log.")
        if form.is_valid():
            try:
                services.log_involvement(
                    by=request.user, project=project, **form.cleaned_data
                )
            except ValidationError as e:
                form_errors(form, e)
            else:
                messages.success(request, "Added to 'you said, we did'.")
                return redirect("projects:involvement", project.pk)
    entries = project.involvement.select_related("partner", "by")
    return render(
        request,
        "projects/involvement.html",
        {
            **page_context(request, project, "involvement"),
            "entries": entries,
            "form": form,
            "waiting": sum(1 for e in entries if not e.we_did),
        },
    )


@login_required
def involvement_edit(request: HttpRequest, pk: int, entry: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, P.LOG_INVOLVEMENT)
    item = get_object_or_404(InvolvementEntry, pk=entry, project=project)
    form = forms.InvolvementEditForm(
        request.POST or None, initial={"you_said": item.you_said, "we_did": item.we_did}
    )
    if request.method == "POST" and form.is_valid():
        services.update_involvement(by=request.user, entry=item, **form.cleaned_data)
        messages.success(request, "'You said, we did' has been updated.")
        return redirect("projects:involvement", project.pk)
    return render(
        request,
        "projects/form.html",
        {
            **page_context(request, project, "involvement"),
            "form": form,
            "heading": "Update 'you said, we did'",
            "cancel": reverse("projects:involvement", args=[project.pk]),
        },
    )


# --- invitations from other organisations ---------------------------------------------


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    """Invitations for people of the organisations the user administers to join
    another organisation's project, waiting for their decision."""
    pending = (
        ProjectInvitation.objects.filter(decidable_invitations_filter(request.user))
        .filter(status=ProjectInvitation.Status.PENDING)
        .select_related("project", "project__organisation", "user", "invited_by")
        .distinct()
    )
    return render(request, "projects/invitations.html", {"invitations": pending})


@login_required
@require_POST
def invitation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = (
        ProjectInvitation.objects.select_related("project", "user")
        .filter(pk=pk)
        .first()
    )
    if invitation is None or not has_permission(request.user, P.ADMINISTER, invitation):
        raise Http404("No such invitation")
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_invitation(
            by=request.user, invitation=invitation, approve=approve
        )
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(
            request,
            f"{invitation.user} {'joins' if approve else 'will not join'} "
            f"'{invitation.project.title}'.",
        )
    return redirect("projects:invitations")
