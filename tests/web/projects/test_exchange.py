"""Projects as open JSON: what is exported follows the published schema, imports
rebuild the project, and a bad file is refused with a message that says where."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from qualitas.web.projects import exchange
from qualitas.web.projects.models import PDSACycle, Project

SCHEMA = (
    Path(__file__).parents[3]
    / "src/qualitas/web/projects/schema/project-v1.schema.json"
)


def _export(pworld):
    # A chained next cycle, so the chain is in the file too.
    PDSACycle.objects.filter(pk=pworld["planned"].pk).update(previous=pworld["done"])
    return exchange.export_project(Project.objects.get(pk=pworld["project"].pk))


def test_an_export_follows_the_published_schema(pworld):
    data = _export(pworld)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker()
    ).validate(data)
    assert data["project"]["aim"] == {
        "what": "Reduce inpatient falls on Ward 5",
        "measure": "falls",
        "how_much": 4.0,
        "by": "2025-03",
    }


def test_an_export_names_no_accounts_and_no_patients(pworld):
    text = json.dumps(_export(pworld))
    for user in pworld["people"].values():
        assert user.username not in text
    for partner in pworld["partners"].values():
        assert partner.name not in text


def test_the_docs_describe_the_schema_that_is_used():
    docs = (Path(__file__).parents[3] / "docs/project-json.md").read_text()
    assert "project-v1.schema.json" in docs
    schema = json.loads(SCHEMA.read_text())
    for field in schema["$defs"]["project"]["properties"]:
        assert f"`{field}`" in docs, f"docs/project-json.md does not describe {field}"


def test_an_import_rebuilds_the_project_in_another_organisation(pworld):
    data = _export(pworld)
    sister = pworld["people"]["sister"]
    raw = json.dumps(data).encode()
    report = exchange.import_project(
        by=sister,
        organisation=pworld["trust_b"],
        data=exchange.parse(raw),
        filename="falls.json",
    )
    copy = report.project
    assert copy.organisation == pworld["trust_b"]
    assert copy.uid != pworld["project"].uid  # the original is on this platform too
    assert copy.team.get().user == sister
    assert copy.aim_measure == pworld["measure"]
    assert copy.aim_sentence() == pworld["project"].aim_sentence()
    assert copy.drivers.count() == 2
    assert copy.drivers.get(kind="secondary").parent.text == "Safe bedside"
    idea = copy.change_ideas.get(title="Bedside checklist")
    assert [d.text for d in idea.drivers.all()] == ["Call bell in reach"]
    cycles = {c.number: c for c in idea.cycles.all()}
    assert cycles[2].decision == "adopt"
    assert cycles[2].learning == "Night staff found the call bell out of reach."
    assert cycles[1].previous == cycles[2]
    assert copy.partners.count() == 3
    assert "Partner" not in "".join(copy.partners.values_list("name", flat=True))
    assert any("original team" in n for n in report.notes)
    assert "falls.json" in copy.imported_from
    # Exporting the copy gives back the same content.
    again = exchange.export_project(copy)
    assert again["project"]["change_ideas"] == data["project"]["change_ideas"]
    assert again["project"]["driver_diagram"] == data["project"]["driver_diagram"]


def test_an_import_reports_measures_that_are_not_in_the_register(pworld):
    data = _export(pworld)
    data["project"]["measures"][0]["code"] = "not-here"
    data["project"]["aim"]["measure"] = "not-here"
    report = exchange.import_project(
        by=pworld["people"]["lead"], organisation=pworld["trust_a"], data=data
    )
    assert report.project.aim_measure is None
    assert report.project.aim_value is None
    assert any("not-here" in n for n in report.notes)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"format": "something-else"}', "not a qualitas project file"),
        (
            b'{"format": "qualitas-project", "version": 7}',
            "version 7",
        ),
    ],
)
def test_a_file_that_is_not_a_project_is_refused(raw, message):
    with pytest.raises(ValidationError, match=message):
        exchange.parse(raw)


def test_a_file_that_breaks_the_schema_says_where(pworld):
    data = _export(pworld)
    data["project"]["change_ideas"][0]["cycles"][0]["stage"] = "dreaming"
    with pytest.raises(ValidationError, match=r"change_ideas/0/cycles/0/stage"):
        exchange.parse(json.dumps(data).encode())


def test_a_started_cycle_without_its_prediction_time_is_refused(pworld):
    data = _export(pworld)
    done = next(
        c for c in data["project"]["change_ideas"][0]["cycles"] if c["stage"] == "done"
    )
    done["prediction_recorded_at"] = None
    with pytest.raises(ValidationError, match="prediction was recorded"):
        exchange.import_project(
            by=pworld["people"]["lead"], organisation=pworld["trust_a"], data=data
        )
    assert Project.objects.count() == 1  # nothing half-imported


def test_a_cycle_started_before_its_prediction_was_recorded_is_refused(pworld):
    data = _export(pworld)
    done = next(
        c for c in data["project"]["change_ideas"][0]["cycles"] if c["stage"] == "done"
    )
    done["prediction_recorded_at"] = "2024-03-05T09:00:00+00:00"  # after 1 March
    with pytest.raises(ValidationError, match="started on 1 March 2024, before its"):
        exchange.import_project(
            by=pworld["people"]["lead"], organisation=pworld["trust_a"], data=data
        )
    assert Project.objects.count() == 1


def test_importing_needs_permission_to_start_projects_there(pworld):
    data = _export(pworld)
    with pytest.raises(PermissionDenied):
        exchange.import_project(
            by=pworld["people"]["board_member"],
            organisation=pworld["trust_a"],
            data=data,
        )


def test_export_and_import_through_the_pages(pworld, client):
    client.force_login(pworld["people"]["lead"])
    response = client.get(reverse("projects:export", args=[pworld["project"].pk]))
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    upload = response.content
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("projects:import"),
        {
            "organisation": "RAA",
            "file": SimpleUploadedFile("p.json", upload, "application/json"),
        },
    )
    assert response.status_code == 302
    assert Project.objects.count() == 2
    response = client.post(
        reverse("projects:import"),
        {
            "organisation": "RAA",
            "file": SimpleUploadedFile("p.json", b"[]", "application/json"),
        },
    )
    assert response.status_code == 200
    assert "not a qualitas project file" in response.content.decode()
