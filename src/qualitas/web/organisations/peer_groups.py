"""Peer groups: organisations a person saves to compare their own with.

A group only names organisations; what a comparison draws of them is still decided
by each measure's sharing (``qualitas.web.measures.comparators``). The organisations
offered are those whose figures the person could compare with anywhere: the
members of their systems, and organisations with published figures for a measure
they may read."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import organisation_ids, same_system, visible_owner_ids
from qualitas.web.organisations.models import Organisation, PeerGroup
from qualitas.web.signed_in import SignedInRequest


def offered(user: Any):
    """Organisations the person may put in a peer group."""
    from qualitas.web.measures.models import Measure, Observation

    readers = organisation_ids(user, Permission.VIEW_MEASURES)
    published = (
        Observation.objects.filter(
            measure__sharing=Measure.Sharing.PUBLISHED,
            measure__organisation_id__in=visible_owner_ids(user),
        )
        .order_by()
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    ids = set(published) | same_system(readers)
    return Organisation.objects.filter(pk__in=ids).exclude(
        kind=Organisation.Kind.SYSTEM
    )


class PeerGroupForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name of the group")
    members = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        label="Organisations",
        help_text="Hold Ctrl (or Cmd) to choose several.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        members = cast(forms.ModelChoiceField, self.fields["members"])
        members.queryset = offered(user).order_by("name")
        self.fields["members"].widget.attrs["size"] = 12


@transaction.atomic
def save_group(*, by: Any, name: str, members: Any) -> PeerGroup:
    if PeerGroup.objects.filter(owner=by, name=name).exists():
        raise ValidationError({"name": "You already have a peer group of that name."})
    group = PeerGroup.objects.create(owner=by, name=name)
    group.members.set(members)
    return group


@login_required
def peer_groups(request: SignedInRequest) -> HttpResponse:
    """Your peer groups: list, add and delete (yours only)."""
    user = request.user
    form = PeerGroupForm(
        request.POST if request.method == "POST" and "name" in request.POST else None,
        user=user,
    )
    if request.method == "POST":
        if "delete" in request.POST:
            pk = str(request.POST["delete"])
            deleted, _ = (
                PeerGroup.objects.filter(owner=user, pk=int(pk)).delete()
                if pk.isdigit() and len(pk) < 12
                else (0, {})
            )
            if deleted:
                messages.success(request, "The peer group has been deleted.")
            return redirect("organisations:peer_groups")
        if form.is_valid():
            try:
                group = save_group(
                    by=user,
                    name=form.cleaned_data["name"].strip(),
                    members=form.cleaned_data["members"],
                )
            except ValidationError as e:
                form.add_error("name", e.message_dict["name"])
            else:
                messages.success(
                    request, f"Saved '{group.name}': choose it on any compare page."
                )
                return redirect("organisations:peer_groups")
    groups = PeerGroup.objects.filter(owner=user).prefetch_related("members")
    return render(
        request,
        "organisations/peer_groups.html",
        {"form": form, "groups": groups},
    )
