"""Template context: what the navigation may offer the signed-in user."""

from __future__ import annotations

from django.conf import settings

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    can = {p.name.lower(): has_permission(user, p) for p in Permission} if user else {}
    return {
        "can": can,
        "demo_mode": settings.DEMO_MODE,
        "sso_enabled": settings.SSO_ENABLED,
        "local_passwords": settings.LOCAL_PASSWORDS,
    }
