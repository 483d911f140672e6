"""`python -m qualitas.web COMMAND`: Django's management commands for qualitas.

`python -m qualitas.web demo` sets up and serves the demonstration at
http://127.0.0.1:8000/ (QUALITAS_ENV=demo is implied for that command only).
"""

import os
import sys


def main(argv: list[str]) -> None:
    if argv[1:2] == ["demo"]:
        os.environ.setdefault("QUALITAS_ENV", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualitas.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["python -m qualitas.web", *argv[1:]])


if __name__ == "__main__":
    main(sys.argv)
