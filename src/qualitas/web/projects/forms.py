"""Forms for projects. They check input and offer only what the user may choose;
services make the changes."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.functions import Coalesce

from qualitas.web.measures.forms import MonthField
from qualitas.web.measures.models import Measure
from qualitas.web.organisations.models import Organisation, Unit
from qualitas.web.projects.models import (
    PROGRESS_CHOICES,
    DriverNode,
    PatientPartner,
    PDSACycle,
    Project,
    ProjectMeasure,
    Spread,
    TeamMember,
)
from qualitas.web.projects.services import check_start


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", attrs={"class": "width-10"}, **kwargs)


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ProjectForm(forms.ModelForm):
    """Title, place, problem, the structured aim, method, priority, status, sharing."""

    aim_by = MonthField(
        label="By when",
        required=False,
        help_text="The month the aim should be met.",
    )

    class Meta:
        model = Project
        fields = [
            "title",
            "unit",
            "problem",
            "aim_what",
            "aim_measure",
            "aim_value",
            "aim_by",
            "method",
            "priority",
            "status",
            "sharing",
            "started_on",
            "ended_on",
        ]
        widgets = {
            "problem": _text(4),
            "aim_what": _text(2),
            "started_on": DateInput(),
            "ended_on": DateInput(),
            "aim_value": forms.NumberInput(attrs={"class": "width-10", "step": "any"}),
        }
        labels = {
            "aim_what": "What we will achieve",
            "aim_measure": "Outcome measure",
            "aim_value": "How much",
            "started_on": "Started on",
            "ended_on": "Ended on (when it is completed or closed)",
            "unit": "Ward, department or service",
        }

    def __init__(self, *args, organisation: Organisation, measures, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["unit"]
        ).queryset = Unit.objects.filter(organisation=organisation)
        cast(
            forms.ModelChoiceField, self.fields["unit"]
        ).empty_label = "The whole organisation"
        cast(forms.ModelChoiceField, self.fields["aim_measure"]).queryset = measures
        cast(
            forms.ModelChoiceField, self.fields["aim_measure"]
        ).empty_label = "Choose later"
        aim_measure = cast(forms.ModelChoiceField, self.fields["aim_measure"])
        # Django's documented way to label one field's choices: set it on the field.
        aim_measure.label_from_instance = (  # type: ignore[method-assign]
            lambda obj: (
                f"{obj.name} ({obj.unit}; {obj.get_direction_display().lower()})"
            )
        )
        self.fields["priority"].widget.attrs["list"] = "priorities"
        if self.instance.pk is None:
            del self.fields["status"]
            del self.fields["ended_on"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        value, measure = data.get("aim_value"), data.get("aim_measure")
        if value is not None and measure is None:
            self.add_error(
                "aim_measure", "Choose the outcome measure that 'how much' refers to."
            )
        return data


class OrganisationChoiceForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Organisation",
        help_text="The organisation the project belongs to.",
        to_field_name="ods_code",
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["organisation"]
        ).queryset = organisations


class TeamMemberForm(forms.Form):
    username = forms.CharField(
        label="Username",
        help_text="Their qualitas username.",
        widget=forms.TextInput(attrs={"class": "width-20"}),
    )
    role = forms.ChoiceField(choices=TeamMember.Role.choices, label="Role")


class PartnerForm(forms.ModelForm):
    username = forms.CharField(
        label="Their qualitas username (optional)",
        required=False,
        help_text="Give one so they can sign in and see the project as agreed below.",
    )

    class Meta:
        model = PatientPartner
        fields = [
            "name",
            "kind",
            "agreed_role",
            "support",
            "access",
            "joined_on",
            "left_on",
        ]
        widgets = {
            "agreed_role": _text(3),
            "support": _text(2),
            "access": forms.RadioSelect,
            "joined_on": DateInput(),
            "left_on": DateInput(),
        }
        labels = {"kind": "They are a", "left_on": "Left on (if they have left)"}


class InvolvementForm(forms.Form):
    on = forms.DateField(label="Date", widget=DateInput(), initial=dt.date.today)
    partner = forms.ModelChoiceField(
        queryset=PatientPartner.objects.none(),
        required=False,
        label="Who said it",
        empty_label="A group or someone not listed",
    )
    you_said = forms.CharField(label="You said", widget=_text(3))
    we_did = forms.CharField(
        label="We did",
        widget=_text(3),
        required=False,
        help_text="Leave empty until the team has acted on it.",
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["partner"]
        ).queryset = project.partners.all()


class InvolvementEditForm(forms.Form):
    you_said = forms.CharField(label="You said", widget=_text(3))
    we_did = forms.CharField(label="We did", widget=_text(3), required=False)


def tree_order(drivers):
    """Drivers as the diagram reads: each primary followed by its secondaries."""
    return drivers.annotate(
        group_position=Coalesce(F("parent__position"), F("position")),
        group_id=Coalesce(F("parent_id"), F("id")),
    ).order_by(
        "group_position", "group_id", F("parent_id").asc(nulls_first=True), "position"
    )


class DriverForm(forms.Form):
    text = forms.CharField(label="Driver", max_length=300)
    parent = forms.ModelChoiceField(
        queryset=DriverNode.objects.none(),
        required=False,
        label="Under",
        empty_label="The aim (a primary driver)",
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["parent"]
        ).queryset = project.drivers.filter(kind=DriverNode.Kind.PRIMARY)


class DriverEditForm(forms.Form):
    text = forms.CharField(label="Driver", max_length=300)


class ChangeIdeaForm(forms.Form):
    title = forms.CharField(label="Change idea", max_length=200)
    description = forms.CharField(label="Description", widget=_text(3), required=False)
    drivers = forms.ModelMultipleChoiceField(
        queryset=DriverNode.objects.none(),
        required=False,
        label="Drivers it works on",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["drivers"]).queryset = tree_order(
            project.drivers.all()
        )
        drivers = cast(forms.ModelChoiceField, self.fields["drivers"])
        drivers.label_from_instance = (  # type: ignore[method-assign]
            lambda obj: obj.text if obj.parent_id is None else f"– {obj.text}"
        )


class PlanForm(forms.ModelForm):
    measures = forms.ModelMultipleChoiceField(
        queryset=ProjectMeasure.objects.none(),
        required=False,
        label="Measures that will judge the test",
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = PDSACycle
        fields = [
            "title",
            "owner",
            "question",
            "prediction",
            "tasks",
            "data_plan",
            "planned_start",
            "planned_end",
        ]
        widgets = {
            "question": _text(2),
            "prediction": _text(3),
            "tasks": _text(3),
            "data_plan": _text(3),
            "planned_start": DateInput(),
            "planned_end": DateInput(),
        }
        labels = {"title": "What will be tested", "owner": "Who leads the test"}

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        from qualitas.web.accounts.models import User

        cast(
            forms.ModelChoiceField, self.fields["owner"]
        ).queryset = User.objects.filter(project_roles__project=project).order_by(
            "last_name"
        )
        cast(
            forms.ModelChoiceField, self.fields["owner"]
        ).empty_label = "Choose someone on the team"
        cast(
            forms.ModelChoiceField, self.fields["measures"]
        ).queryset = project.project_measures.select_related("measure")
        measures = cast(forms.ModelChoiceField, self.fields["measures"])
        measures.label_from_instance = str  # type: ignore[method-assign,assignment]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "The test cannot end before it starts.")
        return data


class StartForm(forms.Form):
    started_on = forms.DateField(
        label="The test started on", widget=DateInput(), initial=dt.date.today
    )

    def __init__(self, *args, cycle: PDSACycle | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        if cycle is not None:
            earliest = cycle.earliest_start()
            self.fields["started_on"].help_text = (
                f"{earliest:%-d %B %Y} or later: the prediction was recorded then, "
                "and it must come before the test."
            )

    def clean_started_on(self):
        day = self.cleaned_data["started_on"]
        if self.cycle is not None:
            try:
                check_start(self.cycle, day)
            except ValidationError as e:
                raise ValidationError(e.message_dict["started_on"]) from None
        return day


class DoForm(forms.Form):
    as_planned = forms.TypedChoiceField(
        label="Was it carried out as planned?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    what_happened = forms.CharField(
        label="What happened",
        widget=_text(4),
        help_text="Observations, problems and anything unexpected.",
    )
    ended_on = forms.DateField(
        label="The test ended on (if it has)", widget=DateInput(), required=False
    )


class StudyForm(forms.Form):
    ended_on = forms.DateField(label="The test ended on", widget=DateInput())
    result = forms.CharField(
        label="What the data showed",
        widget=_text(4),
        help_text="Compare it with the prediction.",
    )
    outcome = forms.ChoiceField(
        label="Compared with the prediction",
        choices=PDSACycle.Outcome.choices,
        widget=forms.RadioSelect,
    )
    learning = forms.CharField(label="What we learnt", widget=_text(3), required=False)


class ActForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            ("adopt", "Adopt: make it part of how we work"),
            ("adapt", "Adapt: change it and test again"),
            ("abandon", "Abandon: stop testing this idea"),
        ],
        widget=forms.RadioSelect,
    )
    decision_reason = forms.CharField(
        label="Why, and what next",
        widget=_text(3),
        required=False,
        help_text="If you abandon the idea, say why: other teams will learn from it.",
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if (
            data.get("decision") == "abandon"
            and not data.get("decision_reason", "").strip()
        ):
            self.add_error("decision_reason", "Say why the idea is abandoned.")
        return data


class LinkMeasureForm(forms.Form):
    measure = forms.ModelChoiceField(
        queryset=Measure.objects.none(), label="Measure", to_field_name="code"
    )
    role = forms.ChoiceField(
        choices=ProjectMeasure.Role.choices,
        label="Its role in the project",
        widget=forms.RadioSelect,
    )
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        label="Chart",
        empty_label="The whole organisation",
    )
    note = forms.CharField(label="Why this measure", required=False, max_length=300)

    def __init__(self, *args, project: Project, measures, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["measure"]).queryset = measures
        cast(
            forms.ModelChoiceField, self.fields["unit"]
        ).queryset = Unit.objects.filter(organisation=project.organisation)
        if project.unit_id:
            self.fields["unit"].initial = project.unit_id


class ChartChoiceForm(forms.Form):
    """Move a project measure to its control chart, or back to its run chart."""

    chart = forms.ChoiceField(
        choices=ProjectMeasure.Chart.choices, widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label="Why",
        widget=_text(2),
        max_length=2000,
        help_text="For example: 24 weeks of stable data before the new checklist.",
    )

    def add_error(self, field, error):
        # The choice is a hidden field: its problems belong at the top of the form.
        super().add_error(None if field == "chart" else field, error)


class NewMeasureForm(forms.ModelForm):
    role = forms.ChoiceField(
        choices=ProjectMeasure.Role.choices,
        label="Its role in the project",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Measure
        fields = [
            "name",
            "code",
            "description",
            "operational_definition",
            "numerator",
            "denominator",
            "domain",
            "unit",
            "multiplier",
            "decimals",
            "direction",
            "aggregation",
            "owner",
            "data_source",
            "collection_burden",
        ]
        widgets = {
            "description": _text(2),
            "operational_definition": _text(3),
            "data_source": _text(2),
        }


class ProgressForm(forms.Form):
    score = forms.TypedChoiceField(
        label="Progress score",
        choices=PROGRESS_CHOICES,
        coerce=str,
        widget=forms.RadioSelect,
    )
    assessed_on = forms.DateField(
        label="Assessed on", widget=DateInput(), initial=dt.date.today
    )
    note = forms.CharField(
        label="The evidence for this score", widget=_text(3), required=False
    )


class SpreadForm(forms.Form):
    to_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Organisation",
        to_field_name="ods_code",
    )
    to_unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        label="Unit",
        empty_label="The whole organisation",
    )
    note = forms.CharField(label="Note for them", widget=_text(3), required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["to_organisation"]
        ).queryset = organisations
        cast(
            forms.ModelChoiceField, self.fields["to_unit"]
        ).queryset = Unit.objects.filter(organisation__in=organisations).select_related(
            "organisation"
        )
        to_unit = cast(forms.ModelChoiceField, self.fields["to_unit"])
        to_unit.label_from_instance = str  # type: ignore[method-assign,assignment]


class SpreadUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=Spread.Status.choices, label="Status")
    note = forms.CharField(label="Note", widget=_text(2), required=False)


class TakeUpForm(forms.Form):
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(),
        label="Test it in the project",
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["project"]).queryset = projects


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Import into",
        to_field_name="ods_code",
    )
    file = forms.FileField(label="Project file (JSON)")

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["organisation"]
        ).queryset = organisations


class PortfolioFilterForm(forms.Form):
    q = forms.CharField(
        label="Search titles",
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    organisation = forms.ChoiceField(label="Organisation", required=False)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *Project.Status.choices],
    )
    priority = forms.ChoiceField(label="Strategic priority", required=False)
    group = forms.ChoiceField(
        label="Group by",
        required=False,
        choices=[
            ("priority", "Strategic priority"),
            ("unit", "Unit"),
            ("status", "Status"),
            ("progress", "Progress score"),
        ],
    )
    stalled = forms.BooleanField(label="Only stalled projects", required=False)

    def __init__(self, *args, organisations, priorities, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organisation"]).choices = [
            ("", "All organisations"),
            *[(o.ods_code, o.name) for o in organisations],
        ]
        cast(forms.ChoiceField, self.fields["priority"]).choices = [
            ("", "All priorities"),
            *[(p, p) for p in priorities],
        ]


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search the learning",
        required=False,
        help_text="Words from aims, change ideas and what PDSA cycles found, abandoned ideas included.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    abandoned = forms.BooleanField(label="Only abandoned ideas", required=False)
