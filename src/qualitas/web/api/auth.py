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

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    ValidationError,
)
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
    """Token auth, allowed methods, JSON errors for 401/403/404/405/413.

    The method is checked first, before the token, so the answer to a method the
    address never takes (405, with ``Allow`` as HTTP requires) does not depend on who
    asks. HEAD is answered wherever GET is."""
    allowed = (*methods, "HEAD") if "GET" in methods else methods

    def wrap(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method not in allowed:
                response = error(405, f"Use {' or '.join(methods)}.")
                response["Allow"] = ", ".join(allowed)
                return response
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
            except Refused as e:
                return error(e.status, e.message, **e.extra)
            except RequestDataTooBig:
                return error(
                    413,
                    "The body is larger than the "
                    f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)} MB "
                    "limit. Send the rows in smaller parts.",
                )

        return inner

    return wrap


class Refused(Exception):
    """The request is refused with this status and message (a JSON error)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def _not_json(constant: str) -> Any:
    raise json.JSONDecodeError(f"{constant} is not a JSON number", constant, 0)


def json_body(request: HttpRequest) -> Any:
    if request.content_type != "application/json":
        raise Refused(
            415, "Send the body as JSON with 'Content-Type: application/json'."
        )
    try:
        body = json.loads(request.body or b"null", parse_constant=_not_json)
        # "\ud800" is valid JSON but no text: it cannot be stored or checked.
        json.dumps(body, ensure_ascii=False).encode()
        return body
    except UnicodeEncodeError:
        raise Refused(
            400, "The body is not valid JSON: it escapes a character that is not text."
        ) from None
    except UnicodeDecodeError:
        raise Refused(400, "The body is not valid JSON: it is not UTF-8.") from None
    except json.JSONDecodeError as e:
        raise Refused(400, f"The body is not valid JSON: {e}") from None
    except (ValueError, RecursionError):
        # Integers of thousands of digits, or arrays nested thousands deep.
        raise Refused(400, "The body is not valid JSON that can be read.") from None
