"""The OpenAPI 3.1 description of the JSON API: the contract the server keeps.

Written by hand so it says in plain words what each operation does and what goes
wrong, and built from small parts so a new status or field is one line:

- the patterns and bounds below are the ones the views check (they import them), and
  the ``Load`` schema is the one ``views.load`` validates request bodies against, so
  the document and the server cannot disagree about what a request may hold;
- every response schema lists its required fields and forbids others, so a missing
  or undocumented field breaks the contract tests (``tests/web/test_api_contract.py``,
  Schemathesis against a live server);
- every status an operation can answer is listed with its schema (``_errors``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from qualitas.web.measures.imports import NUMBERS, OPTIONAL
from qualitas.web.measures.models import Domain, Measure
from qualitas.web.organisations.models import Organisation

# What the server accepts in paths, queries and bodies (the views check the same).
CODE_PATTERN = "^[-A-Za-z0-9_]{1,60}$"  # a measure code (a slug, as the register's)
ODS_PATTERN = "^[A-Za-z0-9]{1,12}$"  # an ODS code
PERIOD_PATTERN = "^[0-9]{4}-[0-9]{1,2}(-[0-9]{1,2})?$"  # 2024-03 or 2024-03-01
TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"  # no control characters
MAX_ID = 2**63 - 1  # ids are 64-bit
MAX_NUMBER = 1e12  # far above any count or rate a measure holds
MAX_TEXT = 100  # the longest unit name, breakdown or stratum stored
MAX_NUMBER_TEXT = 40

ERROR = {"$ref": "#/components/schemas/Error"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _response(
    description: str, schema: dict[str, Any], headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        out["headers"] = headers
    return out


def _object(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict:
    """An object with exactly these properties, all present unless ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


# Every answer an operation may give besides its success, by status.
ERRORS: dict[str, dict[str, Any]] = {
    "400": _response("The request is not right; the message says how.", ERROR),
    "401": _response(
        "No token, or a token that is not valid or has been revoked.",
        ERROR,
        {"WWW-Authenticate": {"schema": {"type": "string"}}},
    ),
    "403": _response("Your roles do not allow this.", ERROR),
    "404": _response(
        "No such thing, or it belongs to an organisation you are not a member of.",
        ERROR,
    ),
    "405": _response(
        "The address does not take this method; `Allow` lists those it takes.",
        ERROR,
        {"Allow": {"required": True, "schema": {"type": "string"}}},
    ),
    "413": _response("The body is larger than the server reads.", ERROR),
    "415": _response("The body is not sent as application/json.", ERROR),
    "500": _response(
        "Something went wrong on the server; it has been logged and nothing was saved.",
        ERROR,
    ),
    "503": _response(
        "The database is busy; nothing was saved. Try again after `Retry-After` seconds.",
        ERROR,
        {"Retry-After": {"schema": {"type": "integer", "minimum": 0}}},
    ),
}
# Statuses every operation can answer, whatever it is: a Content-Length that is not
# a number (400) or over the limit (413) is refused before any view runs.
ALWAYS = ("400", "401", "405", "413", "500", "503")


def _errors(*statuses: str) -> dict[str, Any]:
    return {s: ERRORS[s] for s in sorted({*ALWAYS, *statuses})}


ORG_PARAM = {
    "name": "organisation",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "pattern": ODS_PATTERN},
    "description": "ODS code of the organisation, e.g. RAE. A system (ICB) without "
    "figures of its own gets its members' figures combined as the measure says.",
    "examples": {
        "trust": {"value": "RAE"},
        "system": {"value": "QWO", "summary": "A system (ICB)"},
    },
}
CODE_PARAM = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": CODE_PATTERN},
    "description": "The measure's code, e.g. ae-4-hour.",
    "examples": {
        "ratio": {"value": "ae-4-hour", "summary": "A percentage"},
        "sum": {"value": "ae-attendances", "summary": "A count, summed"},
        "mean": {"value": "hip-health-gain", "summary": "A score, averaged"},
    },
}
ID_PARAM = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "description": "The import's number, as the load answered it.",
}

# Follow-on requests a client (and the contract tests' stateful phase) can make.
SERIES_FROM_LOAD = {
    "code": "$request.body#/observations/0/measure",
    "organisation": "$request.body#/observations/0/organisation",
}
LOAD_LINKS = {
    "GetImport": {
        "operationId": "getImport",
        "parameters": {"id": "$response.body#/import"},
        "description": "The outcome of this load.",
    },
    "GetSpc": {
        "operationId": "getSpc",
        "parameters": SERIES_FROM_LOAD,
        "description": "The chart of the first row's measure and organisation.",
    },
    "ListObservations": {
        "operationId": "listObservations",
        "parameters": SERIES_FROM_LOAD,
        "description": "The data of the first row's measure and organisation.",
    },
}
MEASURE_LINKS = {
    "GetMeasure": {
        "operationId": "getMeasure",
        "parameters": {"code": "$response.body#/measures/0/code"},
        "description": "The first measure's definition.",
    }
}


def _get(
    summary: str,
    operation_id: str,
    ok: dict[str, Any],
    *,
    parameters: tuple[dict[str, Any], ...] = (),
    errors: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            **({"parameters": list(parameters)} if parameters else {}),
            "responses": {"200": ok, **_errors(*errors)},
        }
    }


PATHS: dict[str, Any] = {
    "/organisations": _get(
        "Organisations you can see",
        "listOrganisations",
        _response(
            "The organisations.",
            _object(
                {"organisations": {"type": "array", "items": _ref("Organisation")}}
            ),
        ),
    ),
    "/measures": _get(
        "The measures register",
        "listMeasures",
        {
            **_response(
                "Every measure you can read, with its full definition.",
                _object({"measures": {"type": "array", "items": _ref("Measure")}}),
            ),
            "links": MEASURE_LINKS,
        },
    ),
    "/measures/{code}": _get(
        "One measure's definition",
        "getMeasure",
        _response("The definition.", _ref("Measure")),
        parameters=(CODE_PARAM,),
        errors=("403", "404"),
    ),
    "/measures/{code}/observations": _get(
        "A measure's data at an organisation",
        "listObservations",
        _response(
            "Every observation: totals, units and breakdowns.",
            _object(
                {
                    "measure": {"type": "string"},
                    "organisation": {"type": "string"},
                    "observations": {"type": "array", "items": _ref("Observation")},
                }
            ),
        ),
        parameters=(CODE_PARAM, ORG_PARAM),
        errors=("400", "403", "404"),
    ),
    "/measures/{code}/spc": _get(
        "The Making Data Count XmR chart of a measure at an organisation",
        "getSpc",
        _response(
            "Points with limits and the rule that fired; variation and assurance icons.",
            _ref("Spc"),
        ),
        parameters=(CODE_PARAM, ORG_PARAM),
        errors=("400", "403", "404"),
    ),
    "/observations": {
        "post": {
            "summary": "Load data",
            "operationId": "loadObservations",
            "description": (
                "Rows are checked like an uploaded file: unknown measures or "
                "organisations, text in numbers, periods given twice, a missing "
                "numerator or denominator. Values must fit the measure: counts are "
                "whole numbers, 0 or more; a proportion's numerator is no more than "
                "its denominator; denominators are more than 0; numbers are finite; "
                "a period is a real date, starts one of the measure's periods "
                "(monthly, quarterly, annual) and is not in the future. Send numbers "
                "as JSON numbers: text holding a number with a decimal point is "
                "read, text with a comma ('1,5') is refused, never guessed at. If "
                "any row is wrong nothing is saved and every problem of every row is "
                "listed, with rows counted from 1 in the order sent. Rows for "
                "periods already loaded replace the earlier values; the response "
                "says how many. A body over the upload limit is refused with 413 "
                "from its Content-Length, before it is read; at most "
                "QUALITAS_MAX_UPLOAD_ROWS rows (100,000 unless configured) are "
                "taken in one call."
            ),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Load")}},
            },
            "responses": {
                "201": {
                    **_response("All rows saved.", _ref("Import")),
                    "links": LOAD_LINKS,
                },
                **_errors("403", "404", "413", "415"),
                "400": _response(
                    "Nothing saved. Either the body does not match `Load` (an Error, "
                    "with each problem in `errors`) or some rows are wrong (an Import "
                    "with status 'rejected' that lists them).",
                    {"anyOf": [_ref("Import"), ERROR]},
                ),
            },
        }
    },
    "/imports/{id}": _get(
        "An import's outcome",
        "getImport",
        _response("The import.", _ref("Import")),
        parameters=(ID_PARAM,),
        errors=("403", "404"),
    ),
}

ROW_ERROR = _object(
    {
        "row": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "Position in 'observations', from 1; null for the whole body.",
        },
        "column": {"type": "string"},
        "message": {"type": "string"},
    }
)

_NUMBER = {
    "description": "A number, or text that holds one; empty or null when not given.",
    "anyOf": [
        {"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER},
        {
            "type": "string",
            "maxLength": MAX_NUMBER_TEXT,
            "pattern": TEXT_PATTERN,
        },
        {"type": "null"},
    ],
}
_TEXT = _nullable({"type": "string", "maxLength": MAX_TEXT, "pattern": TEXT_PATTERN})

ROW = {
    "type": "object",
    # The organisation may be left out when it is the request's own (given once).
    "required": ["measure", "period"],
    # A figure: its value, or (for a ratio measure) numerator and denominator.
    "anyOf": [{"required": ["value"]}, {"required": ["numerator", "denominator"]}],
    "additionalProperties": False,
    "properties": {
        "measure": {
            "type": "string",
            "pattern": CODE_PATTERN,
            "description": "The measure's code.",
        },
        "organisation": {
            "type": "string",
            "pattern": ODS_PATTERN,
            "description": "ODS code of the organisation the figure is for; "
            "leave it out (or null) for the request's own organisation.",
        },
        "period": {
            "type": "string",
            "pattern": PERIOD_PATTERN,
            "description": "A month as 2024-03 or a date as 2024-03-01.",
        },
        **dict.fromkeys(NUMBERS, _NUMBER),
        **dict.fromkeys(OPTIONAL, _TEXT),
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": {"type": "string"},
            "errors": {"type": "array", "items": ROW_ERROR},
            "retry_after": {"type": "integer", "minimum": 0},
        },
        optional=("errors", "retry_after"),
    ),
    "Organisation": _object(
        {
            "ods_code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"enum": list(Organisation.Kind.values)},
            "parent": {"type": ["string", "null"]},
        }
    ),
    "Measure": _object(
        {
            "code": {"type": "string", "pattern": CODE_PATTERN},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "operational_definition": {"type": "string"},
            "numerator": {"type": "string"},
            "denominator": {"type": "string"},
            "domain": {"enum": list(Domain.values)},
            "type": {"enum": list(Measure.Type.values)},
            "unit": {"type": "string"},
            "multiplier": {"type": "number", "exclusiveMinimum": 0},
            "chart_type": {"enum": list(Measure.ChartType.values)},
            "improvement_direction": {"enum": list(Measure.Direction.values)},
            "frequency": {"enum": list(Measure.Frequency.values)},
            "aggregation": {"enum": list(Measure.Aggregation.values)},
            "owner_organisation": {"type": "string"},
            "owner": {"type": "string"},
            "committee": {"type": "string"},
            "data_source": {"type": "string"},
            "is_synthetic": {"type": "boolean"},
            "collection_burden": {"enum": list(Measure.Burden.values)},
            "breakdowns": {"type": "array", "items": {"type": "string"}},
            "targets": {
                "type": "array",
                "items": _object(
                    {
                        "starts": {"type": "string", "format": "date"},
                        "value": {"type": "number"},
                        "organisation": {"type": ["string", "null"]},
                        "note": {"type": "string"},
                    }
                ),
            },
        }
    ),
    "Observation": _object(
        {
            "period": {"type": "string", "format": "date"},
            "value": {"type": ["number", "null"]},
            "numerator": {"type": ["number", "null"]},
            "denominator": {"type": ["number", "null"]},
            "unit": {"type": ["string", "null"]},
            "breakdown": {"type": ["string", "null"]},
            "stratum": {"type": ["string", "null"]},
        }
    ),
    "Spc": _object(
        {
            "measure": {"type": "string"},
            "organisation": {"type": "string"},
            "improvement_direction": {"enum": list(Measure.Direction.values)},
            "chart_type": {"enum": list(Measure.ChartType.values)},
            "signal": {
                "type": "string",
                "description": "A run chart's signal in words (it has no variation "
                "icon); empty for other charts.",
            },
            "variation": {
                "enum": [
                    None,
                    "common_cause",
                    "improvement_high",
                    "improvement_low",
                    "concern_high",
                    "concern_low",
                    "neutral_high",
                    "neutral_low",
                ]
            },
            "assurance": {"enum": ["pass", "fail", "hit_and_miss", None]},
            "target": {"type": ["number", "null"]},
            "points": {
                "type": "array",
                "minItems": 1,
                "items": _object(
                    {
                        "period": {"type": "string", "format": "date"},
                        "value": {"type": ["number", "null"]},
                        "mean": {"type": ["number", "null"]},
                        "lpl": {"type": ["number", "null"]},
                        "upl": {"type": ["number", "null"]},
                        "segment": {"type": "integer", "minimum": 0},
                        "special_cause": {"type": "string"},
                        "point_type": {"type": "string"},
                        "target": {"type": ["number", "null"]},
                    }
                ),
            },
        }
    ),
    "Load": {
        "type": "object",
        "required": ["organisation", "observations"],
        "additionalProperties": False,
        "properties": {
            "organisation": {
                "type": "string",
                "pattern": ODS_PATTERN,
                "description": "ODS code of the organisation (or system) the data are "
                "for; every row must be for it or one of its members. A row "
                "without an organisation is for this one.",
            },
            "observations": {
                "type": "array",
                "minItems": 1,
                "maxItems": settings.QUALITAS_MAX_UPLOAD_ROWS,
                "items": ROW,
            },
        },
        "example": {
            "organisation": "RAE",
            "observations": [
                {
                    "measure": "falls-per-1000-bed-days",
                    "organisation": "RAE",
                    "period": "2025-09",
                    "numerator": 42,
                    "denominator": 8210,
                }
            ],
        },
    },
    "Import": _object(
        {
            "import": {"type": "integer", "minimum": 1},
            "status": {"enum": ["applied", "rejected"]},
            "rows": {"type": "integer", "minimum": 0},
            "added": {"type": "integer", "minimum": 0},
            "updated": {"type": "integer", "minimum": 0},
            "error_count": {"type": "integer", "minimum": 0},
            "errors": {"type": "array", "items": ROW_ERROR},
            "organisation": {"type": "string"},
            "file_hash": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        }
    ),
}


def document(server: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "qualitas API",
            "version": "1",
            "description": (
                "Read measure definitions, data and SPC results, and load data from "
                "pipelines. Authenticate with a token created on the 'API tokens' "
                "page: `Authorization: Bearer <token>`. A token acts as its owner, "
                "with their roles. A load is checked row by row and applied whole or "
                'not at all. Every error is JSON: `{"error": "..."}`.'
            ),
        },
        "servers": [{"url": server}],
        "security": [{"token": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from the 'API tokens' page.",
                }
            },
            "schemas": SCHEMAS,
        },
    }


# --- writing measures and targets ---------------------------------------------------
# The bodies are checked against these very schemas (api/writes.py) before the
# register's own rules (measures/services.py) check what a schema cannot say: a code
# already taken, a chart that needs a denominator, an owner you may not define for.

# Long text may hold line breaks and tabs, never other control characters.
LONG_TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
MAX_LONG_TEXT = 5000


def _text(max_length: int, *, long: bool = False, min_length: int = 0) -> dict:
    return {
        "type": "string",
        "maxLength": max_length,
        **({"minLength": min_length} if min_length else {}),
        "pattern": LONG_TEXT_PATTERN if long else TEXT_PATTERN,
    }


TARGET_INPUT = {
    "type": "object",
    "required": ["starts", "value"],
    "additionalProperties": False,
    "properties": {
        "starts": {
            "type": "string",
            "pattern": PERIOD_PATTERN,
            "description": "The first period the target applies to: 2024-04.",
        },
        "value": {
            "type": "number",
            "minimum": -MAX_NUMBER,
            "maximum": MAX_NUMBER,
            "description": "In the measure's unit as shown: 95% is 95, not 0.95.",
        },
        "organisation": {
            "type": ["string", "null"],
            "pattern": ODS_PATTERN,
            "description": "For one organisation only (the owner or one of its "
            "members); omit for every organisation.",
        },
        "note": _text(200),
    },
}

# What may be given about a measure, with the register's own limits.
MEASURE_FIELDS: dict[str, Any] = {
    "name": _text(200, min_length=1),
    "description": _text(MAX_LONG_TEXT, long=True),
    "operational_definition": _text(MAX_LONG_TEXT, long=True, min_length=1),
    "numerator": _text(300),
    "denominator": _text(300),
    "domain": {"enum": list(Domain.values)},
    "type": {"enum": list(Measure.Type.values)},
    "unit": {
        **_text(60, min_length=1),
        "description": "As people read it: '%', 'per 1,000 bed days', 'patients'.",
    },
    "multiplier": {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": MAX_NUMBER,
        "description": "Value = numerator ÷ denominator × this: 100 for a percentage.",
    },
    "decimals": {"type": "integer", "minimum": 0, "maximum": 6},
    "chart_type": {"enum": list(Measure.ChartType.values)},
    "improvement_direction": {"enum": list(Measure.Direction.values)},
    "frequency": {"enum": list(Measure.Frequency.values)},
    "aggregation": {"enum": list(Measure.Aggregation.values)},
    "owner": _text(150, min_length=1),
    "committee": _text(100),
    "data_source": _text(MAX_LONG_TEXT, long=True, min_length=1),
    "collection_burden": {"enum": list(Measure.Burden.values)},
    "breakdowns": {"type": "array", "maxItems": 20, "items": _text(60, min_length=1)},
}
CREATE_REQUIRED = (
    "code",
    "owner_organisation",
    "name",
    "operational_definition",
    "domain",
    "type",
    "unit",
    "improvement_direction",
    "owner",
    "data_source",
)
SCHEMAS["MeasureInput"] = {
    "type": "object",
    "description": "A new measure. Fields left out take the register's defaults "
    "(multiplier 1, XmR chart, monthly, sum of numerators over sum of denominators).",
    "required": list(CREATE_REQUIRED),
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "pattern": "^[-a-z0-9_]{1,60}$"},
        "owner_organisation": {
            "type": "string",
            "pattern": ODS_PATTERN,
            "description": "ODS code of the organisation that owns the definition.",
        },
        **MEASURE_FIELDS,
        "targets": {"type": "array", "maxItems": 50, "items": TARGET_INPUT},
    },
    "example": {
        "code": "ward-falls",
        "owner_organisation": "RAE",
        "name": "Inpatient falls per 1,000 bed days",
        "operational_definition": "Falls reported on inpatient wards in the month "
        "per 1,000 occupied bed days.",
        "domain": "safe",
        "type": "outcome",
        "unit": "falls per 1,000 bed days",
        "multiplier": 1000,
        "aggregation": "ratio",
        "improvement_direction": "decrease",
        "owner": "Chief Nurse",
        "data_source": "Incident reporting system; bed days from the PAS.",
        "targets": [{"starts": "2025-04", "value": 5.5, "note": "local ambition"}],
    },
}
SCHEMAS["MeasureChange"] = {
    "type": "object",
    "description": "The fields to change; the others stay as they are.",
    "required": [],
    "additionalProperties": False,
    "properties": MEASURE_FIELDS,
    "example": {"committee": "Quality Committee", "improvement_direction": "increase"},
}
SCHEMAS["TargetInput"] = {**TARGET_INPUT, "example": {"starts": "2025-04", "value": 95}}

PATHS["/measures"]["post"] = {
    "summary": "Add a measure to the register",
    "operationId": "createMeasure",
    "description": "Needs the permission to define measures at the owner "
    "organisation (quality improvement leads, analysts, administrators). Targets may "
    "be given with it, in the measure's unit as shown (95% is 95).",
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _ref("MeasureInput")}},
    },
    "responses": {
        "201": {
            **_response("The measure as saved.", _ref("Measure")),
            "links": {
                "GetCreatedMeasure": {
                    "operationId": "getMeasure",
                    "parameters": {"code": "$response.body#/code"},
                    "description": "The new measure's definition.",
                }
            },
        },
        **_errors("403", "404", "415"),
    },
}
PATHS["/measures/{code}"]["patch"] = {
    "summary": "Change a measure's definition",
    "operationId": "updateMeasure",
    "parameters": [CODE_PARAM],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _ref("MeasureChange")}},
    },
    "responses": {
        "200": _response("The measure as saved.", _ref("Measure")),
        **_errors("403", "404", "415"),
    },
}
PATHS["/measures/{code}/targets"] = {
    "post": {
        "summary": "Set a target from a period (several make a trajectory)",
        "operationId": "setTarget",
        "description": "Adds a target from `starts`, or changes the one that starts "
        "then (for the same organisation, or for every organisation).",
        "parameters": [CODE_PARAM],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("TargetInput")}},
        },
        "responses": {
            "201": _response("The measure with its targets.", _ref("Measure")),
            **_errors("403", "404", "415"),
        },
    }
}
