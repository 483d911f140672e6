"""A database too busy to answer in time is a 503 the client can retry, not a 500.

Writers queue for SQLite's write lock (up to its busy timeout) and PostgreSQL writes to
the same series are serialised (``measures.services``), so this is rare: a very long
import holding the lock, or every pooled connection in use for longer than the pool's
timeout. The answer says so plainly and carries ``Retry-After``; under ``/api/`` it is
JSON like every other API error.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 5

MESSAGE = (
    "The database is busy with other changes. Nothing was saved; "
    "try again in a few seconds."
)

# PostgreSQL error codes that mean "another transaction was in the way": serialisation
# failure, deadlock, lock not available, too many connections.
BUSY_SQLSTATES = {"40001", "40P01", "55P03", "53300"}


def is_busy(error: BaseException) -> bool:
    """Whether a database error is one of waiting for others, worth retrying."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if cause is not None:
        if type(cause).__name__ == "PoolTimeout":  # psycopg_pool: no free connection
            return True
        if getattr(cause, "sqlstate", None) in BUSY_SQLSTATES:
            return True
    text = str(error).lower()
    return "database is locked" in text or "database table is locked" in text


def busy_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": MESSAGE, "retry_after": RETRY_AFTER_SECONDS}, status=503
        )
    else:
        # No request context: its processors would ask the busy database again.
        response = HttpResponse(
            render_to_string("503.html", {"message": MESSAGE}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        return busy_response(request) if is_busy(exception) else None
