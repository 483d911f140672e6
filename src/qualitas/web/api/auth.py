"""Token authentication for the JSON API.

The API reads only the ``Authorization: Bearer <token>`` header, never the session
cookie, so it needs no CSRF token and a browser session cannot be used against it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from qualitas.web.accounts.models import ApiToken, hash_token


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def token_user(request: HttpRequest) -> Any:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(key_hash=hash_token(raw.strip()))
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_view(methods: tuple[str, ...]) -> Callable:
    """Token auth, allowed methods, JSON errors for 401/403/404/405."""

    def wrap(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method not in methods:
                return error(405, f"Use {' or '.join(methods)}.")
            user = token_user(request)
            if user is None:
                response = error(
                    401, "Give a valid API token: 'Authorization: Bearer <token>'."
                )
                response["WWW-Authenticate"] = 'Bearer realm="qualitas"'
                return response
            request.user = user
            try:
                return view(request, *args, **kwargs)
            except Http404 as e:
                return error(404, str(e) or "Not found.")
            except PermissionDenied as e:
                return error(403, str(e) or "You do not have permission to do this.")
            except ValidationError as e:
                return error(400, "; ".join(e.messages))

        return inner

    return wrap


def json_body(request: HttpRequest) -> Any:
    if not request.content_type or "json" not in request.content_type:
        raise ValidationError(
            "Send the body as JSON with 'Content-Type: application/json'."
        )
    try:
        return json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValidationError(f"The body is not valid JSON: {e}") from None
