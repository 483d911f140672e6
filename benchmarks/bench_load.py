"""Load: the production server (`python -m qualitas.web serve`, gunicorn) on PostgreSQL
with 50 signed-in people at once, each asking in turn for the integrated quality
report, measure pages, a project page and the API. Prints p50, p95 and errors by
page. Targets (issue 14): p95 at most 500 ms on the report and measure pages, and no
errors; one person alone: p95 at most 1 s on every page.

The machine's load (1-minute load average) is printed before and after, and the
server's own processor time per request: figures from a shared machine are only
comparable with the load they were taken under, while processor time per request
hardly depends on it.

Bounded: each person makes REQUESTS_EACH requests, and the run stops after
TIME_LIMIT seconds whatever is left. Traffic goes only to 127.0.0.1.

The database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
qualitas_bench, made if missing); it is emptied first. Without PostgreSQL the
benchmark says so and stops.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

import numpy as np

USERS = int(os.environ.get("BENCH_USERS", "50"))
REQUESTS_EACH = int(os.environ.get("BENCH_REQUESTS_EACH", "20"))
TIME_LIMIT = float(os.environ.get("BENCH_TIME_LIMIT", "300"))
TARGET_MS = 500
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qualitas_bench"
ROOT = Path(__file__).resolve().parents[1]


def _database() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    try:
        import psycopg

        name = url.rsplit("/", 1)[1].split("?")[0]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as e:  # no server: say so, do not fail the other benchmarks
        print(f"PostgreSQL is not reachable at {url} ({e}); load benchmark skipped.")
        return None
    return url


def _world(url: str) -> tuple[list[str], list[str], dict[str, str]]:
    """The bench_web world (200 measures x 36 months at one trust), a project, and
    USERS people with a session each. Returns session keys, API tokens and URLs."""
    os.environ["BENCH_DATABASE_URL"] = url  # what bench_web's set-up reads
    from benchmarks.bench_web import _setup_django
    from benchmarks.bench_web import _world as web_world

    _setup_django(Path("."))
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from qualitas.web.accounts.models import User
    from qualitas.web.accounts.services import create_api_token
    from qualitas.web.organisations.models import Membership
    from qualitas.web.projects.services import create_project

    system, trusts, measures, bench_user = web_world(np.random.default_rng(14))
    Membership.objects.create(user=bench_user, organisation=trusts[0], role="qi_lead")
    project = create_project(
        by=bench_user,
        organisation=trusts[0],
        title="Fewer falls on the wards",
        aim_what="Reduce falls",
        aim_measure=measures[0],
    )
    backend = next(
        (b for b in settings.AUTHENTICATION_BACKENDS if "Qualitas" in b),
        settings.AUTHENTICATION_BACKENDS[-1],
    )
    sessions, tokens = [], []
    for i in range(USERS):
        user = User.objects.create_user(f"load{i}", password=f"load-password-{i}-long")
        Membership.objects.create(user=user, organisation=system, role="analyst")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
        tokens.append(create_api_token(by=user, name="load")[1])
    trust = trusts[0].ods_code
    urls = {
        "report": f"/board/{trust}/",
        # The measure's page at the trust: its SPC chart, the page the report's rows
        # open (the definition page, /measures/<code>/, is lighter).
        "measure": "/measures/{code}/at/" + trust + "/",
        "project": f"/projects/{project.pk}/",
        "api": "/api/v1/measures/{code}/spc?organisation=" + trust,
    }
    from django.db import connections

    connections.close_all()
    return sessions, tokens, urls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "QUALITAS_ENV": "production",
        "SECRET_KEY": "load-benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1, no proxy
        "QUALITAS_STATIC_FROM_FINDERS": "true",
        "QUALITAS_ACCESS_LOG": "false",
        "DATABASE_URL": url,
        "LOG_LEVEL": "ERROR",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "qualitas.web", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(
                    f"the server stopped: {server.stderr.read()[-2000:]}"
                ) from None
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the server did not answer within 120 s")


def _person(
    base: str,
    session: str,
    token: str,
    urls: dict[str, str],
    codes: list[str],
    offset: int,
    stop_at: float,
    results: dict[str, list[float]],
    errors: dict[str, list[str]],
    lock: threading.Lock,
) -> None:
    kinds = ["report", "measure", "measure", "project", "api"]
    for n in range(REQUESTS_EACH):
        if time.monotonic() > stop_at:
            return
        kind = kinds[(n + offset) % len(kinds)]
        path = urls[kind].format(code=codes[(n * 7 + offset) % len(codes)])
        request = urllib.request.Request(base + path)
        if kind == "api":
            request.add_header("Authorization", f"Bearer {token}")
        else:
            request.add_header("Cookie", f"sessionid={session}")
        started = time.perf_counter()
        problem = ""
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                if response.status != 200:
                    problem = f"{response.status} {path}"
        except urllib.error.HTTPError as e:
            problem = f"{e.code} {path}"
        except OSError as e:
            problem = f"{type(e).__name__} {getattr(e, 'reason', e)} {path}"
        elapsed = time.perf_counter() - started
        with lock:
            results[kind].append(elapsed)
            if problem:
                errors[kind].append(problem)


def _cpu_seconds(pid: int) -> float:
    """Processor time (user + system) of a process and every process below it."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children: dict[int, list[int]] = defaultdict(list)
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        stats[int(entry.name)] = fields
        children[int(fields[1])].append(int(entry.name))
    stack = [pid]
    while stack:
        p = stack.pop()
        if p in stats:
            # utime, stime, and the waited-for children's cutime, cstime.
            total += sum(int(x) for x in stats[p][11:15]) / tick
        stack.extend(children.get(p, ()))
    return total


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def main() -> None:
    from qualitas.web.server.gunicorn import ServerSettings

    url = _database()
    if url is None:
        return
    settings = ServerSettings.from_environment()  # what the server will read
    started = time.perf_counter()
    sessions, tokens, urls = _world(url)
    print(
        f"set-up: {USERS} people, 200 measures x 36 months ({time.perf_counter() - started:.0f} s)"
    )
    codes = [f"m{i:03d}" for i in range(0, 200, 5)]
    port = _free_port()
    server = _start_server(url, port)
    base = f"http://127.0.0.1:{port}"
    alone: dict[str, list[float]] = defaultdict(list)
    alone_errors: dict[str, list[str]] = defaultdict(list)
    try:
        # One pass alone first, so the figures are of a warm server; then one person
        # alone, measured (the single-user target).
        for kept in (defaultdict(list), alone):
            _person(
                base,
                sessions[0],
                tokens[0],
                urls,
                codes,
                0,
                time.monotonic() + 60,
                kept,
                alone_errors,
                threading.Lock(),
            )
        load_before = _load()
        cpu_before = _cpu_seconds(server.pid)
        results: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, list[str]] = defaultdict(list)
        lock = threading.Lock()
        stop_at = time.monotonic() + TIME_LIMIT
        people = [
            threading.Thread(
                target=_person,
                args=(
                    base,
                    sessions[i],
                    tokens[i],
                    urls,
                    codes,
                    i,
                    stop_at,
                    results,
                    errors,
                    lock,
                ),
            )
            for i in range(USERS)
        ]
        began = time.perf_counter()
        for p in people:
            p.start()
        for p in people:
            p.join()
        wall = time.perf_counter() - began
        cpu = _cpu_seconds(server.pid) - cpu_before
        load_after = _load()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    total = sum(len(v) for v in results.values())
    single = [t for v in alone.values() for t in v]
    single_ok = _pct(single, 95) <= 2 * TARGET_MS and not alone_errors
    print(
        f"one person alone: p50 {_pct(single, 50):.0f} ms, p95 {_pct(single, 95):.0f} "
        f"ms over {len(single)} requests, {sum(map(len, alone_errors.values()))} "
        f"errors  target p95 <= {2 * TARGET_MS} ms: {'met' if single_ok else 'NOT met'}"
    )
    print(
        f"{USERS} people at once, {total} requests in {wall:.1f} s "
        f"({total / wall:.1f} a second), {settings.workers} server processes of "
        f"{settings.threads} threads; "
        f"server processor time {cpu / max(total, 1) * 1000:.1f} ms a request; "
        f"machine load {load_before} before, {load_after} after "
        f"({os.cpu_count()} processors)"
    )
    print(
        f"{'page':<10}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'errors':>8}  target"
    )
    met = True
    for kind in ("report", "measure", "project", "api"):
        times = results[kind]
        p95 = _pct(times, 95)
        target = ""
        if kind in ("report", "measure"):
            ok = p95 <= TARGET_MS and not errors[kind]
            met &= ok
            target = f"p95 <= {TARGET_MS} ms, no errors: {'met' if ok else 'NOT met'}"
        print(
            f"{kind:<10}{len(times):>10}{_pct(times, 50):>10.0f}{p95:>10.0f}"
            f"{len(errors[kind]):>8}  {target}"
        )
    every = [t for v in results.values() for t in v]
    print(
        f"{'all':<10}{len(every):>10}{_pct(every, 50):>10.0f}{_pct(every, 95):>10.0f}"
        f"{sum(len(v) for v in errors.values()):>8}"
    )
    for kind, found in errors.items():
        if found:
            print(f"  {kind} errors, first: {found[0]}")
    print(f"load targets: {'met' if met and single_ok else 'NOT met'}")
