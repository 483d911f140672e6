"""`python -m qualitas.web serve`: the production web server (gunicorn)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from qualitas.web.server.gunicorn import ServerSettings, serve


class Command(BaseCommand):
    help = (
        "Serve qualitas with gunicorn. Settings come from the environment "
        "(QUALITAS_BIND, WEB_CONCURRENCY, QUALITAS_THREADS, ...; see docs/deploy.md); "
        "these options override them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", help="Address and port (default 127.0.0.1:8000).")
        parser.add_argument(
            "--workers", type=int, help="Processes (default: one per processor)."
        )
        parser.add_argument(
            "--threads", type=int, help="Threads in each process (default 4)."
        )

    def handle(self, *args, bind, workers, threads, **options) -> None:
        if (workers is not None and workers < 1) or (
            threads is not None and threads < 1
        ):
            raise CommandError("--workers and --threads must be at least 1")
        serve(
            ServerSettings.from_environment(bind=bind, workers=workers, threads=threads)
        )
