from django.contrib import admin

from qualitas.web.accounts.admin_site import AuditedAdmin
from qualitas.web.measures.models import (
    Annotation,
    ImportBatch,
    Measure,
    Rebase,
    Target,
)


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


@admin.register(Measure)
class MeasureAdmin(AuditedAdmin):
    list_display = (
        "name",
        "code",
        "domain",
        "measure_type",
        "organisation",
        "committee",
    )
    list_filter = ("domain", "measure_type", "committee")
    search_fields = ("name", "code", "description")
    inlines = [TargetInline]


@admin.register(Annotation)
class AnnotationAdmin(AuditedAdmin):
    list_display = ("measure", "organisation", "period", "text", "by")


@admin.register(Rebase)
class RebaseAdmin(AuditedAdmin):
    list_display = ("measure", "organisation", "period", "reason", "by")


@admin.register(ImportBatch)
class ImportBatchAdmin(AuditedAdmin):
    list_display = (
        "pk",
        "organisation",
        "source",
        "status",
        "filename",
        "rows",
        "added",
        "updated",
        "by",
        "created_at",
    )
    list_filter = ("source", "status")
    readonly_fields = [f.name for f in ImportBatch._meta.fields if f.name != "pending"]
    exclude = ("pending",)

    def has_add_permission(self, request) -> bool:
        return (
            False  # data come in through upload, the form or the API, which check them
        )
