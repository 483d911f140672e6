"""Projects in the admin site, for administrators (the team works in the project pages)."""

from django.contrib import admin

from qualitas.web.accounts.admin_site import AuditedAdmin
from qualitas.web.projects.models import PatientPartner, Project, TeamMember


class TeamInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    autocomplete_fields = ()


class PartnerInline(admin.StackedInline):
    model = PatientPartner
    extra = 0


@admin.register(Project)
class ProjectAdmin(AuditedAdmin):
    list_display = ("title", "organisation", "unit", "status", "priority")
    list_filter = ("status", "method", "sharing")
    search_fields = ("title", "aim_what", "problem")
    inlines = [TeamInline, PartnerInline]
    readonly_fields = ("uid", "last_activity_at")
