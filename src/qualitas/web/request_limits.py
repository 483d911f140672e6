"""Refuse a request body that is too large from its Content-Length, before reading it.

Django's own limits (DATA_UPLOAD_MAX_MEMORY_SIZE) apply only to form fields and are
checked while the body is read; an upload is read to the end first, so a 50 MB body
kept a server worker busy for most of a minute before being refused. This middleware
answers 413 from the header alone; nothing reads the body before it runs, since
Django reads a body only when a view or ``process_view`` asks for it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


class RequestSizeLimit:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.QUALITAS_MAX_REQUEST_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return self._refuse(
                request, 400, "The request's Content-Length is not a number."
            )
        if length > limit:
            return self._refuse(
                request,
                413,
                f"The request is {_size(length)}, more than the limit of "
                f"{_size(limit)}. Split the data into smaller files, for example "
                "one per year.",
            )
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, status: int, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"error": message}, status=status)
        else:
            response = render(request, "413.html", {"message": message}, status=status)
        return response
