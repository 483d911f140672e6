"""The gunicorn application and its settings.

Each gunicorn worker is a process with a few threads (``gthread``): the pages are
mostly Python and NumPy work, so processes use both processors, and threads keep a
process answering while one of its requests waits on the database. On PostgreSQL
each process draws its connections from one pool (``DATABASE_POOL_MAX_SIZE``), so the
database sees at most ``workers × min(threads, pool size)`` connections from the web
server, plus one from each background worker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from gunicorn.app.base import BaseApplication


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {raw!r}"
        ) from None
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, not {value}")
    return value


@dataclass(frozen=True)
class ServerSettings:
    bind: str
    workers: int
    threads: int
    timeout: int
    forwarded_allow_ips: str
    access_log: bool

    @classmethod
    def from_environment(cls, **given: Any) -> ServerSettings:
        """Settings from the environment (see docs/deploy.md), with ``given`` (the
        command line's options) taking precedence where not None."""
        cpus = os.cpu_count() or 1
        found = cls(
            bind=os.environ.get("QUALITAS_BIND", "127.0.0.1:8000"),
            # One process per processor; each has threads for requests waiting on
            # the database. Measured with 50 people on two processors, a third
            # process made p95 worse (505-816 ms against 328-623 ms): processes
            # compete for the processors, and each keeps its own results cache
            # (docs/benchmarks.md).
            workers=_int("WEB_CONCURRENCY", cpus),
            threads=_int("QUALITAS_THREADS", 4),
            timeout=_int("QUALITAS_REQUEST_TIMEOUT", 60),
            # Only the proxy on this machine may say a request came over HTTPS.
            forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
            access_log=os.environ.get("QUALITAS_ACCESS_LOG", "true").lower()
            not in ("0", "false", "no", "off"),
        )
        return cls(
            **{
                k: given[k] if given.get(k) is not None else v
                for k, v in found.__dict__.items()
            }
        )

    def gunicorn_options(self) -> dict[str, Any]:
        return {
            "bind": [self.bind],
            "workers": self.workers,
            "threads": self.threads,
            "worker_class": "gthread",
            "timeout": self.timeout,
            "graceful_timeout": 30,
            "keepalive": 5,
            # A process is replaced after this many requests, so memory that pandas
            # and the chart renderer keep does not grow for ever; the jitter stops
            # every process restarting at once.
            "max_requests": 2000,
            "max_requests_jitter": 200,
            "forwarded_allow_ips": self.forwarded_allow_ips,
            "accesslog": "-" if self.access_log else None,
            "errorlog": "-",
            # Imported once before the processes start: faster start, shared memory.
            "preload_app": True,
            "proc_name": "qualitas",
            # gunicorn's control socket has one default path per user; several
            # servers on one machine (tests, a demo) would fight over it.
            "control_socket_disable": True,
        }


class QualitasServer(BaseApplication):
    def __init__(self, settings: ServerSettings) -> None:
        self.options = settings.gunicorn_options()
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()


def serve(settings: ServerSettings) -> None:
    """Run the server until it is stopped (Ctrl+C, SIGINT or SIGTERM)."""
    from django.db import connections

    # The processes are forked from this one: none may inherit its connections.
    connections.close_all()
    QualitasServer(settings).run()
