"""Signed unsubscribe tokens: a link in each email stops them without signing in.

The token names the person and is signed with the site's secret key, so it cannot be
made up or altered; it only ever turns email off, so a leaked one can do no harm
beyond that, and it does not expire (an old email's link should still work)."""

from __future__ import annotations

from django.core import signing

SALT = "qualitas.notifications.unsubscribe"


def make(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=SALT, compress=False)


def read(token: str) -> int | None:
    """The user id in a valid token, or None."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) else None
