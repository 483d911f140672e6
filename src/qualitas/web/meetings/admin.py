"""Boards and committees in the admin site (for administrators tidying up names and
membership). Meetings, frozen reports and the value ledger are deliberately not here:
they change only through their services, which keep the record of what a meeting saw
and let only finance sign off savings."""

from django.contrib import admin

from qualitas.web.accounts.admin_site import AuditedAdmin
from qualitas.web.meetings.models import Committee, CommitteeMember


class MemberInline(admin.TabularInline):
    model = CommitteeMember
    extra = 0


@admin.register(Committee)
class CommitteeAdmin(AuditedAdmin):
    list_display = ("name", "kind", "organisation", "reports_to", "measures_committee")
    list_filter = ("kind",)
    search_fields = ("name",)
    inlines = [MemberInline]
