"""Forms for committees, meetings, narrative, decisions and actions. They check input;
services make the changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from django import forms

from qualitas.web.accounts.models import User
from qualitas.web.measures.forms import MonthField
from qualitas.web.meetings.models import Committee, CommitteeMember


class DateInput(forms.DateInput):
    input_type = "date"


class CommitteeForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=150, help_text="e.g. Quality and Safety Committee"
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=Committee.Kind.choices,
        widget=forms.RadioSelect,
        initial=Committee.Kind.COMMITTEE,
    )
    reports_to = forms.ModelChoiceField(
        label="Reports to",
        queryset=Committee.objects.none(),
        required=False,
        empty_label="Nobody (this is the board)",
    )
    measures_committee = forms.ChoiceField(
        label="Measures its report shows",
        required=False,
        help_text="Measures are given a committee in the register; a board sees every measure.",
    )
    purpose = forms.CharField(
        label="Purpose", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args, organisation=None, committees: Sequence[str] = (), **kwargs
    ):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["reports_to"]
        ).queryset = Committee.objects.filter(
            organisation=organisation, kind=Committee.Kind.BOARD
        )
        cast(forms.ChoiceField, self.fields["measures_committee"]).choices = [
            ("", "Every measure"),
            *[(c, f"Measures reviewed by the {c}") for c in committees],
        ]


class MemberForm(forms.Form):
    user: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label="Person", queryset=None
    )
    role = forms.ChoiceField(label="Role", choices=CommitteeMember.Role.choices)
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=150,
        help_text="e.g. Chief Nurse, Non-executive director",
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = people


class MeetingForm(forms.Form):
    date = forms.DateField(label="Date of the meeting", widget=DateInput)
    data_cut = MonthField(
        label="Data to",
        help_text="The last month of data the meeting's report shows, usually the month before papers go out.",
    )
    location = forms.CharField(label="Where", required=False, max_length=200)


class FreezeForm(forms.Form):
    data_cut = MonthField(label="Data to")


class NarrativeForm(forms.Form):
    chart_tells_us = forms.CharField(
        label="What the chart tells us",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Signal or noise? Is the target met, and will it be?",
    )
    doing = forms.CharField(
        label="What we are doing",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The improvement work on this measure, and what the committee should expect next.",
    )


class DecisionForm(forms.Form):
    text = forms.CharField(label="Decision", widget=forms.Textarea(attrs={"rows": 2}))
    measure = forms.TypedChoiceField(
        label="About the measure", required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, measures: Sequence[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["measure"]).choices = [
            ("", "No measure in particular"),
            *measures,
        ]


class ActionForm(forms.Form):
    text = forms.CharField(label="Action", widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(
        label="Owner", max_length=150, help_text="A person or role, e.g. Chief Nurse"
    )
    due = forms.DateField(label="Due", widget=DateInput)
    measure = forms.TypedChoiceField(
        label="About the measure", required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, measures: Sequence[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["measure"]).choices = [
            ("", "No measure in particular"),
            *measures,
        ]


class ActionUpdateForm(forms.Form):
    note = forms.CharField(label="Update", widget=forms.Textarea(attrs={"rows": 2}))
    close = forms.BooleanField(label="The action is complete: close it", required=False)
