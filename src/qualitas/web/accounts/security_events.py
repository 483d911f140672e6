"""Sign-in, failed sign-in, lockout and sign-out, written to the audit log.

Each event names the organisations the person belongs to, so the administrators of
every one of them see it on the audit page. A failed sign-in or a lockout for a
username that matches no account is recorded with no organisation: only the
address and the name typed, which no administrator's page shows.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model, user_logged_in, user_logged_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from qualitas.web.accounts.throttle import client_ip
from qualitas.web.audit.services import organisations_of, record

USERNAME_SHOWN = 150  # the longest username Django allows; longer text is cut


def _account(username: str) -> Any:
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


def _address(request: Any) -> dict[str, Any]:
    return {"ip_address": client_ip(request) if request is not None else None}


@receiver(user_logged_in, dispatch_uid="qualitas-signed-in")
def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(
        by=user,
        action="auth.signed_in",
        obj=user,
        organisations=organisations_of(user),
        summary=f"{user.get_username()} signed in",
        after=_address(request),
    )


@receiver(user_logged_out, dispatch_uid="qualitas-signed-out")
def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:  # no one was signed in
        return
    record(
        by=user,
        action="auth.signed_out",
        obj=user,
        organisations=organisations_of(user),
        summary=f"{user.get_username()} signed out",
        after=_address(request),
    )


@receiver(user_login_failed, dispatch_uid="qualitas-sign-in-failed")
def sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    typed = str(credentials.get("username") or "")[:USERNAME_SHOWN]
    account = _account(typed)
    record(
        by=None,
        by_name="anonymous",
        action="auth.sign_in_failed",
        obj=account,
        organisations=organisations_of(account),
        object_type="accounts.User",
        summary=f"Failed sign-in as '{typed}'",
        after={"username": typed, **_address(request)},
    )


@receiver(user_locked_out, dispatch_uid="qualitas-locked-out")
def locked_out(
    sender: Any, request: Any, username: str | None, ip_address: str | None, **kw: Any
) -> None:
    typed = (username or "")[:USERNAME_SHOWN]
    account = _account(typed)
    record(
        by=None,
        by_name="anonymous",
        action="auth.locked_out",
        obj=account,
        organisations=organisations_of(account),
        object_type="accounts.User",
        summary=f"Signing in paused after too many failures: '{typed}' from "
        f"{ip_address or 'an unknown address'}",
        after={"username": typed, "ip_address": ip_address},
    )
