"""`python -m qualitas.web adopt_measures`: adopt library measures in one command."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from qualitas.web.measures import library
from qualitas.web.organisations.models import Organisation


class Command(BaseCommand):
    help = (
        "Adopt measures from the NHS measure library (or your own library file) into "
        "an organisation's register, with their targets. Without codes, lists them."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("codes", nargs="*", help="Library codes, e.g. ae-4-hour.")
        parser.add_argument("--organisation", help="The ODS code to adopt them for.")
        parser.add_argument(
            "--user",
            help="Who is adopting them (a person who may define measures there); "
            "the audit log records them.",
        )
        parser.add_argument(
            "--all", action="store_true", help="Every measure in the library."
        )
        parser.add_argument(
            "--file",
            help="Your own library: a JSON file in the format of the shipped one "
            "(qualitas/web/measures/library/nhs_measures.json).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            entries = (
                library.from_file(opts["file"]) if opts["file"] else library.measures()
            )
        except ValidationError as e:
            raise CommandError("\n".join(e.messages)) from e
        codes = [e.code for e in entries] if opts["all"] else opts["codes"]
        if not codes:
            for e in entries:
                self.stdout.write(f"{e.code:32} {e.name} ({e.fields['unit']})")
            return
        if not opts["organisation"] or not opts["user"]:
            raise CommandError("Say --organisation CODE and --user USERNAME.")
        org = Organisation.objects.filter(ods_code__iexact=opts["organisation"]).first()
        if org is None:
            raise CommandError(
                f"No organisation has the ODS code {opts['organisation']}."
            )
        user = get_user_model().objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"No one has the username {opts['user']}.")
        try:
            added = library.adopt(
                by=user, organisation=org, codes=codes, library=entries
            )
        except (ValidationError, PermissionDenied) as e:
            raise CommandError(" ".join(getattr(e, "messages", [str(e)]))) from e
        for m in added:
            self.stdout.write(f"Adopted {m.name} as {m.code}.")
        self.stdout.write(
            f"{len(added)} measures added to {org.name}'s register"
            + (
                f"; {len(codes) - len(added)} were there already."
                if len(codes) > len(added)
                else "."
            )
        )
