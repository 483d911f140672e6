"""Changes to people's accounts, each recorded in the audit log."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qualitas.web.accounts.models import AccessRequest, ApiToken, hash_token
from qualitas.web.accounts.permissions import ROLES, Permission
from qualitas.web.audit.services import organisations_of, record
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
        organisations=organisations_of(by),
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
        organisations=organisations_of(by),
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
        organisations=organisations_of(by),
        summary=f"{by.get_username()} changed their password",
        object_type="accounts.User",
    )


# --- single sign-on: asking for access ------------------------------------------------


def username_for(email: str) -> str:
    """A free username from an email address: its local part, numbered if taken."""
    from qualitas.web.accounts.models import User

    base = "".join(c for c in email.split("@")[0].lower() if c.isalnum() or c in "._-")
    base = (base or "user")[:140]
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


@transaction.atomic
def request_access(
    *, pending: dict[str, str], organisation: Any, reason: str
) -> AccessRequest:
    """Record a request from someone the identity provider vouched for; ``pending`` is
    what their sign-in left in the session (their verified address and names)."""
    if not organisation.accepts_access_requests:
        raise PermissionDenied(f"{organisation} does not accept requests for access.")
    existing = AccessRequest.objects.filter(
        organisation=organisation,
        email__iexact=pending["email"],
        status=AccessRequest.Status.PENDING,
    ).first()
    if existing is not None:
        return existing
    access = AccessRequest.objects.create(
        organisation=organisation,
        email=pending["email"],
        name=pending.get("name", ""),
        given_name=pending.get("given_name", ""),
        family_name=pending.get("family_name", ""),
        reason=reason.strip()[:1000],
    )
    record(
        by=None,
        action="access_request.made",
        obj=access,
        organisation=organisation,
        summary=f"{access.name or access.email} ({access.email}) asked to join {organisation}",
    )
    return access


@transaction.atomic
def approve_access(*, by: Any, access: AccessRequest, role: str) -> Any:
    """Create the person's account (or use the one that now has their address) and
    give them ``role`` in the organisation. They sign in with single sign-on; the
    account has no password."""
    from qualitas.web.accounts.models import User
    from qualitas.web.authorization import forget_grants
    from qualitas.web.organisations.models import Membership

    require(by, Permission.ADMINISTER, access.organisation)
    if role not in ROLES:
        raise ValidationError({"role": "Choose a role."})
    access = AccessRequest.objects.select_for_update().get(pk=access.pk)
    if access.status != AccessRequest.Status.PENDING:
        raise ValidationError("This request has already been decided.")
    users = list(User.objects.filter(email__iexact=access.email)[:2])
    if len(users) > 1:
        raise ValidationError(
            "Two accounts already have this email address; sort that out in "
            "Administration first."
        )
    user = users[0] if users else None
    if user is None:
        user = User(
            username=username_for(access.email),
            email=access.email,
            first_name=access.given_name or access.name.split(" ")[0][:150],
            last_name=access.family_name or " ".join(access.name.split(" ")[1:])[:150],
        )
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(
        user=user, organisation=access.organisation, role=role
    )
    forget_grants(user)
    access.status = AccessRequest.Status.APPROVED
    access.decided_by, access.decided_at = by, timezone.now()
    access.role, access.user = role, user
    access.save()
    record(
        by=by,
        action="access_request.approved",
        obj=access,
        organisation=access.organisation,
        summary=f"Approved {access.email} as {ROLES[role].name} at {access.organisation}",
        after={"user": user.pk, "role": role},
    )
    return user


@transaction.atomic
def decline_access(*, by: Any, access: AccessRequest) -> None:
    require(by, Permission.ADMINISTER, access.organisation)
    access = AccessRequest.objects.select_for_update().get(pk=access.pk)
    if access.status != AccessRequest.Status.PENDING:
        raise ValidationError("This request has already been decided.")
    access.status = AccessRequest.Status.DECLINED
    access.decided_by, access.decided_at = by, timezone.now()
    access.save()
    record(
        by=by,
        action="access_request.declined",
        obj=access,
        organisation=access.organisation,
        summary=f"Declined {access.email}'s request to join {access.organisation}",
    )


@transaction.atomic
def set_accepts_access_requests(*, by: Any, organisation: Any, accepts: bool) -> None:
    require(by, Permission.ADMINISTER, organisation)
    if organisation.accepts_access_requests == accepts:
        return
    organisation.accepts_access_requests = accepts
    organisation.save(update_fields=["accepts_access_requests"])
    record(
        by=by,
        action="organisation.access_requests_changed",
        obj=organisation,
        summary=f"{organisation} {'now accepts' if accepts else 'no longer accepts'} "
        "requests for access from people signing in with single sign-on",
        before={"accepts_access_requests": not accepts},
        after={"accepts_access_requests": accepts},
    )
