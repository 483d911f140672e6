"""The Django admin, for administrators: scoped to the organisations they administer,
and every change written to the audit log with its before and after."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.db.models import Exists, OuterRef
from django.urls import reverse

from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import organisations_of, record, snapshot
from qualitas.web.authorization import has_permission, organisation_ids


class QualitasAdminSite(admin.AdminSite):
    site_header = "qualitas administration"
    site_title = "qualitas administration"
    index_title = "Organisations, people and measures"

    def login(self, request, extra_context=None):
        # Where local passwords are off, the admin's own password form must not be a
        # way round it: everyone signs in on the one sign-in page.
        if not settings.LOCAL_PASSWORDS:
            return redirect_to_login(
                request.GET.get("next") or reverse("admin:index"),
                reverse("accounts:login"),
            )
        return super().login(request, extra_context)

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and (user.is_superuser or has_permission(user, Permission.ADMINISTER))
        )


def administered(request) -> set[int] | None:
    """Organisation ids the user administers; None for a superuser (all)."""
    if request.user.is_superuser:
        return None
    return organisation_ids(request.user, Permission.ADMINISTER)


def administered_users(request, queryset=None):
    """The people an administrator may see and change in the admin site.

    A superuser manages everyone. Anyone else manages only people who belong
    somewhere and belong nowhere outside the organisations they administer (a
    system's administrator administers its trusts too). So never a superuser,
    never an account with no memberships (``createsuperuser`` makes those), and never
    someone who also works, or administers, elsewhere: setting their password would
    hand over access the administrator does not hold.
    """
    from qualitas.web.organisations.models import Membership

    qs = get_user_model().objects.all() if queryset is None else queryset
    ids = administered(request)
    if ids is None:
        return qs
    theirs = Membership.objects.filter(user_id=OuterRef("pk"))
    return qs.filter(
        Exists(theirs.filter(organisation_id__in=ids)), is_superuser=False
    ).exclude(Exists(theirs.exclude(organisation_id__in=ids)))


def scoped_choices(db_field, request, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Limit a choice of organisation or person to those the administrator manages,
    so that no form offers (or accepts) anyone or anywhere else."""
    ids = administered(request)
    if ids is None:
        return kwargs
    label = db_field.related_model._meta.label
    if label == "organisations.Organisation":
        kwargs["queryset"] = db_field.related_model.objects.filter(pk__in=ids)
    elif db_field.related_model is get_user_model():
        kwargs["queryset"] = administered_users(request)
    return kwargs


class ScopedInlineMixin:
    """For inlines: permissions from our vocabulary (not Django's per-model ones,
    which only superusers hold), and the same limits on organisations and people
    as AuditedAdmin."""

    admin_site: admin.AdminSite

    def _allowed(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    has_view_permission = has_change_permission = _allowed
    has_add_permission = has_delete_permission = _allowed

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(  # type: ignore[misc]
            db_field, request, **scoped_choices(db_field, request, kwargs)
        )


class AuditedAdmin(admin.ModelAdmin):
    """Permissions from our vocabulary; rows limited to administered organisations;
    saves and deletes recorded in the audit log."""

    organisation_path: str | None = "organisation"  # how a row reaches its organisation

    def _allowed(self, request) -> bool:
        return self.admin_site.has_permission(request)

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = administered(request)
        if ids is None or self.organisation_path is None:
            return qs
        return qs.filter(**{f"{self.organisation_path}__in": ids})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **scoped_choices(db_field, request, kwargs)
        )

    def _organisation(self, obj: Any) -> Any:
        if obj.__class__.__name__ == "Organisation":
            return obj
        return getattr(obj, "organisation", None)

    def _also_concerns(self, obj: Any) -> set[int]:
        """Other organisations whose administrators should see a change to ``obj``:
        for anything about a person, every organisation they belong to."""
        if isinstance(obj, get_user_model()):
            return organisations_of(obj)
        if hasattr(obj, "user_id"):  # a membership, token, seat or team role
            return organisations_of(obj.user)
        return set()

    def save_model(self, request, obj, form, change) -> None:
        before = (
            snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        )
        super().save_model(request, obj, form, change)
        record(
            by=request.user,
            action=f"admin.{'changed' if change else 'added'}",
            obj=obj,
            organisation=self._organisation(obj),
            organisations=self._also_concerns(obj),
            summary=f"{'Changed' if change else 'Added'} {obj._meta.verbose_name} '{obj}' in the admin site",
            before=before,
            after=snapshot(obj),
        )

    def delete_model(self, request, obj) -> None:
        before = snapshot(obj)
        record(
            by=request.user,
            action="admin.deleted",
            obj=obj,
            organisation=self._organisation(obj),
            organisations=self._also_concerns(obj),
            summary=f"Deleted {obj._meta.verbose_name} '{obj}' in the admin site",
            before=before,
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            record(
                by=request.user,
                action="admin.deleted",
                obj=obj,
                organisation=self._organisation(obj),
                organisations=self._also_concerns(obj),
                summary=f"Deleted {obj._meta.verbose_name} '{obj}' in the admin site",
                before=snapshot(obj),
            )
        super().delete_queryset(request, queryset)
