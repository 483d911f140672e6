from django import forms
from django.contrib import admin

from qualitas.web.accounts.admin_site import AuditedAdmin
from qualitas.web.measures import services
from qualitas.web.measures.forms import CorrectionForm, check_new_value
from qualitas.web.measures.models import (
    Annotation,
    Correction,
    ImportBatch,
    Measure,
    Observation,
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


class ObservationCorrectionForm(forms.ModelForm):
    """The admin's form for a stored value: the same correction or withdrawal, with a
    reason, as the measure's data page (never a silent edit or a plain delete)."""

    action = CorrectionForm.base_fields["action"]
    reason = CorrectionForm.base_fields["reason"]

    class Meta:
        model = Observation
        # The admin shows the value, or the numerator and denominator it is worked
        # out from, as the measure needs (ObservationAdmin.get_fields).
        fields = ["value", "numerator", "denominator"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if len((data.get("reason") or "").strip()) < services.MIN_REASON:
            self.add_error(
                "reason", "Say why the value is wrong (at least 10 characters)."
            )
        if data.get("action") == CorrectionForm.CORRECT:
            stored = Observation.objects.get(pk=self.instance.pk)
            check_new_value(self, stored, data)
            new = (data.get("value"), data.get("numerator"), data.get("denominator"))
            if new == (stored.value, stored.numerator, stored.denominator):
                self.add_error(None, "That is the value already stored.")
        return data


@admin.register(Observation)
class ObservationAdmin(AuditedAdmin):
    """Stored values, scoped to the administrator's organisations. A value is changed
    only by correcting or withdrawing it through the services, which keep the earlier
    value (a Correction) and write the audit event."""

    form = ObservationCorrectionForm
    list_display = ("measure", "organisation", "unit", "period", "stratum", "value")
    list_filter = ("period",)
    search_fields = ("measure__code", "measure__name", "organisation__ods_code")
    list_select_related = ("measure", "organisation", "unit")
    readonly_fields = (
        "measure",
        "organisation",
        "unit",
        "period",
        "breakdown",
        "stratum",
        "batch",
        "updated_at",
    )

    def has_add_permission(self, request) -> bool:
        return False  # values come in through upload, the entry form or the API

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # withdraw it instead, with a reason

    def get_fields(self, request, obj=None):
        parts = obj is not None and obj.measure.rules.needs_parts
        numbers = ["numerator", "denominator"] if parts else ["value"]
        return [*self.readonly_fields, *numbers, "action", "reason"]

    def save_model(self, request, obj, form, change) -> None:
        d = form.cleaned_data
        stored = Observation.objects.select_related(
            "measure", "organisation", "unit"
        ).get(pk=obj.pk)
        if d["action"] == CorrectionForm.WITHDRAW:
            services.withdraw_value(
                by=request.user, observation=stored, reason=d["reason"]
            )
        else:
            services.correct_value(
                by=request.user,
                observation=stored,
                reason=d["reason"],
                value=d.get("value"),
                numerator=d.get("numerator"),
                denominator=d.get("denominator"),
            )


@admin.register(Correction)
class CorrectionAdmin(AuditedAdmin):
    """The history of corrections and withdrawals: read only."""

    list_display = (
        "measure",
        "organisation",
        "period",
        "kind",
        "old_value",
        "new_value",
        "by",
        "created_at",
    )
    list_filter = ("kind",)
    search_fields = ("measure__code", "organisation__ods_code", "reason")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
