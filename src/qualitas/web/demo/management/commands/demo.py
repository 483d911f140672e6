"""`python -m qualitas.web demo`: set up the demonstration and serve it."""

from __future__ import annotations

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from qualitas.web.accounts.permissions import ROLES
from qualitas.web.demo import catalogue as cat
from qualitas.web.demo import load
from qualitas.web.server.gunicorn import ServerSettings, serve


class Command(BaseCommand):
    help = "Create the database, load the demonstration (an ICS with real and generated data) and serve it."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="Where to serve (default 127.0.0.1:8000).",
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Set up the data, print the accounts, and stop.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete everything in the database first.",
        )

    def handle(
        self, *args, addrport: str, no_serve: bool, reset: bool, **options
    ) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "The demonstration runs only with QUALITAS_ENV=demo (its accounts share a known password)."
            )
        say = self.stdout.write
        say("Setting up the database…")
        call_command("migrate", interactive=False, verbosity=0)
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        if load.is_loaded():
            say(
                "The demonstration data are already loaded (use --reset to start again)."
            )
            load.ensure_accounts()
        else:
            say("Loading the demonstration:")
            load.build(say)
        host = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
        say("")
        say(self.style.SUCCESS(f"qualitas demonstration: http://{host}/"))
        say(
            f"Sign in with any of these accounts; every password is '{cat.DEMO_PASSWORD}':"
        )
        for username, first, last, role, org in cat.ACCOUNTS:
            where = dict([cat.SYSTEM, *cat.TRUSTS, cat.OTHER_TRUST]).get(org, org)
            say(f"  {username:<16} {ROLES[role].name:<26} {first} {last}, {where}")
        say("Demonstration accounts work only while QUALITAS_ENV=demo.")
        if not no_serve:
            say("Press Ctrl+C to stop.")
            serve_with_worker(host)


def serve_with_worker(bind: str) -> None:
    """The production pair on the demo's database: the background worker as a child
    process, and gunicorn in this one. Ctrl+C reaches both (they share the terminal's
    process group); the worker finishes the job in hand first."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "qualitas.web", "worker", "--worker-id", "demo"]
    )
    try:
        # Two processes: the demo shares the machine with whatever else runs on it.
        serve(ServerSettings.from_environment(bind=bind, workers=2))
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
