"""`python -m qualitas.web roles`: what each role may do, from the rules themselves."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from qualitas.web.accounts.permissions import roles_markdown


class Command(BaseCommand):
    help = "Print what each role may do (docs/roles.md is this output)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--markdown", action="store_true", help="Markdown (the default)."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(roles_markdown(), ending="")
