"""Every error under ``/api/v1/`` is JSON, whoever produced it.

The API's views answer their own errors as JSON (``auth.error``). Some answers are made
before or around them, by Django or another middleware: a path that matches no route
(404), a body larger than Django reads (400), an exception (500), a CSRF or host
refusal. Those come back as the site's HTML pages; this middleware turns any such
non-JSON error under the API into ``{"error": ...}`` with the same status and headers,
so a pipeline can always parse what it is told.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse

PREFIX = "/api/v1/"

MESSAGES = {
    400: "The request could not be read.",
    403: "You do not have permission to do this.",
    404: "There is nothing at this address. The API's paths are listed in "
    "/api/v1/openapi.json.",
    405: "This address does not take this method.",
    413: "The request body is too large.",
    500: "Something went wrong on our side and it has been logged. Nothing was "
    "saved; try again later, and tell the service desk if it keeps happening.",
}

# Headers of the original answer that still mean something on the JSON one.
KEPT = ("Allow", "Retry-After", "WWW-Authenticate")


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def as_json(response: HttpResponse) -> JsonResponse:
    status = response.status_code
    try:
        fallback = HTTPStatus(status).phrase
    except ValueError:
        fallback = "Error"
    message = MESSAGES.get(status) or MESSAGES.get(status // 100 * 100) or fallback
    out = JsonResponse({"error": message}, status=status)
    for header in KEPT:
        if header in response:
            out[header] = response[header]
    return out


class JsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(PREFIX)
            and response.status_code >= 400
            and not is_json(response)
        ):
            return as_json(response)
        return response
