from django.contrib import admin

from qualitas.web.accounts.admin_site import AuditedAdmin, administered
from qualitas.web.organisations.models import Membership, Organisation, Unit


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    organisation_path = "pk"
    list_display = ("name", "ods_code", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "ods_code")
    inlines = [UnitInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = administered(request)
        if ids is not None and db_field.name == "parent":
            kwargs["queryset"] = Organisation.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ("name", "kind", "organisation")
    list_filter = ("kind",)
    search_fields = ("name", "organisation__name")


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "organisation", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__last_name", "organisation__name")
    # People are found by typing, from those the administrator manages only (the
    # user admin's scoped queryset answers the autocomplete).
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        # A role's person never changes: moving a membership to someone else would
        # be a way to reach a person outside the administrator's scope.
        return ("user",) if obj is not None else ()
