"""`python -m qualitas.web worker`: run background jobs as they are queued."""

from __future__ import annotations

import socket

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from qualitas.web.jobs import schedule
from qualitas.web.jobs.services import requeue_interrupted


def default_worker_id() -> str:
    return socket.gethostname()[:60] or "worker"


class Command(BaseCommand):
    help = (
        "Run the background worker: board packs, large imports and other long jobs. "
        "Stop it with Ctrl+C or SIGTERM; it finishes the job in hand first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--worker-id",
            default=default_worker_id(),
            help=(
                "This worker's name (default: the machine's name). Give each worker "
                "on one machine its own, e.g. $(hostname)-2: a worker starting puts "
                "back the jobs its name was running when it last stopped."
            ),
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between looks at the queue when it is empty (default 1).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help=(
                "Run the jobs waiting now, then stop (the daily notify is not "
                "queued in this mode)."
            ),
        )

    def handle(
        self, *args, worker_id: str, interval: float, batch: bool, **options
    ) -> None:
        if not worker_id or len(worker_id) > 64:
            raise CommandError("--worker-id must be 1 to 64 characters")
        put_back = requeue_interrupted(worker_id)
        if put_back:
            self.stdout.write(
                f"Put back {put_back} job{'s' if put_back != 1 else ''} that this "
                "worker was running when it stopped."
            )
        if not batch:
            # The daily work (notify) is timed by tasks waiting in the queue; the
            # first is queued here if none is waiting (jobs/schedule.py).
            for name in schedule.ensure_all():
                self.stdout.write(
                    f"Queued the daily '{name}' (it runs at {schedule.run_at():%H:%M} each day)."
                )
        call_command(
            "db_worker",
            worker_id=worker_id,
            interval=interval,
            batch=batch,
            reload=False,
            startup_delay=False,
            verbosity=options.get("verbosity", 1),
        )
