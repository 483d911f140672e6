"""Scoped getters: the object if the user may see it, Http404 otherwise (so an
outsider cannot even learn that it exists), then PermissionDenied (403) from
``require`` if they may see it but not do ``permission``."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization.rules import has_permission, require

P = Permission


def get_for_user(
    queryset: Any, user: Any, permission: Permission, *, name: str, **lookup: Any
):
    """The one object of ``queryset`` matching ``lookup`` if the user may see it
    (``VIEW_MEASURES`` by its rule; 404 otherwise) and do ``permission`` (403)."""
    obj = queryset.filter(**lookup).first()
    if obj is None or not has_permission(user, P.VIEW_MEASURES, obj):
        raise Http404(f"No such {name}")
    require(user, permission, obj)
    return obj


def get_organisation_for_user(
    user: Any, ods_code: str, permission: Permission = P.VIEW_MEASURES
):
    from qualitas.web.organisations.models import Organisation

    org = Organisation.objects.filter(ods_code=ods_code).first()
    if org is None or not has_permission(user, P.VIEW_MEASURES, org):
        raise Http404("No such organisation")
    require(user, permission, org)
    return org


def get_measure_for_user(
    user: Any, code: str, permission: Permission = P.VIEW_MEASURES
):
    from qualitas.web.measures.models import Measure

    measure = Measure.objects.select_related("organisation").filter(code=code).first()
    if measure is None or not has_permission(user, P.VIEW_MEASURES, measure):
        raise Http404("No such measure")
    require(user, permission, measure)
    return measure


def get_project_for_user(user: Any, pk: int, permission: Permission = P.VIEW_PROJECTS):
    from qualitas.web.projects.models import Project

    project = (
        Project.objects.select_related("organisation", "unit", "aim_measure")
        .filter(pk=pk)
        .first()
    )
    if project is None or not has_permission(user, P.VIEW_PROJECTS, project):
        raise Http404("No such project")
    require(user, permission, project)
    return project


def get_committee_for_user(
    user: Any, pk: int, permission: Permission = P.VIEW_MEASURES
):
    from qualitas.web.meetings.models import Committee

    qs = Committee.objects.select_related("organisation", "reports_to")
    return get_for_user(qs, user, permission, name="committee", pk=pk)


def get_meeting_for_user(user: Any, pk: int, permission: Permission = P.VIEW_MEASURES):
    from qualitas.web.meetings.models import Meeting

    qs = Meeting.objects.select_related("committee__organisation")
    return get_for_user(qs, user, permission, name="meeting", pk=pk)


def get_assessment_for_user(
    user: Any, pk: int, permission: Permission = P.VIEW_MEASURES
):
    from qualitas.web.assessments.models import Assessment

    qs = Assessment.objects.select_related("organisation", "unit")
    return get_for_user(qs, user, permission, name="assessment", pk=pk)


def get_claim_for_user(user: Any, pk: int, permission: Permission = P.VIEW_MEASURES):
    from qualitas.web.value.models import BenefitClaim

    qs = BenefitClaim.objects.select_related(
        "organisation", "lands_in", "evidence_measure", "signed_off_by", "created_by"
    )
    return get_for_user(qs, user, permission, name="claim", pk=pk)


def get_job_for_user(user: Any, pk: Any, *, with_result: bool = False):
    """A background job of ``user``'s (its result and payload loaded only when
    asked for: they can be megabytes)."""
    from qualitas.web.jobs.models import Job

    qs = Job.objects.select_related("organisation")
    if not with_result:
        qs = qs.defer("result", "payload")
    return get_for_user(qs, user, P.VIEW_MEASURES, name="job", pk=pk)
