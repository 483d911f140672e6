"""`python -m qualitas.web COMMAND`: Django's management commands for qualitas.

`python -m qualitas.web demo` sets up and serves the demonstration at
http://127.0.0.1:8000/ (QUALITAS_ENV=demo is implied for that command only).
`python -m qualitas.web setup` sets up a real deployment (docs/getting-started.md).
Every command first reads `.env` in the current directory (or the file named by
QUALITAS_ENV_FILE); variables already in the environment win.
"""

import os
import sys


def main(argv: list[str]) -> None:
    from qualitas.web.envfile import load_env_file

    # Before anything reads settings: the deployment's .env (docs/getting-started.md).
    load_env_file()
    if argv[1:2] == ["demo"]:
        os.environ.setdefault("QUALITAS_ENV", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualitas.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["python -m qualitas.web", *argv[1:]])


if __name__ == "__main__":
    main(sys.argv)
