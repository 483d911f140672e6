"""Forms for starting assessments, training records and staff numbers. (The answers
themselves are read straight from the questionnaire, one pair of fields per question.)"""

from __future__ import annotations

from typing import cast

from django import forms

from qualitas.web.assessments.models import TrainingRecord
from qualitas.web.organisations.models import Unit


class DateInput(forms.DateInput):
    input_type = "date"


class TrainingForm(forms.Form):
    level = forms.ChoiceField(label="Level", choices=TrainingRecord.Level.choices)
    people = forms.IntegerField(label="People trained", min_value=1)
    completed_on = forms.DateField(label="Completed on", widget=DateInput)
    unit: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        label="Unit",
        queryset=None,
        required=False,
        empty_label="The whole organisation",
    )
    course = forms.CharField(label="Course", required=False, max_length=200)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units


class HeadcountForm(forms.Form):
    staff = forms.IntegerField(label="Staff in post", min_value=1)
    unit: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        label="Unit",
        queryset=None,
        required=False,
        empty_label="The whole organisation",
    )
    as_of = forms.DateField(label="As of", widget=DateInput)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units
