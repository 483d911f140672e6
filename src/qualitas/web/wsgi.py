"""WSGI entry point for production servers (e.g. `gunicorn qualitas.web.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

from qualitas.web.envfile import load_env_file

load_env_file()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualitas.web.settings")
application = get_wsgi_application()
