"""Sign-in throttling (django-axes): after too many wrong passwords for one account,
or from one address, signing in is paused for a while, on the site and the admin
login alike, even with the right password.

The answer never says whether the account exists: axes counts failures for any
username typed, so an account that does not exist is paused in exactly the same way.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class ThrottleBackend(AxesStandaloneBackend):
    """Refuses sign-in while the account or address is paused.

    Every sign-in form passes the request; only code that calls ``authenticate``
    directly (Django's test client ``login``, a shell) does not, and there is no
    address to throttle then, so those calls go on to the password check instead of
    failing outright as axes' own backend would.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from. Behind reverse proxies
    (``QUALITAS_PROXY_COUNT`` of them), the address the nearest proxy saw, from the
    right-hand end of X-Forwarded-For: the left-hand entries are the client's to
    write and cannot be trusted."""
    count = settings.QUALITAS_PROXY_COUNT
    if count:
        hops = [
            h.strip()
            for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if h.strip()
        ]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The page shown while signing in is paused (429 Too Many Requests)."""
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": settings.QUALITAS_LOCKOUT_MINUTES},
        status=429,
    )
