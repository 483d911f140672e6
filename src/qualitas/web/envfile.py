"""Reading the deployment's ``.env`` file into the environment.

Settings still come only from the environment (``settings.py``); this only fills it
from a file, for the commands people run (``python -m qualitas.web ...``) and the
WSGI entry point. A variable already set in the real environment wins over the file,
so a service manager's settings are never overridden by a stale file. The tests never
read it: pytest loads the settings directly.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv


def env_file() -> Path:
    """The file to read: ``QUALITAS_ENV_FILE`` if set, else ``.env`` in the current
    directory (where ``.env.example`` tells people to put it)."""
    given = os.environ.get("QUALITAS_ENV_FILE", "").strip()
    return Path(given) if given else Path.cwd() / ".env"


def load_env_file() -> Path | None:
    """Read the file into ``os.environ`` (without overriding); the path read, or None
    when there is no file. A ``QUALITAS_ENV_FILE`` that does not exist is an error:
    someone asked for that file, and silently running without it would start the
    site with the wrong settings."""
    path = env_file()
    if not path.is_file():
        if os.environ.get("QUALITAS_ENV_FILE", "").strip():
            raise SystemExit(f"QUALITAS_ENV_FILE names {path}, which is not a file.")
        return None
    load_dotenv(path, override=False)
    os.environ["QUALITAS_ENV_FILE_READ"] = str(path.resolve())
    return path
