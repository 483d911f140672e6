"""Creating and changing measures and targets through the API.

A body is checked first against the schema the OpenAPI document publishes for it
(every problem listed, by field), then by the register's services, which hold the
rules a schema cannot (a code already taken, who may define measures where)."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema_rs
from django.core.exceptions import ValidationError
from django.db import transaction

from qualitas.web.accounts.permissions import Permission
from qualitas.web.api import openapi
from qualitas.web.api.auth import Refused
from qualitas.web.authorization import (
    descendants,
    get_organisation_for_user,
    hierarchy,
)
from qualitas.web.measures import services
from qualitas.web.measures.forms import parse_month
from qualitas.web.measures.models import Measure

# API names -> the register's field names, where they differ.
RENAMED = {"type": "measure_type", "improvement_direction": "direction"}


@functools.cache
def _validator(name: str) -> Any:
    return jsonschema_rs.validator_for(openapi.SCHEMAS[name])


def check_body(name: str, body: Any) -> None:
    """Refuse (400) a body that breaks the named schema, listing every problem."""
    problems = []
    try:
        for e in _validator(name).iter_errors(body):
            path = [str(p) for p in e.instance_path]
            field = ".".join(path)
            kind = type(e.kind).__name__
            if kind == "Required":
                message = f"missing '{e.kind.property}'"
            elif kind == "AdditionalProperties":
                message = "unknown field " + ", ".join(
                    f"'{k}'" for k in e.kind.unexpected
                )
            else:
                message = f"'{field or 'the body'}': {e.message[:200]}"
            problem = {"row": None, "column": field, "message": message}
            if problem not in problems:
                problems.append(problem)
            if len(problems) >= 50:
                break
    except ValueError:
        problems = [{"row": None, "column": "", "message": "nested too deeply"}]
    if problems:
        raise Refused(
            400,
            f"The body does not match the {name} schema of /api/v1/openapi.json: "
            + "; ".join(p["message"] for p in problems[:5]),
            errors=problems,
        )


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return {
        RENAMED.get(k, k): v for k, v in body.items() if k in openapi.MEASURE_FIELDS
    }


def _target(*, by: Any, measure: Measure, given: dict[str, Any]) -> None:
    organisation = None
    if given.get("organisation"):
        organisation = get_organisation_for_user(by, given["organisation"])
        if organisation.pk not in {
            measure.organisation_id,
            *descendants(measure.organisation_id, hierarchy()[1]),
        }:
            raise ValidationError(
                f"{organisation.ods_code} is not {measure.organisation.ods_code} or "
                "one of its members, so the measure's target cannot be set for it."
            )
    services.set_target(
        by=by,
        measure=measure,
        starts=parse_month(given["starts"]),
        value=float(given["value"]),
        organisation=organisation,
        note=given.get("note", ""),
    )


@transaction.atomic
def create(*, by: Any, body: Any) -> Measure:
    check_body("MeasureInput", body)
    owner = get_organisation_for_user(
        by, body["owner_organisation"], Permission.MANAGE_MEASURES
    )
    measure = services.create_measure(
        by=by, organisation=owner, code=body["code"], **_fields(body)
    )
    for given in body.get("targets", []):
        _target(by=by, measure=measure, given=given)
    return measure


def update(*, by: Any, measure: Measure, body: Any) -> Measure:
    check_body("MeasureChange", body)
    return services.update_measure(by=by, measure=measure, **_fields(body))


def set_target(*, by: Any, measure: Measure, body: Any) -> Measure:
    check_body("TargetInput", body)
    _target(by=by, measure=measure, given=body)
    return measure
