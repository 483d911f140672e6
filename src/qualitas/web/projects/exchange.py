"""A project as an open JSON document, so organisations in a system can share their
improvement work, abandoned ideas included (``docs/project-json.md``; the JSON Schema
is ``schema/project-v1.schema.json``).

Exports hold no usernames and no patient or carer names: team members appear by name
and role, partners by the role agreed with them. Imports create a new project in the
chosen organisation led by the importer; measures are matched by code among the
measures the importer can see.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import record
from qualitas.web.authorization import forget, require
from qualitas.web.measures.models import Measure
from qualitas.web.organisations.models import Organisation, Unit
from qualitas.web.projects.models import (
    ChangeIdea,
    DriverNode,
    InvolvementEntry,
    PatientPartner,
    PDSACycle,
    ProgressScore,
    Project,
    ProjectMeasure,
    TeamMember,
)

FORMAT, VERSION = "qualitas-project", 1
MAX_BYTES = 5 * 1024 * 1024
# The format nests 6 deep; anything far deeper is an attack on the parser or the
# schema check, which recurse.
MAX_DEPTH = 20


@functools.cache
def schema() -> dict[str, Any]:
    text = (
        resources.files("qualitas.web.projects")
        .joinpath("schema/project-v1.schema.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


def _d(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def export_project(project: Project) -> dict[str, Any]:
    """The project as a JSON-ready dict in the qualitas-project format."""
    drivers = list(project.drivers.all())
    driver_id = {d.pk: f"d{i}" for i, d in enumerate(drivers, start=1)}
    ideas = list(
        project.change_ideas.prefetch_related("drivers", "cycles__measures__measure")
    )
    idea_id = {i.pk: f"i{n}" for n, i in enumerate(ideas, start=1)}
    links = list(project.project_measures.select_related("measure", "unit"))
    primaries = []
    for d in drivers:
        if d.parent_id is None:
            primaries.append(
                {
                    "id": driver_id[d.pk],
                    "text": d.text,
                    "secondary_drivers": [
                        {"id": driver_id[s.pk], "text": s.text}
                        for s in drivers
                        if s.parent_id == d.pk
                    ],
                }
            )
    by_pk = {}
    change_ideas = []
    for idea in ideas:
        cycles = list(idea.cycles.all())
        by_pk.update({c.pk: c for c in cycles})
        change_ideas.append(
            {
                "id": idea_id[idea.pk],
                "title": idea.title,
                "description": idea.description,
                "status": idea.status,
                "drivers": [driver_id[d.pk] for d in idea.drivers.all()],
                "adapted_from": idea_id.get(idea.adapted_from_id),
                "cycles": [_cycle(c) for c in cycles],
            }
        )
    # A chain only crosses cycles of one idea in this format.
    for item, idea in zip(change_ideas, ideas, strict=True):
        for out, c in zip(item["cycles"], idea.cycles.all(), strict=True):
            prev = by_pk.get(c.previous_id)
            out["previous"] = (
                prev.number
                if prev is not None and prev.change_idea_id == idea.pk
                else None
            )
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "exported_from": {
            "organisation": {
                "name": project.organisation.name,
                "ods_code": project.organisation.ods_code,
            },
            "software": "qualitas",
        },
        "project": {
            "uid": str(project.uid),
            "title": project.title,
            "organisation": {
                "name": project.organisation.name,
                "ods_code": project.organisation.ods_code,
            },
            "unit": project.unit.name if project.unit_id else None,
            "problem": project.problem,
            "aim": {
                "what": project.aim_what,
                "measure": project.aim_measure.code if project.aim_measure_id else None,
                "how_much": project.aim_value,
                "by": project.aim_by.strftime("%Y-%m") if project.aim_by else None,
            },
            "method": project.method,
            "priority": project.priority,
            "status": project.status,
            "started_on": _d(project.started_on),
            "ended_on": _d(project.ended_on),
            "team": [
                {"name": str(m.user), "role": m.role}
                for m in project.team.select_related("user")
            ],
            "patient_partners": [
                {
                    "kind": p.kind,
                    "agreed_role": p.agreed_role,
                    "support": p.support,
                    "joined_on": _d(p.joined_on),
                    "left_on": _d(p.left_on),
                }
                for p in project.partners.all()
            ],
            "involvement": [
                {"on": _d(e.on), "you_said": e.you_said, "we_did": e.we_did}
                for e in project.involvement.order_by("on", "id")
            ],
            "measures": [
                {
                    "code": link.measure.code,
                    "name": link.measure.name,
                    "role": link.role,
                    "unit_of_measure": link.measure.unit,
                    "direction": link.measure.direction,
                    "definition": link.measure.operational_definition,
                    "chart": link.unit.name if link.unit_id else None,
                    "note": link.note,
                }
                for link in links
            ],
            "driver_diagram": {"primary_drivers": primaries},
            "change_ideas": change_ideas,
            "progress_scores": [
                {
                    "score": float(s.score),
                    "assessed_on": _d(s.assessed_on),
                    "note": s.note,
                }
                for s in project.progress_scores.order_by("assessed_on", "id")
            ],
        },
    }


def _cycle(c: PDSACycle) -> dict[str, Any]:
    return {
        "number": c.number,
        "title": c.title,
        "stage": c.stage,
        "previous": None,
        "question": c.question,
        "prediction": c.prediction,
        "prediction_recorded_at": (
            c.prediction_recorded_at.isoformat(timespec="seconds")
            if c.prediction_recorded_at
            else None
        ),
        "tasks": c.tasks,
        "data_plan": c.data_plan,
        "measures": [m.measure.code for m in c.measures.all()],
        "planned_start": _d(c.planned_start),
        "planned_end": _d(c.planned_end),
        "started_on": _d(c.started_on),
        "ended_on": _d(c.ended_on),
        "as_planned": c.as_planned,
        "what_happened": c.what_happened,
        "result": c.result,
        "outcome": c.outcome,
        "learning": c.learning,
        "decision": c.decision,
        "decision_reason": c.decision_reason,
        "decided_on": _d(c.decided_on),
    }


def dumps(project: Project) -> str:
    return json.dumps(export_project(project), ensure_ascii=False, indent=2)


# --- import ---------------------------------------------------------------------------


@dataclass
class ImportReport:
    project: Project
    notes: list[str] = field(default_factory=list)


def parse(raw: bytes) -> dict[str, Any]:
    """The document, checked against the schema; errors name where the problem is."""
    import jsonschema

    if len(raw) > MAX_BYTES:
        raise ValidationError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
        too_deep = _depth(data) > MAX_DEPTH
    except UnicodeDecodeError:
        raise ValidationError("The file is not text in UTF-8.") from None
    except json.JSONDecodeError as e:
        raise ValidationError(
            f"The file is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}."
        ) from None
    except RecursionError:  # the parser gives up on very deep nesting
        too_deep = True
    if too_deep:
        raise ValidationError(
            f"The file nests lists and objects more than {MAX_DEPTH} deep; a "
            "qualitas project file never does."
        )
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(
            "This is not a qualitas project file (its 'format' should be 'qualitas-project')."
        )
    if data.get("version") != VERSION:
        raise ValidationError(
            f"This file is version {data.get('version')!r}; this qualitas reads version {VERSION}."
        )
    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        messages = [
            f"{'/'.join(str(p) for p in e.absolute_path) or 'the document'}: {e.message}"
            for e in errors[:5]
        ]
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ValidationError(
            "The file does not follow the qualitas project format: "
            + "; ".join(messages)
            + more
        )
    return data


def _date(text: str | None) -> dt.date | None:
    # The schema checks the shape (YYYY-MM-DD); 2024-02-30 has it and is no date.
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"'{text}' is not a real date: write dates as YYYY-MM-DD, e.g. 2024-03-01."
        ) from None


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"'{text}' is not a real date and time: write them as "
            "YYYY-MM-DDTHH:MM:SS, e.g. 2024-03-01T09:30:00+00:00."
        ) from None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _depth(data: Any) -> int:
    """How deeply lists and objects nest (counted without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in items)
    return deepest


@transaction.atomic
def import_project(
    *, by: Any, organisation: Organisation, data: dict[str, Any], filename: str = ""
) -> ImportReport:
    """Create a project from a parsed document (see :func:`parse`)."""
    require(by, Permission.START_PROJECTS, organisation)
    doc = data["project"]
    notes: list[str] = []
    visible = {m.code: m for m in Measure.objects.visible_to(by)}
    units = {u.name: u for u in Unit.objects.filter(organisation=organisation)}
    source = (doc.get("organisation") or {}).get("name") or "another organisation"
    uid = doc.get("uid")
    if not uid or Project.objects.filter(uid=uid).exists():
        if uid:
            notes.append(
                "A project with the same identity is already here; this copy has a new one."
            )
        uid = uuid.uuid4()
    aim = doc["aim"]
    aim_measure = visible.get(aim.get("measure") or "")
    if aim.get("measure") and aim_measure is None:
        notes.append(
            f"The aim's measure '{aim['measure']}' is not in your register: link a measure of your own."
        )
    unit = units.get(doc.get("unit") or "")
    if doc.get("unit") and unit is None:
        notes.append(
            f"There is no unit called '{doc['unit']}' here; the project is for the whole organisation."
        )
    by_month = aim.get("by")
    now = timezone.now()
    project = Project(
        uid=uid,
        title=doc["title"],
        organisation=organisation,
        unit=unit,
        problem=doc.get("problem", ""),
        aim_what=aim["what"],
        aim_measure=aim_measure,
        aim_value=aim.get("how_much") if aim_measure else None,
        aim_by=_date(by_month + "-01") if by_month else None,
        method=doc["method"],
        priority=doc.get("priority", ""),
        status=doc["status"],
        started_on=_date(doc["started_on"]),
        ended_on=_date(doc.get("ended_on")),
        imported_from=f"{source}{f' ({filename})' if filename else ''}"[:300],
        created_by=by,
        last_activity_at=now,
    )
    try:
        project.full_clean(exclude=["uid"])
        project.save()
        TeamMember.objects.create(project=project, user=by, role=TeamMember.Role.LEAD)
        forget(by)
        team = doc.get("team") or []
        if team:
            notes.append(
                "The original team ("
                + ", ".join(f"{t['name']}, {t['role']}" for t in team)
                + ") is not copied: add your own people."
            )
        for p in doc.get("patient_partners") or []:
            PatientPartner.objects.create(
                project=project,
                name=f"{p['kind'].capitalize()} partner at {source}"[:150],
                kind=p["kind"],
                agreed_role=p["agreed_role"],
                support=p.get("support", ""),
                access=PatientPartner.Access.SUMMARY,
                joined_on=_date(p.get("joined_on")) or project.started_on,
                left_on=_date(p.get("left_on")),
            )
        for e in doc.get("involvement") or []:
            InvolvementEntry.objects.create(
                project=project,
                on=_date(e["on"]),
                you_said=e["you_said"],
                we_did=e.get("we_did", ""),
                by=by,
            )
        links: dict[str, ProjectMeasure] = {}
        for m in doc.get("measures") or []:
            measure = visible.get(m["code"])
            if measure is None:
                notes.append(
                    f"Measure '{m['name']}' ({m['code']}, {m['role']}) is not in your register and was not linked."
                )
                continue
            if m["code"] in links:
                continue
            links[m["code"]] = ProjectMeasure.objects.create(
                project=project,
                measure=measure,
                role=m["role"],
                organisation=organisation,
                unit=units.get(m.get("chart") or ""),
                note=m.get("note", ""),
            )
        if aim_measure is not None and aim_measure.code not in links:
            links[aim_measure.code] = ProjectMeasure.objects.create(
                project=project,
                measure=aim_measure,
                role=ProjectMeasure.Role.OUTCOME,
                organisation=organisation,
                unit=unit,
            )
        drivers: dict[str, DriverNode] = {}
        for i, pd_ in enumerate(
            doc.get("driver_diagram", {}).get("primary_drivers", [])
        ):
            node = DriverNode.objects.create(
                project=project, kind="primary", text=pd_["text"], position=i + 1
            )
            _unique(drivers, pd_["id"], node)
            for j, sd in enumerate(pd_.get("secondary_drivers") or []):
                child = DriverNode.objects.create(
                    project=project,
                    parent=node,
                    kind="secondary",
                    text=sd["text"],
                    position=j + 1,
                )
                _unique(drivers, sd["id"], child)
        ideas: dict[str, ChangeIdea] = {}
        for i, item in enumerate(doc.get("change_ideas") or []):
            idea = ChangeIdea.objects.create(
                project=project,
                title=item["title"],
                description=item.get("description", ""),
                status=item["status"],
                position=i + 1,
            )
            _unique(ideas, item["id"], idea)
            missing = [d for d in item.get("drivers") or [] if d not in drivers]
            if missing:
                raise ValidationError(
                    f"Change idea '{item['title']}' refers to drivers that are not in the diagram: {', '.join(missing)}."
                )
            idea.drivers.set([drivers[d] for d in item.get("drivers") or []])
            _import_cycles(idea, item.get("cycles") or [], links, by)
        for item in doc.get("change_ideas") or []:
            source_id = item.get("adapted_from")
            if source_id:
                if source_id not in ideas:
                    raise ValidationError(
                        f"Change idea '{item['title']}' is adapted from '{source_id}', which is not in the file."
                    )
                ChangeIdea.objects.filter(pk=ideas[item["id"]].pk).update(
                    adapted_from=ideas[source_id]
                )
        for s in doc.get("progress_scores") or []:
            ProgressScore.objects.create(
                project=project,
                score=Decimal(str(s["score"])).quantize(Decimal("0.1")),
                assessed_on=_date(s["assessed_on"]),
                note=s.get("note", ""),
                by=None,
            )
    except IntegrityError as e:
        raise ValidationError(
            f"The file's content breaks a rule of qualitas projects: {e}"
        ) from None
    record(
        by=by,
        action="project.imported",
        obj=project,
        organisation=organisation,
        summary=f"Imported the project '{project.title}' from {source}",
        after={"filename": filename, "uid": str(project.uid), "notes": notes},
    )
    return ImportReport(project, notes)


def _unique(seen: dict[str, Any], key: str, value: Any) -> None:
    if key in seen:
        raise ValidationError(f"The id '{key}' is used twice in the file.")
    seen[key] = value


def _import_cycles(
    idea: ChangeIdea,
    cycles: list[dict[str, Any]],
    links: dict[str, ProjectMeasure],
    by: Any,
) -> None:
    made: dict[int, PDSACycle] = {}
    for c in sorted(cycles, key=lambda c: c["number"]):
        if c["number"] in made:
            raise ValidationError(
                f"Change idea '{idea.title}' has two cycles numbered {c['number']}."
            )
        cycle = PDSACycle(
            change_idea=idea,
            number=c["number"],
            title=c["title"],
            stage=c["stage"],
            question=c.get("question", ""),
            prediction=c.get("prediction", ""),
            prediction_recorded_at=_when(c.get("prediction_recorded_at")),
            tasks=c.get("tasks", ""),
            data_plan=c.get("data_plan", ""),
            planned_start=_date(c["planned_start"]),
            planned_end=_date(c["planned_end"]),
            started_on=_date(c.get("started_on")),
            ended_on=_date(c.get("ended_on")),
            as_planned=c.get("as_planned"),
            what_happened=c.get("what_happened", ""),
            result=c.get("result", ""),
            outcome=c.get("outcome", ""),
            learning=c.get("learning", ""),
            decision=c.get("decision", ""),
            decision_reason=c.get("decision_reason", ""),
            decided_on=_date(c.get("decided_on")),
            created_by=by,
        )
        if cycle.stage != PDSACycle.Stage.PLAN and cycle.prediction_recorded_at is None:
            raise ValidationError(
                f"Cycle {c['number']} of '{idea.title}' has started but has no time its prediction was recorded."
            )
        if cycle.started_on is not None and cycle.started_on < cycle.earliest_start():
            raise ValidationError(
                f"Cycle {c['number']} of '{idea.title}' is recorded as started on "
                f"{cycle.started_on:%-d %B %Y}, before its prediction was recorded "
                f"({cycle.earliest_start():%-d %B %Y}): a test cannot start before "
                "its prediction is written."
            )
        # Inserting with the final stage is allowed: the lock is on changing a
        # started cycle, and the check constraints still apply to what is inserted.
        cycle.save()
        cycle.measures.set([links[m] for m in c.get("measures") or [] if m in links])
        made[c["number"]] = cycle
    # Chains second, so a file may list cycles in any order.
    follows = {c["number"]: c.get("previous") for c in cycles if c.get("previous")}
    for number, prev in follows.items():
        if prev not in made or prev == number:
            raise ValidationError(
                f"Cycle {number} of '{idea.title}' follows cycle {prev}, which is not in the file."
            )
        seen, at = {number}, prev
        while at in follows:
            if at in seen:
                raise ValidationError(
                    f"The cycles of '{idea.title}' follow each other in a circle."
                )
            seen.add(at)
            at = follows[at]
        PDSACycle.objects.filter(pk=made[number].pk).update(previous=made[prev])
