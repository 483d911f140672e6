"""Changes to people's accounts, each recorded in the audit log."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from qualitas.web.accounts.models import ApiToken, hash_token
from qualitas.web.accounts.permissions import Permission
from qualitas.web.audit.services import record
from qualitas.web.authorization import require


@transaction.atomic
def create_api_token(*, by: Any, name: str) -> tuple[ApiToken, str]:
    """A new API token for ``by``; returns it and the secret, which is shown once."""
    require(by, Permission.IMPORT_DATA)
    raw = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=by,
        name=name.strip()[:100] or "API token",
        key_hash=hash_token(raw),
        hint=raw[:8],
    )
    record(
        by=by,
        action="api_token.created",
        obj=token,
        summary=f"Created API token '{token.name}'",
        after={"name": token.name, "hint": token.hint},
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, by: Any, token: ApiToken) -> ApiToken:
    if token.user_id != by.pk:
        raise PermissionDenied("You can only revoke your own tokens.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(
        by=by,
        action="api_token.revoked",
        obj=token,
        summary=f"Revoked API token '{token.name}'",
        before={"revoked_at": None},
        after={"revoked_at": token.revoked_at},
    )
    return token


def password_changed(*, by: Any) -> None:
    """The new password is never recorded, only that it changed."""
    record(
        by=by,
        action="password.changed",
        obj=by,
        summary=f"{by.get_username()} changed their password",
        object_type="accounts.User",
    )
