"""Forms for benefit claims, finance's sign-off and the opportunity finder."""

from __future__ import annotations

from typing import cast

from django import forms

from qualitas.web.measures.forms import MonthField
from qualitas.web.value.models import BenefitClaim
from qualitas.web.value.opportunities import BENCHMARKS


class ClaimForm(forms.ModelForm):
    changed_from = MonthField(
        label="Change made in",
        required=False,
        help_text="The month the change was made, marked on the evidence chart.",
    )

    class Meta:
        model = BenefitClaim
        fields = [
            "project",
            "title",
            "kind",
            "lands_in",
            "estimate_amount",
            "estimate_quantity",
            "quantity_unit",
            "method",
            "conversion",
            "owner",
            "budget_line",
            "financial_year",
            "evidence_measure",
            "changed_from",
            "status",
            "description",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "method": forms.Textarea(attrs={"rows": 4}),
            "conversion": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"status": "Stage"}

    def __init__(
        self, *args, organisations=None, measures=None, projects=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        cast(
            forms.ChoiceField, self.fields["kind"]
        ).choices = BenefitClaim.Kind.choices  # no blank radio
        cast(forms.ModelChoiceField, self.fields["project"]).queryset = projects
        self.fields["project"].required = False
        cast(
            forms.ModelChoiceField, self.fields["project"]
        ).empty_label = "No project in particular"
        cast(forms.ModelChoiceField, self.fields["lands_in"]).queryset = organisations
        cast(
            forms.ModelChoiceField, self.fields["evidence_measure"]
        ).queryset = measures
        self.fields["evidence_measure"].required = False
        if self.instance.pk and self.instance.changed_from:
            self.initial["changed_from"] = self.instance.changed_from.strftime("%Y-%m")
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (BenefitClaim.Status.ESTIMATED, "Estimated: the change is not yet made"),
            (
                BenefitClaim.Status.CONVERTING,
                "Being converted: the action is under way",
            ),
        ]


class SignOffForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Finance's decision",
        choices=[
            ("realised", "Realised: the money is in the budget line (dark green)"),
            ("not_realised", "Not realised: no money can be shown"),
        ],
        widget=forms.RadioSelect,
    )
    amount = forms.DecimalField(
        label="Amount realised (£)",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    note = forms.CharField(
        label="Evidence or reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. the ledger code and month the budget was reduced, or why nothing was realised.",
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("outcome") == "realised" and data.get("amount") is None:
            self.add_error("amount", "Enter the amount realised, in pounds.")
        if (
            data.get("outcome") == "not_realised"
            and not (data.get("note") or "").strip()
        ):
            self.add_error("note", "Say why nothing was realised.")
        return data


class OpportunityForm(forms.Form):
    measure = forms.ChoiceField(label="Measure")
    months = forms.TypedChoiceField(
        label="Months of data",
        coerce=int,
        choices=[(6, "6"), (12, "12"), (24, "24")],
        initial=12,
    )
    peers = forms.ChoiceField(
        label="Compare with",
        choices=[
            ("system", "The organisations of the system"),
            ("england", "England (published figures)"),
        ],
        initial="system",
        required=False,
    )
    benchmark = forms.ChoiceField(
        label="Opportunity against", choices=list(BENCHMARKS.items()), initial="median"
    )

    def clean_peers(self):
        return self.cleaned_data.get("peers") or "system"

    unit_cost = forms.DecimalField(
        label="Cost of one event (£)",
        required=False,
        min_value=0,
        decimal_places=2,
        help_text="e.g. the cost of a fall with harm or an excess bed day; leave empty for events only.",
    )

    def __init__(self, *args, measures=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["measure"]).choices = [
            (m.code, m.name) for m in measures
        ]
