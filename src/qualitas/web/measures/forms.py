"""Forms for the register, the chart page and data entry. They only check input;
services make the changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from qualitas.io import validation
from qualitas.web.measures.advice import Advice
from qualitas.web.measures.models import Domain, Measure, Observation
from qualitas.web.organisations.models import Unit


def parse_month(text: str) -> dt.date:
    """'2024-03' or '2024-03-15' -> 1 March 2024; a date that does not exist (day 45)
    is an error, as in an uploaded file."""
    problems = validation.Problems(np.array([1]))
    period = validation.parse_periods(pd.Series([text or ""]), problems)
    if problems.count:
        message = problems.listed()[0].message
        raise forms.ValidationError(message[0].upper() + message[1:] + ".")
    return pd.Timestamp(period[0]).date()


class MonthField(forms.CharField):
    widget = forms.TextInput(
        attrs={"type": "month", "class": "width-10", "placeholder": "YYYY-MM"}
    )

    def to_python(self, value):
        value = super().to_python(value)
        return parse_month(value) if value else None


class RegisterFilterForm(forms.Form):
    q = forms.CharField(
        label="Search", required=False, widget=forms.TextInput(attrs={"type": "search"})
    )
    domain = forms.ChoiceField(
        label="Quality domain",
        required=False,
        choices=[("", "All domains"), *Domain.choices],
    )
    measure_type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "All types"), *Measure.Type.choices]
    )
    committee = forms.ChoiceField(
        label="Committee", required=False, choices=[("", "All committees")]
    )

    def __init__(self, *args, committees: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["committee"]).choices = [
            ("", "All committees"),
            *[(c, c) for c in committees],
        ]


class AnnotationForm(forms.Form):
    period = MonthField(
        label="Month",
        help_text="The month the note is about. Click a point on the chart to choose it.",
    )
    text = forms.CharField(
        label="What happened", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].widget.attrs["data-chart-period-input"] = ""


class RebaseForm(forms.Form):
    period = MonthField(label="First month of the new baseline")
    reason = forms.CharField(
        label="Why has the process changed?",
        help_text="Making Data Count: recalculate the limits only when you understand the cause of a sustained change. Say what changed and when.",
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=10,
    )


class RemoveRebaseForm(forms.Form):
    reason = forms.CharField(
        label="Why remove this baseline?",
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=10,
    )


def _number_input() -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal", "class": "width-10"})


class EntryForm(forms.Form):
    """This month's value. The period and numbers are checked by the same rules as an
    uploaded file (:mod:`qualitas.io.validation`), every problem shown at once."""

    period = forms.CharField(label="Month", max_length=10, widget=MonthField.widget)
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(), required=False, empty_label="Whole organisation"
    )
    value = forms.CharField(
        required=False, label="Value", max_length=40, widget=_number_input()
    )
    numerator = forms.CharField(required=False, max_length=40, widget=_number_input())
    denominator = forms.CharField(required=False, max_length=40, widget=_number_input())

    def __init__(self, *args, measure: Measure, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure = measure
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units
        if not units.exists():
            del self.fields["unit"]
        rules = measure.rules
        if rules.needs_parts:
            del self.fields["value"]
            self.fields["numerator"].label = (
                f"Numerator: {measure.numerator}" if measure.numerator else "Numerator"
            )
            self.fields["denominator"].label = (
                f"Denominator: {measure.denominator}"
                if measure.denominator
                else "Denominator"
            )
        else:
            del self.fields["numerator"]
            del self.fields["denominator"]
            self.fields["value"].label = f"Value ({measure.unit})"
        self.fields[
            "numerator" if rules.needs_parts else "value"
        ].help_text = f"Give the {rules.describe()}."

    def clean(self):
        super().clean()
        data = self.cleaned_data
        entry = validation.check_entry(
            self.measure.rules,
            name=self.measure.code,
            period=data.get("period", ""),
            value=data.get("value", ""),
            numerator=data.get("numerator", ""),
            denominator=data.get("denominator", ""),
            today=timezone.localdate(),
        )
        add_problems(self, entry.problems)
        data.update(
            period=entry.period,
            value=entry.value,
            numerator=entry.numerator,
            denominator=entry.denominator,
        )
        return data


RATIO_CHARTS = ("p", "pp", "u", "up")
EVENT_CHARTS = ("g", "t")
CHART_GUIDANCE = (
    "Start with a run chart while there are fewer than 20 points. Then: a p chart "
    "for shares of a whole and a u chart for rates (p′ or u′ when denominators are "
    "very large); a c chart for counts; a g chart of the days between rare events "
    "(with events as the frequency); an XmR chart for other figures. qualitas "
    "advises again when data arrive."
)


# What a missing required field says, naming it (the default "This field is required"
# leaves people hunting for which one).
REQUIRED = {
    "code": "Enter a code: a short name for files and the API, e.g. ward-falls",
    "name": "Enter the measure's name",
    "operational_definition": "Enter the operational definition: exactly what is "
    "counted, when, and what is left out",
    "domain": "Choose the quality domain",
    "measure_type": "Choose the type: outcome, process or balancing",
    "unit": "Enter the unit, e.g. %, falls per 1,000 bed days, patients",
    "multiplier": "Enter the multiplier: 100 for a percentage, 1000 for a rate per "
    "1,000, 1 for a count",
    "decimals": "Enter how many decimal places to show",
    "chart_type": "Choose the chart",
    "direction": "Choose the improvement direction",
    "frequency": "Choose how often a figure is counted",
    "aggregation": "Choose how figures combine",
    "owner": "Enter the owner: the accountable person or role, e.g. Chief Nurse",
    "data_source": "Enter the data source: where the figures come from",
    "collection_burden": "Choose the collection burden",
}
TARGET_UNITS = (
    "In the measure's unit as people read it: 95% is entered as 95, not 0.95; "
    "5.5 falls per 1,000 bed days as 5.5."
)


class MeasureForm(forms.ModelForm):
    breakdowns_text = forms.CharField(
        label="Breakdowns",
        required=False,
        help_text="Groups the data can be split by, one per line, e.g. deprivation quintile, ethnicity, site.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Measure
        fields = [
            "code",
            "name",
            "description",
            "operational_definition",
            "numerator",
            "denominator",
            "domain",
            "measure_type",
            "unit",
            "multiplier",
            "decimals",
            "chart_type",
            "direction",
            "frequency",
            "aggregation",
            "owner",
            "owner_user",
            "committee",
            "data_source",
            "collection_burden",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "operational_definition": forms.Textarea(attrs={"rows": 4}),
            "data_source": forms.Textarea(attrs={"rows": 2}),
        }

    # A target on the same page (the first of a trajectory; more on the measure's
    # page). Not fields of the measure: ``target()`` hands them to set_target.
    target_starts = MonthField(label="Target from month", required=False)
    target_value = forms.FloatField(
        label="Target", required=False, help_text=TARGET_UNITS
    )
    target_note = forms.CharField(
        label="Where the target comes from",
        required=False,
        max_length=200,
        help_text="For example: NHS constitutional standard, or local ambition.",
    )
    TARGET_FIELDS = ("target_starts", "target_value", "target_note")

    def __init__(self, *args, people=None, advice: Advice | None = None, **kwargs):
        """``people``: the accounts that may be the owner's (people who can see the
        measure); without it nobody can be chosen. ``advice``: the chart qualitas
        advises from the measure's data, shown beside the choice."""
        super().__init__(*args, **kwargs)
        self.fields["chart_type"].help_text = (
            f"qualitas advises a {advice.chart_name} for the data so far. "
            f"{advice.reason} You can choose otherwise."
            if advice
            else CHART_GUIDANCE
        )
        self.fields["frequency"].help_text = (
            "How often a figure is counted. Choose events (each with its date) for "
            "a g or t chart of the time between rare events."
        )
        for name, field in self.fields.items():
            if field.required:
                field.error_messages["required"] = (
                    REQUIRED.get(name, f"Enter the {str(field.label).lower()}") + "."
                )
        self.fields["multiplier"].help_text = (
            "Value = numerator ÷ denominator × this: 100 for a percentage (so 95% "
            "is entered and shown as 95), 1000 for a rate per 1,000, 1 otherwise."
        )
        if self.instance.pk:
            self.fields["target_value"].help_text = (
                f"In {self.instance.unit}. {TARGET_UNITS} A target from a month that "
                "already has one replaces it."
            )
        owner_user = cast(forms.ModelChoiceField, self.fields["owner_user"])
        owner_user.queryset = (
            people if people is not None else get_user_model().objects.none()
        )
        owner_user.empty_label = "Nobody: no emails about this measure's signals"
        if self.instance.pk:
            self.fields["breakdowns_text"].initial = "\n".join(
                self.instance.breakdowns or []
            )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        chart, frequency = data.get("chart_type"), data.get("frequency")
        name = dict(Measure.ChartType.choices).get(chart or "", "")
        if chart in RATIO_CHARTS and data.get("aggregation") != "ratio":
            self.add_error(
                "chart_type",
                f"A {name.split(' (')[0]} needs each period's numerator and "
                "denominator: choose “Sum of numerators over sum of denominators” "
                "below, or another chart.",
            )
        if chart in EVENT_CHARTS and frequency != "events":
            self.add_error(
                "frequency",
                f"A {name.split(' (')[0]} measures the time between events: choose "
                "“Events, each with its date” as the frequency.",
            )
        if frequency == "events" and chart not in EVENT_CHARTS:
            self.add_error(
                "chart_type",
                "Events recorded with their dates are drawn as the time between "
                "them: choose a g chart (or a t chart).",
            )
        self._post_clean_targets(data)
        return data

    def clean_target_value(self):
        # A percentage's target given as a share (0.95) would draw a line at 0.95%.
        value = self.cleaned_data.get("target_value")
        multiplier = self.cleaned_data.get("multiplier") or self.instance.multiplier
        if value is not None and multiplier == 100 and 0 < value < 1:
            raise forms.ValidationError(
                f"Enter the target as a percentage: {value:g} is {value * 100:g}% "
                f"as a share, so enter {value * 100:g} (95% is entered as 95)."
            )
        return value

    def _post_clean_targets(self, data: dict) -> None:
        given = [data.get("target_starts"), data.get("target_value")]
        if given[0] is not None and given[1] is None:
            self.add_error(
                "target_value", "Enter the target, or leave its month empty."
            )
        if given[1] is not None and given[0] is None:
            self.add_error(
                "target_starts", "Enter the month the target starts, e.g. 2025-04."
            )

    def measure_fields(self) -> dict:
        """The measure's own fields, for create_measure and update_measure."""
        data = self.cleaned_data
        fields = {
            k: v
            for k, v in data.items()
            if k != "breakdowns_text" and k not in self.TARGET_FIELDS
        }
        fields["breakdowns"] = data["breakdowns_text"]
        return fields

    def target(self) -> dict | None:
        """The target given on the page, for set_target, or None."""
        data = self.cleaned_data
        if data.get("target_value") is None or data.get("target_starts") is None:
            return None
        return {
            "starts": data["target_starts"],
            "value": data["target_value"],
            "note": data.get("target_note", ""),
        }

    def definition_fields(self) -> list:
        return [f for f in self if f.name not in self.TARGET_FIELDS]

    def target_fields(self) -> list:
        return [f for f in self if f.name in self.TARGET_FIELDS]

    def clean_breakdowns_text(self):
        lines = [
            x.strip() for x in self.cleaned_data.get("breakdowns_text", "").splitlines()
        ]
        return list(dict.fromkeys(x for x in lines if x))


class TargetForm(forms.Form):
    starts = MonthField(label="From month")
    value = forms.FloatField(label="Target", help_text=TARGET_UNITS)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=200,
        help_text="For example: operational standard, or interim trajectory.",
    )


class UploadForm(forms.Form):
    organisation = forms.ChoiceField(
        label="The data are for",
        help_text="The organisation, or the system whose members the file covers.",
    )
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="Columns: measure, organisation, period, value (or numerator and denominator); optional unit, breakdown, stratum.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organisation"]).choices = [
            (o.ods_code, f"{o.name} ({o.ods_code})") for o in organisations
        ]


class CorrectionForm(forms.Form):
    """Put one stored value right, or withdraw it, saying why. A new value is checked
    by the same rules as any other way in."""

    CORRECT, WITHDRAW = "correct", "withdraw"

    action = forms.ChoiceField(
        label="What should happen to this value?",
        choices=[
            (CORRECT, "Correct it: the right figure is below"),
            (WITHDRAW, "Withdraw it: there should be no value for this month"),
        ],
        initial=CORRECT,
        widget=forms.RadioSelect,
    )
    value = forms.CharField(
        required=False, label="Value", max_length=40, widget=_number_input()
    )
    numerator = forms.CharField(required=False, max_length=40, widget=_number_input())
    denominator = forms.CharField(required=False, max_length=40, widget=_number_input())
    reason = forms.CharField(
        label="Why",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was wrong and where the right figure comes from. Everyone who "
        "reads the chart and the reports can see this.",
    )
    # When the value was last changed as this person saw it (to catch someone else's
    # change made meanwhile).
    seen = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, observation: Observation, **kwargs):
        super().__init__(*args, **kwargs)
        self.observation = observation
        self.measure = observation.measure
        self.fields["seen"].initial = observation.updated_at.isoformat()
        if self.measure.rules.needs_parts:
            del self.fields["value"]
            self.fields["numerator"].label = (
                f"Numerator: {self.measure.numerator}"
                if self.measure.numerator
                else "Numerator"
            )
            self.fields["denominator"].label = (
                f"Denominator: {self.measure.denominator}"
                if self.measure.denominator
                else "Denominator"
            )
        else:
            del self.fields["numerator"]
            del self.fields["denominator"]
            self.fields["value"].label = f"Value ({self.measure.unit})"

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("action") == self.CORRECT:
            check_new_value(self, self.observation, data)
        return data


def check_new_value(form: forms.BaseForm, observation: Observation, data: dict) -> None:
    """Check a corrected value by the rules every way in shares, adding each problem
    to ``form``; ``data`` gets the value, numerator and denominator as numbers."""
    measure = observation.measure
    entry = validation.check_entry(
        measure.rules,
        name=measure.code,
        period=observation.period.isoformat(),
        **{
            name: "" if data.get(name) is None else str(data.get(name))
            for name in ("value", "numerator", "denominator")
            if name in form.fields
        },
        today=timezone.localdate(),
    )
    add_problems(form, entry.problems)
    data.update(
        value=entry.value, numerator=entry.numerator, denominator=entry.denominator
    )


def add_problems(form: forms.BaseForm, problems: dict[str, list[str]]) -> None:
    """Each problem the validation layer found, as a sentence on its field (or on
    the form, for a problem of the row as a whole)."""
    for field, messages in problems.items():
        for message in messages:
            form.add_error(
                field if field in form.fields else None,
                message[0].upper() + message[1:] + ".",
            )
