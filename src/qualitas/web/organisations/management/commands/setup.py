"""`python -m qualitas.web setup`: a real deployment's first run, in one command.

It says which settings file it read, creates or upgrades the database, collects the
static files when STATIC_ROOT is set, adds the organisations named by their ODS codes
(each with its integrated care board) and the first administrator, then says what to
do next. Running it again changes nothing that is already there, so it is also the
upgrade command (docs/getting-started.md, docs/deploy.md).
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from qualitas.web.audit.services import record
from qualitas.web.organisations.models import Membership, Organisation
from qualitas.web.organisations.services import add_from_ods

PASSWORD_VARIABLE = "QUALITAS_ADMIN_PASSWORD"
WHO = "setup command"


class Command(BaseCommand):
    help = (
        "Set up a deployment: database, static files, the first organisations (by "
        "ODS code, with their ICB) and the first administrator."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--organisation",
            action="append",
            default=[],
            metavar="CODE[=NAME]",
            help="An organisation's ODS code, e.g. RAE (repeat for more). The name "
            "and ICB of NHS trusts and ICBs come from the offline ODS lookup; any "
            "other code needs its name: 'Y12345=Riverside Practice'.",
        )
        parser.add_argument(
            "--parent",
            default="",
            metavar="ICB",
            help="The ODS code of the ICB for organisations the lookup does not know.",
        )
        parser.add_argument(
            "--kind",
            default="",
            choices=["", *Organisation.Kind.values],
            help="The kind of organisations the lookup does not know (default trust).",
        )
        parser.add_argument("--admin-username", default="")
        parser.add_argument("--admin-email", default="")
        parser.add_argument("--admin-first-name", default="")
        parser.add_argument("--admin-last-name", default="")
        parser.add_argument(
            "--no-input",
            action="store_true",
            help=f"Ask nothing: the administrator's password comes from "
            f"{PASSWORD_VARIABLE}.",
        )
        parser.add_argument(
            "--skip-migrate",
            action="store_true",
            help="Do not create or upgrade the database tables.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        read = os.environ.get("QUALITAS_ENV_FILE_READ")
        self.say(
            f"Settings: read {read} (variables already in the environment win)."
            if read
            else "Settings: no .env file here, so they come from the environment only "
            "(copy .env.example to .env to keep them in a file)."
        )
        self.say(
            f"Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} "
            f"{settings.DATABASES['default'].get('NAME')}"
        )
        if not opts["skip_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
            self.say("Database tables are up to date.")
        if settings.STATIC_ROOT:  # production serves collected files (settings.py)
            call_command("collectstatic", interactive=False, verbosity=0)
            self.say(f"Static files collected in {settings.STATIC_ROOT}.")

        organisations = []
        for given in opts["organisation"]:
            code, _, name = given.partition("=")
            try:
                org, added = add_from_ods(
                    by=None,
                    by_name=WHO,
                    code=code,
                    name=name,
                    parent=opts["parent"],
                    kind=opts["kind"],
                )
            except ValidationError as e:
                raise CommandError(" ".join(e.messages)) from e
            for made in added:
                self.say(
                    f"Added {made.name} ({made.ods_code})"
                    + (f", part of {made.parent.name}" if made.parent else "")
                    + "."
                )
            if not added:
                self.say(f"{org.name} ({org.ods_code}) was already there.")
            organisations.append(org)

        admin = None
        if opts["admin_username"]:
            admin = self.administrator(opts, organisations)
        elif not get_user_model().objects.filter(is_superuser=True).exists():
            self.say(
                "No administrator yet: run this again with --admin-username and "
                "--admin-email."
            )
        self.next_steps(admin, organisations)

    def administrator(self, opts: dict[str, Any], organisations: list) -> Any:
        user_model = get_user_model()
        username = opts["admin_username"].strip()
        user = user_model.objects.filter(username__iexact=username).first()
        if user is None:
            if not opts["admin_email"]:
                raise CommandError("The first administrator needs --admin-email.")
            user = user_model(
                username=username,
                email=opts["admin_email"].strip(),
                first_name=opts["admin_first_name"].strip(),
                last_name=opts["admin_last_name"].strip(),
                is_staff=True,
                is_superuser=True,
            )
            password = self.password(opts, user)
            user.set_password(password)
            with transaction.atomic():
                user.save()
                record(
                    by=None,
                    by_name=WHO,
                    action="user.added",
                    obj=user,
                    organisations=organisations,
                    summary=f"Added the administrator {username} (first run)",
                    after={"username": username, "email": user.email},
                )
            self.say(f"Added the administrator {username}.")
        else:
            self.say(f"The account {user.username} was already there.")
        for org in organisations:
            _, made = Membership.objects.get_or_create(
                user=user, organisation=org, role="administrator"
            )
            if made:
                record(
                    by=None,
                    by_name=WHO,
                    action="membership.added",
                    obj=user,
                    organisation=org,
                    summary=f"{user.username} is an administrator at {org.name}",
                    object_type="accounts.User",
                )
                self.say(f"{user.username} is an administrator at {org.name}.")
        return user

    def password(self, opts: dict[str, Any], user: Any) -> str:
        if opts["no_input"]:
            password = os.environ.get(PASSWORD_VARIABLE, "")
            if not password:
                raise CommandError(
                    f"--no-input needs the administrator's password in "
                    f"{PASSWORD_VARIABLE}."
                )
        else:
            password = getpass.getpass("Administrator's password: ")
            if password != getpass.getpass("The same password again: "):
                raise CommandError("The two passwords differ; nothing was changed.")
        try:
            password_validation.validate_password(password, user)
        except ValidationError as e:
            raise CommandError("Password: " + " ".join(e.messages)) from e
        return password

    def next_steps(self, admin: Any, organisations: list) -> None:
        base = settings.QUALITAS_BASE_URL.rstrip("/")
        self.say("")
        self.say("Next:")
        self.say(
            "  1. Start the site and the background worker (two terminals or two "
            "services): python -m qualitas.web serve   and   python -m qualitas.web worker"
        )
        who = f" as {admin.username}" if admin else ""
        self.say(f"  2. Sign in{who} at {base}/accounts/login/")
        self.say(
            f"  3. Adopt measures from the library: {base}/measures/library/ "
            "(or python -m qualitas.web adopt_measures --organisation CODE ...)"
        )
        self.say(f"  4. Invite people from a CSV file: {base}/accounts/people/import/")
        self.say(
            f"  5. Upload data: {base}/data/  (the admin site is at {base}/admin/)"
        )
        self.say("What each role may do: " + f"{base}/roles/ and docs/roles.md")

    def say(self, text: str) -> None:
        self.stdout.write(text)
