"""The CQC well-led evidence map: records tagged to key lines of enquiry and quality
statements, suggestions for untagged records, and a formula-safe export."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from qualitas.web.evidence import records, services
from qualitas.web.evidence.models import EvidenceTag
from qualitas.web.meetings import services as meeting_services


def test_board_decisions_are_suggested_as_governance_evidence(gov, client_for):
    page = client_for(gov["qi"]).get(reverse("evidence:index", args=["RAA"]))
    candidates = page.context["candidates"]
    decision = next(c for c in candidates if c["kind"].key == "decision")
    assert decision["item"].obj == gov["decision"]
    assert (decision["kloe"], decision["statement"]) == ("W6", "governance")
    assert "Ask the Chief Nurse for a falls deep dive" in decision["item"].summary


def test_tagging_copies_what_the_record_says_and_lists_it(gov, client_for):
    client = client_for(gov["qi"])
    done = client.post(
        reverse("evidence:tag", args=["RAA"]),
        {
            "kind": "decision",
            "object_id": gov["decision"].pk,
            "kloe": "W6",
            "statement": "governance",
            "note": "Acted on a signal",
        },
    )
    assert done.status_code == 302
    tag = EvidenceTag.objects.get()
    assert tag.summary.startswith("Quality and Safety Committee: Ask the Chief Nurse")
    assert tag.record == gov["decision"]
    assert tag.record_date == gov["first"].date
    page = client.get(reverse("evidence:index", args=["RAA"]) + "?kloe=W6")
    assert "Ask the Chief Nurse" in page.content.decode()
    other = client.get(reverse("evidence:index", args=["RAA"]) + "?kloe=W7")
    assert other.context["tags"] == []
    # Tagged records are no longer suggested.
    assert all(c["item"].obj != gov["decision"] for c in page.context["candidates"])


def test_a_tag_must_say_what_it_evidences_and_belong_to_the_organisation(gov):
    with pytest.raises(ValidationError):
        services.tag(
            by=gov["qi"],
            organisation=gov["trust_a"],
            kind="decision",
            object_id=gov["decision"].pk,
        )
    other_org = gov["trust_b"]
    owner = gov["users"]["owner"]
    with pytest.raises(ValidationError, match="another organisation"):
        services.tag(
            by=owner,
            organisation=other_org,
            kind="decision",
            object_id=gov["decision"].pk,
            kloe="W6",
        )
    with pytest.raises(ValidationError):
        services.tag(
            by=gov["qi"],
            organisation=gov["trust_a"],
            kind="nonsense",
            object_id=1,
            kloe="W6",
        )
    services.tag(
        by=gov["qi"],
        organisation=gov["trust_a"],
        kind="decision",
        object_id=gov["decision"].pk,
        kloe="W6",
    )
    with pytest.raises(ValidationError, match="already"):
        services.tag(
            by=gov["qi"],
            organisation=gov["trust_a"],
            kind="decision",
            object_id=gov["decision"].pk,
            kloe="W6",
        )


def test_only_people_who_tag_evidence_may_tag(gov):
    for role in ("board_member", "team_member", "finance", "analyst"):
        with pytest.raises(PermissionDenied):
            services.tag(
                by=gov["role_users"][role],
                organisation=gov["trust_a"],
                kind="decision",
                object_id=gov["decision"].pk,
                kloe="W6",
            )


def test_the_export_lists_the_evidence_and_is_safe_in_a_spreadsheet(gov, client_for):
    hostile = meeting_services.record_decision(
        by=gov["qi"],
        meeting=gov["first"],
        text='=HYPERLINK("http://example.invalid","x")',
    )
    for decision in (gov["decision"], hostile):
        services.tag(
            by=gov["qi"],
            organisation=gov["trust_a"],
            kind="decision",
            object_id=decision.pk,
            kloe="W6",
            statement="governance",
        )
    response = client_for(gov["role_users"]["board_member"]).get(
        reverse("evidence:export", args=["RAA"])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == [
        "key_line_of_enquiry",
        "key_line_of_enquiry_name",
        "quality_statement",
    ]
    assert len(rows) == 3
    body = {r[5] for r in rows[1:]}
    assert any("Ask the Chief Nurse" in r for r in body)
    # The decision's text follows the committee name, so it cannot start a formula;
    # every cell that could is written as text.
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@"))
    assert rows[1][7].startswith("http://testserver/meetings/")


def test_kinds_that_need_projects_wait_for_the_projects_app():
    keys = {k.key for k in records.available()}
    assert {"decision", "rebase", "assessment", "training", "claim"} <= keys
