"""The request a login-required view receives, typed so that ``request.user`` is our
``User`` rather than ``User | AnonymousUser``: ``login_required`` has already sent
anyone not signed in to the sign-in page, so the anonymous case cannot reach the view.
(django-stubs' recommended pattern; annotate only views behind ``login_required``.)"""

from __future__ import annotations

from django.http import HttpRequest

from qualitas.web.accounts.models import User


class SignedInRequest(HttpRequest):
    user: User
