"""Importing people from a CSV file: name, email, organisation (ODS code) and role.

Checked first, every problem named by row and column (through the shared validation
layer's ``Problems``), then all or nothing: one problem and nobody is added. An
administrator adds people only to organisations they administer. New people get an
email inviting them to choose a password (or, where local passwords are off, to
sign in with single sign-on); people who already have an account get the role.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from qualitas.io.validation import Problem, Problems
from qualitas.web.accounts.models import User
from qualitas.web.accounts.permissions import ROLES, Permission
from qualitas.web.accounts.services import username_for
from qualitas.web.audit.services import record
from qualitas.web.authorization import forget_grants, organisation_ids
from qualitas.web.organisations.models import Membership, Organisation

log = logging.getLogger(__name__)

COLUMNS = ("name", "email", "organisation", "role")
# Other headings people's spreadsheets use for the same columns.
ALIASES = {
    "full name": "name",
    "full_name": "name",
    "email address": "email",
    "e-mail": "email",
    "ods code": "organisation",
    "ods_code": "organisation",
    "org_code": "organisation",
    "organisation code": "organisation",
    "organization": "organisation",
}
MAX_ROWS = 5000
# A role by its key or its name, in any case ("QI lead" too).
ROLE_WORDS = {
    **{k.lower(): k for k in ROLES},
    **{r.name.lower(): r.key for r in ROLES.values()},
    "qi lead": "qi_lead",
    "admin": "administrator",
    "board": "board_member",
}
EXAMPLE = (
    "name,email,organisation,role\n"
    "Priya Shah,priya.shah@nhs.net,RAE,Quality improvement lead\n"
    "Tom Brierley,tom.brierley@nhs.net,RAE,Team member\n"
)


@dataclass
class Person:
    row: int
    name: str
    email: str
    organisation: Organisation
    role: str


@dataclass
class Checked:
    people: list[Person] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    refused: str = ""  # the whole file refused, and why

    @property
    def ok(self) -> bool:
        return not self.refused and not self.problems


def _table(data: bytes) -> tuple[list[str], list[list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is not text in UTF-8: save it from your spreadsheet as "
            "CSV UTF-8 (comma delimited)."
        ) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ValidationError("The file is empty.")
    if len(rows) - 1 > MAX_ROWS:
        raise ValidationError(f"The file has more than {MAX_ROWS:,} people; split it.")
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            f"The file needs the columns {', '.join(COLUMNS)}; missing "
            f"{', '.join(missing)} (the first row holds the column names)."
        )
    return header, rows[1:]


def check(data: bytes, *, by: Any) -> Checked:
    """Every row checked; the people to add if there is no problem at all."""
    try:
        header, rows = _table(data)
    except ValidationError as e:
        return Checked(refused=" ".join(e.messages))
    at = {c: header.index(c) for c in COLUMNS}
    cells = {
        c: np.array([(r[i].strip() if i < len(r) else "") for r in rows], dtype=object)
        for c, i in at.items()
    }
    # Spreadsheet row numbers: the header is row 1.
    problems = Problems(np.arange(2, len(rows) + 2), COLUMNS)
    n = len(rows)

    problems.add(cells["name"] == "", "name", "A name is needed.")

    emails = np.array([e.lower() for e in cells["email"]], dtype=object)
    bad_email = np.zeros(n, dtype=bool)
    for i, address in enumerate(emails):
        try:
            validate_email(address)
        except ValidationError:
            bad_email[i] = True
    problems.add(
        bad_email,
        "email",
        lambda where: (
            f"'{cells['email'][i]}' is not an email address"
            if cells["email"][i]
            else "An email address is needed."
            for i in where
        ),
    )
    first_row: dict[str, int] = {}
    repeated = np.zeros(n, dtype=bool)
    for i, address in enumerate(emails):
        if address and not bad_email[i]:
            if address in first_row:
                repeated[i] = True
            first_row.setdefault(address, i + 2)
    problems.add(
        repeated,
        "email",
        lambda where: (
            f"{emails[i]} is already on row {first_row[emails[i]]}" for i in where
        ),
    )

    # Security: only organisations this administrator administers, and the same
    # words for one that does not exist, so the file cannot probe for others.
    mine = {
        o.ods_code.upper(): o
        for o in Organisation.objects.filter(
            pk__in=organisation_ids(by, Permission.ADMINISTER)
        )
    }
    codes = np.array([c.upper() for c in cells["organisation"]], dtype=object)
    problems.add(
        np.array([c not in mine for c in codes], dtype=bool),
        "organisation",
        lambda where: (
            f"'{cells['organisation'][i]}' is not the ODS code of an organisation "
            "you administer"
            if cells["organisation"][i]
            else "The organisation's ODS code is needed."
            for i in where
        ),
    )
    roles = np.array(
        [
            ROLE_WORDS.get(" ".join(r.lower().replace("-", " ").split()), "")
            for r in cells["role"]
        ],
        dtype=object,
    )
    problems.add(
        roles == "",
        "role",
        lambda where: (
            f"'{cells['role'][i]}' is not a role; the roles are "
            + ", ".join(r.name for r in ROLES.values())
            for i in where
        ),
    )
    if problems.count:
        return Checked(problems=problems.listed())
    return Checked(
        people=[
            Person(i + 2, cells["name"][i], emails[i], mine[codes[i]], roles[i])
            for i in range(n)
        ]
    )


@dataclass
class Imported:
    invited: list[User] = field(default_factory=list)
    existing: list[User] = field(default_factory=list)
    emailed: bool = True


@transaction.atomic
def import_people(*, by: Any, people: list[Person]) -> Imported:
    """Add everyone, or (on any error) no one; invitations go once it is saved."""
    out = Imported(emailed=settings.QUALITAS_SEND_EMAIL)
    for person in people:
        if Permission.ADMINISTER not in _grants(by, person.organisation):
            raise PermissionDenied(f"You do not administer {person.organisation}.")
        user = User.objects.filter(email__iexact=person.email).first()
        if user is None:
            first, _, last = person.name.partition(" ")
            user = User(
                username=username_for(person.email),
                email=person.email,
                first_name=first[:150],
                last_name=last[:150],
            )
            user.set_unusable_password()
            user.save()
            out.invited.append(user)
            record(
                by=by,
                action="user.added",
                obj=user,
                organisation=person.organisation,
                summary=f"Added {person.name} ({person.email}) from a file of people",
                after={"username": user.username, "email": user.email},
            )
        elif user not in out.existing and user not in out.invited:
            out.existing.append(user)
        _, made = Membership.objects.get_or_create(
            user=user, organisation=person.organisation, role=person.role
        )
        if made:
            forget_grants(user)
            record(
                by=by,
                action="membership.added",
                obj=user,
                object_type="accounts.User",
                organisation=person.organisation,
                summary=f"{person.name} is now {ROLES[person.role].name} at "
                f"{person.organisation}",
                after={"role": person.role, "organisation": person.organisation.pk},
            )
    invited = list(out.invited)
    if out.emailed:
        transaction.on_commit(lambda: send_invitations(invited, by=by))
    return out


def _grants(user: Any, organisation: Organisation) -> frozenset:
    from qualitas.web.authorization import grants

    return grants(user).get(organisation.pk, frozenset())


def set_password_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.QUALITAS_BASE_URL + reverse(
        "accounts:welcome", kwargs={"uidb64": uid, "token": token}
    )


def invitation(user: User, *, by: Any) -> EmailMessage:
    places = ", ".join(
        f"{m.role_name} at {m.organisation.name}"
        for m in user.memberships.select_related("organisation")
    )
    if settings.LOCAL_PASSWORDS:
        how = (
            "Choose your password here (the link works once, for "
            f"{settings.PASSWORD_RESET_TIMEOUT // 86400} days):\n"
            f"{set_password_url(user)}\n\n"
            f"Then sign in with your username, {user.username}."
        )
    else:
        how = (
            "Sign in with your organisation's account at "
            f"{settings.QUALITAS_BASE_URL}{reverse('accounts:login')}"
        )
    inviter = getattr(by, "display_name", "") or "An administrator"
    return EmailMessage(
        subject="qualitas: you have been invited",
        body=(
            f"Hello {user.display_name},\n\n"
            f"{inviter} has given you an account on qualitas, the quality "
            f"improvement site: {places}.\n\n{how}\n\n"
            "If you did not expect this email, you can ignore it: nothing happens "
            "until the link is used.\n"
        ),
        to=[user.email],
    )


def send_invitations(users: list[User], *, by: Any) -> int:
    """Send each invitation; a failure is logged and the rest still go."""
    sent = 0
    for user in users:
        try:
            invitation(user, by=by).send()
            sent += 1
        except Exception:
            log.exception("Could not send the invitation to %s", user.email)
    return sent
