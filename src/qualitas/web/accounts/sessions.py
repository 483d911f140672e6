"""How long a signed-in session lasts: it ends after a spell without requests
(30 minutes by default) and, however busy, a fixed time after signing in (12 hours),
so a session left open on a shared ward computer does not stay open.

The session stores when it was signed in and when it was last used. The last-used
time is refreshed at most once a minute, which also renews the session's expiry in
the store (SESSION_COOKIE_AGE is the idle limit), so busy pages do not write the
session on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout, user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

SIGNED_IN_AT = "qualitas_signed_in_at"
LAST_SEEN_AT = "qualitas_last_seen_at"
REFRESH_SECONDS = 60


@receiver(user_logged_in, dispatch_uid="qualitas-session-start")
def _started(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_SEEN_AT] = now


def expired(session, now: float) -> bool:
    idle = settings.QUALITAS_SESSION_IDLE_MINUTES * 60
    lifetime = settings.QUALITAS_SESSION_MAX_HOURS * 3600
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(LAST_SEEN_AT, signed_in)
    if signed_in is None or seen is None:
        return False  # started before these limits existed: they start now
    return now - signed_in > lifetime or now - seen > idle


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            now = time.time()
            if expired(session, now):
                logout(request)  # the next page asks them to sign in again
            else:
                session.setdefault(SIGNED_IN_AT, now)
                if now - session.get(LAST_SEEN_AT, 0) >= REFRESH_SECONDS:
                    session[LAST_SEEN_AT] = now
        return self.get_response(request)
