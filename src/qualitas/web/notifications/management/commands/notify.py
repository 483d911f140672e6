"""`python -m qualitas.web notify`: the scheduled part of email notifications.

Run it every day (cron, a systemd timer or the background worker): it records an
event for every action that has fallen due, sends every message still owed (those a
mail server refused earlier included) and, for people who chose a weekly digest and
had none for a week, their digest."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from qualitas.web.notifications import events, sending


class Command(BaseCommand):
    help = (
        "Record actions that have fallen due and send owed emails and weekly digests."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="Check actions due by this date (YYYY-MM-DD) instead of today.",
        )
        parser.add_argument(
            "--no-digests",
            action="store_true",
            help="Send only the messages of people who want them straight away.",
        )

    def handle(self, *args, today=None, no_digests=False, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError as e:
            raise CommandError(f"--today must be a date as YYYY-MM-DD: {e}") from e
        due = events.check_due_actions(day)
        sent = sending.send_pending(digests=not no_digests)
        self.stdout.write(
            f"{len(due)} actions fell due; sent {sent.messages} emails and "
            f"{sent.digests} weekly digests"
            + (
                f"; {sent.failed} could not be sent and will be retried"
                if sent.failed
                else ""
            )
            + (f"; {sent.dropped} dropped (emails stopped)" if sent.dropped else "")
            + "."
        )
        if sent.failed:
            raise CommandError("The mail server refused some messages; see the log.")
