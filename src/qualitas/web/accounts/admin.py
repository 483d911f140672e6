from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction

from qualitas.web.accounts.admin_site import (
    AuditedAdmin,
    ScopedInlineMixin,
    administered,
    administered_users,
)
from qualitas.web.accounts.models import ApiToken, SsoIdentity, User
from qualitas.web.audit.services import organisations_of, record, snapshot
from qualitas.web.organisations.models import Membership

# Django's groups are not qualitas roles (those are memberships, /roles/), and a
# group would grant nothing here; showing them beside "Memberships" only confused.
admin.site.unregister(Group)


class MembershipInline(ScopedInlineMixin, admin.TabularInline):
    model = Membership
    extra = 1
    fk_name = "user"

    def get_formset(self, request, obj=None, **kwargs):
        # A person an administrator adds must belong to one of their organisations
        # at once: an account with no memberships is outside every administrator's
        # reach (and would vanish from their list as soon as it was saved).
        if administered(request) is not None:
            kwargs.update(min_num=1, validate_min=True)
        return super().get_formset(request, obj, **kwargs)


class SsoIdentityInline(admin.TabularInline):
    """The single sign-on identity linked to the account. Deleting it lets the next
    sign-in with a verified address link the account afresh (docs/sso.md)."""

    model = SsoIdentity
    extra = 0
    fields = ("issuer", "subject", "created_at", "last_used_at")
    readonly_fields = fields
    verbose_name = "single sign-on identity"

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # made only by a sign-in with a verified address


@admin.register(User)
class QualitasUserAdmin(AuditedAdmin, UserAdmin):
    organisation_path = None
    inlines = [MembershipInline, SsoIdentityInline]
    list_display = (
        "username",
        "first_name",
        "last_name",
        "email",
        "is_active",
        "is_demo",
    )
    list_filter = ("is_active", "is_demo")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal details", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "is_demo")}),
    )

    def get_queryset(self, request):
        # The list, the change form, the password form and autocomplete all start
        # here, so scoping it scopes every one of them.
        return administered_users(
            request, super(AuditedAdmin, self).get_queryset(request)
        )

    def has_change_permission(self, request, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or administered_users(request).filter(pk=obj.pk).exists()

    has_delete_permission = has_change_permission

    def save_model(self, request, obj, form, change) -> None:
        # Recorded in save_related, once the memberships that say whose
        # administrators should see the event exist.
        request._qualitas_user_before = (
            snapshot(User.objects.get(pk=obj.pk)) if change and obj.pk else None
        )
        obj.save()

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        record(
            by=request.user,
            action=f"user.{'changed' if change else 'added'}",
            obj=user,
            organisations=organisations_of(user),
            summary=f"{'Changed' if change else 'Added'} the account of "
            f"{user.get_username()} in the admin site",
            before=getattr(request, "_qualitas_user_before", None),
            after=snapshot(user, exclude=("last_login",)),
        )

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, id)
                if user is None:  # scoped out after the change: never expected
                    raise PermissionDenied
                record(
                    by=request.user,
                    action="password.reset_by_admin",
                    obj=user,
                    organisations=organisations_of(user),
                    summary=f"{request.user.get_username()} set the password of "
                    f"{user.get_username()} in the admin site",
                )
        return response

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            record(
                by=request.user,
                action="membership.removed",
                obj=obj,
                organisations=organisations_of(obj.user),
                summary=f"Removed role: {obj}",
                before=snapshot(obj),
            )
            obj.delete()
        for obj in instances:
            before = snapshot(type(obj).objects.get(pk=obj.pk)) if obj.pk else None
            obj.save()
            record(
                by=request.user,
                action="membership.changed" if before else "membership.added",
                obj=obj,
                organisations=organisations_of(obj.user),
                summary=f"{'Changed' if before else 'Gave'} role: {obj}",
                before=before,
                after=snapshot(obj),
            )
        formset.save_m2m()


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    organisation_path = None
    list_display = ("name", "user", "hint", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "key_hash", "hint", "created_at", "last_used_at")
    fields = ("name", "user", "hint", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request) -> bool:
        return False  # tokens are created by their owners, who see the secret once

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(user__in=administered_users(request))
        )
