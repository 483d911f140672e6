from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from qualitas.web.accounts.admin_site import AuditedAdmin, administered
from qualitas.web.accounts.models import ApiToken, User
from qualitas.web.organisations.models import Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    fk_name = "user"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = administered(request)
        if ids is not None and db_field.name == "organisation":
            kwargs["queryset"] = db_field.related_model.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = administered(request)
        return qs if ids is None else qs.filter(organisation_id__in=ids)


@admin.register(User)
class QualitasUserAdmin(AuditedAdmin, UserAdmin):
    organisation_path = None
    inlines = [MembershipInline]
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
        qs = super(AuditedAdmin, self).get_queryset(request)
        ids = administered(request)
        if ids is None:
            return qs
        # People in the organisations they administer, and people not yet in any.
        return (
            qs.filter(memberships__organisation_id__in=ids)
            | qs.filter(memberships__isnull=True)
        ).distinct()

    def save_formset(self, request, form, formset, change):
        from qualitas.web.audit.services import record, snapshot

        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            record(
                by=request.user,
                action="membership.removed",
                obj=obj,
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
        qs = super().get_queryset(request)
        ids = administered(request)
        return (
            qs
            if ids is None
            else qs.filter(user__memberships__organisation_id__in=ids).distinct()
        )
