"""Is this request from htmx (so a fragment of the page is wanted, not all of it)?"""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
