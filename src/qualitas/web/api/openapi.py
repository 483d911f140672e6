"""The OpenAPI 3.1 description of the JSON API, written out by hand so it says in
plain words what each operation does and what goes wrong."""

from __future__ import annotations

from typing import Any

from qualitas.web.measures.imports import KNOWN
from qualitas.web.measures.models import Domain

ERROR = {"$ref": "#/components/schemas/Error"}


def _response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


COMMON_ERRORS = {
    "401": _response(
        "No token, or a token that is not valid or has been revoked.", ERROR
    ),
    "403": _response("Your roles do not allow this.", ERROR),
    "404": _response(
        "No such thing, or it belongs to an organisation you are not a member of.",
        ERROR,
    ),
    # Writes to the same data take turns; one that waits longer than the server's
    # limit (or finds every database connection in use) is told to come back.
    "503": {
        **_response(
            "The database is busy with other changes; nothing was saved. Send the "
            "same request again after the number of seconds in Retry-After.",
            {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "retry_after": {"type": "integer"},
                },
                "required": ["error", "retry_after"],
            },
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before sending the request again.",
                "schema": {"type": "integer"},
            }
        },
    },
}

ORG_PARAM = {
    "name": "organisation",
    "in": "query",
    "required": True,
    "schema": {"type": "string"},
    "description": "ODS code of the organisation, e.g. RAE.",
}
CODE_PARAM = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The measure's code, e.g. ae-4-hour.",
}


def document(server: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "qualitas API",
            "version": "1",
            "description": (
                "Read measure definitions, data and SPC results, and load data from pipelines. "
                "Authenticate with a token created on the 'API tokens' page: "
                "`Authorization: Bearer <token>`. A token acts as its owner, with their roles. "
                "A load is checked row by row and applied whole or not at all."
            ),
        },
        "servers": [{"url": server}],
        "security": [{"token": []}],
        "paths": {
            "/organisations": {
                "get": {
                    "summary": "Organisations you can see",
                    "operationId": "listOrganisations",
                    "responses": {
                        "200": _response(
                            "The organisations.",
                            {
                                "type": "object",
                                "properties": {
                                    "organisations": {
                                        "type": "array",
                                        "items": {
                                            "$ref": "#/components/schemas/Organisation"
                                        },
                                    }
                                },
                            },
                        ),
                        "401": COMMON_ERRORS["401"],
                    },
                }
            },
            "/measures": {
                "get": {
                    "summary": "The measures register",
                    "operationId": "listMeasures",
                    "responses": {
                        "200": _response(
                            "Every measure you can read, with its full definition.",
                            {
                                "type": "object",
                                "properties": {
                                    "measures": {
                                        "type": "array",
                                        "items": {
                                            "$ref": "#/components/schemas/Measure"
                                        },
                                    }
                                },
                            },
                        ),
                        "401": COMMON_ERRORS["401"],
                    },
                }
            },
            "/measures/{code}": {
                "get": {
                    "summary": "One measure's definition",
                    "operationId": "getMeasure",
                    "parameters": [CODE_PARAM],
                    "responses": {
                        "200": _response(
                            "The definition.", {"$ref": "#/components/schemas/Measure"}
                        ),
                        **COMMON_ERRORS,
                    },
                }
            },
            "/measures/{code}/observations": {
                "get": {
                    "summary": "A measure's data at an organisation",
                    "operationId": "listObservations",
                    "parameters": [CODE_PARAM, ORG_PARAM],
                    "responses": {
                        "200": _response(
                            "Every observation: totals, units and breakdowns.",
                            {
                                "type": "object",
                                "properties": {
                                    "measure": {"type": "string"},
                                    "organisation": {"type": "string"},
                                    "observations": {
                                        "type": "array",
                                        "items": {
                                            "$ref": "#/components/schemas/Observation"
                                        },
                                    },
                                },
                            },
                        ),
                        **COMMON_ERRORS,
                    },
                }
            },
            "/measures/{code}/spc": {
                "get": {
                    "summary": "The Making Data Count XmR chart of a measure at an organisation",
                    "operationId": "getSpc",
                    "parameters": [CODE_PARAM, ORG_PARAM],
                    "responses": {
                        "200": _response(
                            "Points with limits and the rule that fired; variation and assurance icons.",
                            {"$ref": "#/components/schemas/Spc"},
                        ),
                        **COMMON_ERRORS,
                    },
                }
            },
            "/observations": {
                "post": {
                    "summary": "Load data",
                    "operationId": "loadObservations",
                    "description": (
                        "Rows are checked like an uploaded file: unknown measures or organisations, text in numbers, "
                        "periods given twice, a missing numerator or denominator. If any row is wrong nothing is "
                        "saved and every problem is listed. Rows for periods already loaded replace the earlier "
                        "values; the response says how many."
                    ),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Load"}
                            }
                        },
                    },
                    "responses": {
                        "201": _response(
                            "All rows saved.", {"$ref": "#/components/schemas/Import"}
                        ),
                        "400": _response(
                            "Nothing saved: the body or some rows are wrong (see errors).",
                            {"$ref": "#/components/schemas/Import"},
                        ),
                        **COMMON_ERRORS,
                    },
                }
            },
            "/imports/{id}": {
                "get": {
                    "summary": "An import's outcome",
                    "operationId": "getImport",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": _response(
                            "The import.", {"$ref": "#/components/schemas/Import"}
                        ),
                        **COMMON_ERRORS,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from the 'API tokens' page.",
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}},
                    "required": ["error"],
                },
                "Organisation": {
                    "type": "object",
                    "properties": {
                        "ods_code": {"type": "string"},
                        "name": {"type": "string"},
                        "kind": {"enum": ["system", "trust", "practice"]},
                        "parent": {"type": ["string", "null"]},
                    },
                },
                "Measure": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "operational_definition": {"type": "string"},
                        "numerator": {"type": "string"},
                        "denominator": {"type": "string"},
                        "domain": {"enum": list(Domain.values)},
                        "type": {"enum": ["outcome", "process", "balancing"]},
                        "unit": {"type": "string"},
                        "multiplier": {"type": "number"},
                        "chart_type": {"type": "string"},
                        "improvement_direction": {
                            "enum": ["increase", "decrease", "neutral"]
                        },
                        "frequency": {"enum": ["monthly", "quarterly", "annual"]},
                        "aggregation": {"enum": ["ratio", "sum", "mean"]},
                        "owner_organisation": {"type": "string"},
                        "owner": {"type": "string"},
                        "committee": {"type": "string"},
                        "data_source": {"type": "string"},
                        "is_synthetic": {"type": "boolean"},
                        "collection_burden": {"enum": ["low", "medium", "high"]},
                        "breakdowns": {"type": "array", "items": {"type": "string"}},
                        "targets": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "starts": {"type": "string", "format": "date"},
                                    "value": {"type": "number"},
                                    "organisation": {"type": ["string", "null"]},
                                    "note": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "Observation": {
                    "type": "object",
                    "properties": {
                        "period": {"type": "string", "format": "date"},
                        "value": {"type": "number"},
                        "numerator": {"type": ["number", "null"]},
                        "denominator": {"type": ["number", "null"]},
                        "unit": {"type": ["string", "null"]},
                        "breakdown": {"type": ["string", "null"]},
                        "stratum": {"type": ["string", "null"]},
                    },
                },
                "Spc": {
                    "type": "object",
                    "properties": {
                        "measure": {"type": "string"},
                        "organisation": {"type": "string"},
                        "improvement_direction": {"type": "string"},
                        "variation": {
                            "enum": [
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
                            "items": {
                                "type": "object",
                                "properties": {
                                    "period": {"type": "string", "format": "date"},
                                    "value": {"type": ["number", "null"]},
                                    "mean": {"type": "number"},
                                    "lpl": {"type": "number"},
                                    "upl": {"type": "number"},
                                    "segment": {"type": "integer"},
                                    "special_cause": {"type": "string"},
                                    "point_type": {"type": "string"},
                                    "target": {"type": ["number", "null"]},
                                },
                            },
                        },
                    },
                },
                "Load": {
                    "type": "object",
                    "required": ["organisation", "observations"],
                    "properties": {
                        "organisation": {
                            "type": "string",
                            "description": "ODS code of the organisation (or system) the data are for; every row must be for it or one of its members.",
                        },
                        "observations": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["measure", "organisation", "period"],
                                "properties": {
                                    **{
                                        k: {"type": ["string", "number", "null"]}
                                        for k in KNOWN
                                    },
                                    "period": {
                                        "type": "string",
                                        "description": "A month as 2024-03 or a date as 2024-03-01.",
                                    },
                                },
                            },
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
                "Import": {
                    "type": "object",
                    "properties": {
                        "import": {"type": "integer"},
                        "status": {"enum": ["applied", "rejected"]},
                        "rows": {"type": "integer"},
                        "added": {"type": "integer"},
                        "updated": {"type": "integer"},
                        "error_count": {"type": "integer"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "row": {
                                        "type": ["integer", "null"],
                                        "description": "Position in 'observations', from 1.",
                                    },
                                    "column": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            },
                        },
                        "organisation": {"type": "string"},
                        "file_hash": {"type": "string"},
                        "created_at": {"type": "string"},
                    },
                },
            },
        },
    }
