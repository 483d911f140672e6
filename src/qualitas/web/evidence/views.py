"""The well-led evidence map: records tagged to the key lines of enquiry and quality
statements, records that may be evidence (with suggested tags), and the export."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import get_organisation_for_user, has_permission
from qualitas.web.downloads import csv_response
from qualitas.web.evidence import records, services
from qualitas.web.evidence.models import EvidenceTag
from qualitas.web.evidence.wellled import (
    KLOE_CHOICES,
    KLOES,
    STATEMENT_CHOICES,
    STATEMENTS,
)

P = Permission
SUGGESTED_PER_KIND = 10


def _filtered(request: HttpRequest, org) -> tuple[list[EvidenceTag], str, str]:
    kloe = request.GET.get("kloe", "")
    statement = request.GET.get("statement", "")
    tags = EvidenceTag.objects.filter(organisation=org).select_related("tagged_by")
    if kloe in KLOES:
        tags = tags.filter(kloe=kloe)
    if statement in STATEMENTS:
        tags = tags.filter(statement=statement)
    return (
        list(tags),
        kloe if kloe in KLOES else "",
        statement if statement in STATEMENTS else "",
    )


@login_required
def index(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods)
    tags, kloe, statement = _filtered(request, org)
    all_tags = EvidenceTag.objects.filter(organisation=org)
    counts_kloe = dict.fromkeys(KLOES, 0)
    counts_statement = dict.fromkeys(STATEMENTS, 0)
    for t in all_tags.values("kloe", "statement"):
        if t["kloe"]:
            counts_kloe[t["kloe"]] += 1
        if t["statement"]:
            counts_statement[t["statement"]] += 1
    can_tag = has_permission(request.user, P.TAG_EVIDENCE, org)
    candidates = []
    if can_tag:
        tagged = set(all_tags.values_list("content_type_id", "object_id"))
        since = dt.date(
            1900, 1, 1
        )  # every record; the newest few of each kind are shown
        for kind in records.available():
            ct = ContentType.objects.get_for_model(records.model_of(kind))
            items = [
                i for i in kind.find([org.pk], since) if (ct.pk, i.obj.pk) not in tagged
            ]
            items.sort(key=lambda i: i.date, reverse=True)
            for item in items[:SUGGESTED_PER_KIND]:
                kloe_s, statement_s = records.suggest(kind, item.obj)
                candidates.append(
                    {
                        "kind": kind,
                        "item": item,
                        "kloe": kloe_s,
                        "statement": statement_s,
                    }
                )
    return render(
        request,
        "evidence/index.html",
        {
            "organisation": org,
            "tags": tags,
            "kloe": kloe,
            "statement": statement,
            "kloes": [(k, KLOES[k], counts_kloe[k]) for k in KLOES],
            "statements": [(k, STATEMENTS[k], counts_statement[k]) for k in STATEMENTS],
            "kloe_choices": KLOE_CHOICES,
            "statement_choices": STATEMENT_CHOICES,
            "candidates": candidates,
            "can_tag": can_tag,
            "can_export": has_permission(request.user, P.EXPORT_REPORT, org),
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_POST
def tag(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods, P.TAG_EVIDENCE)
    try:
        services.tag(
            by=request.user,
            organisation=org,
            kind=request.POST.get("kind", ""),
            object_id=int(request.POST.get("object_id") or 0),
            kloe=request.POST.get("kloe", ""),
            statement=request.POST.get("statement", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as e:
        messages.error(request, "Not tagged: " + "; ".join(e.messages))
    except ValueError:
        messages.error(request, "Not tagged: no such record.")
    else:
        messages.success(request, "The record is now in the well-led evidence list.")
    return redirect("evidence:index", org.ods_code)


@login_required
@require_POST
def untag(request: HttpRequest, ods: str, pk: int) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods, P.TAG_EVIDENCE)
    evidence = get_object_or_404(EvidenceTag, pk=pk, organisation=org)
    services.untag(by=request.user, evidence=evidence)
    messages.success(request, "The tag has been removed.")
    return redirect("evidence:index", org.ods_code)


CSV_COLUMNS = [
    "key_line_of_enquiry",
    "key_line_of_enquiry_name",
    "quality_statement",
    "record_kind",
    "record_date",
    "record",
    "why_it_is_evidence",
    "link",
    "tagged_by",
    "tagged_on",
]


@login_required
def export(request: HttpRequest, ods: str) -> HttpResponse:
    org = get_organisation_for_user(request.user, ods, P.EXPORT_REPORT)
    tags, _, _ = _filtered(request, org)
    stamp = timezone.localdate().isoformat()
    rows = []
    for t in tags:
        kind = records.KINDS.get(t.kind)
        rows.append(
            [
                t.kloe,
                KLOES.get(t.kloe, ""),
                STATEMENTS.get(t.statement, ""),
                kind.label if kind else t.kind,
                t.record_date.isoformat(),
                t.summary,
                t.note,
                request.build_absolute_uri(t.url) if t.url else "",
                t.tagged_by.display_name if t.tagged_by else "",
                timezone.localtime(t.tagged_at).date().isoformat(),
            ]
        )
    return csv_response(
        f"well-led-evidence-{org.ods_code}-{stamp}.csv", CSV_COLUMNS, rows
    )
