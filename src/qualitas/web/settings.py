"""Django settings, read from the environment only (see `.env.example`).

``QUALITAS_ENV`` says what kind of run this is: ``production`` (the default: a secret
key and allowed hosts must be given), ``development``, ``test`` or ``demo`` (a fixed,
insecure key and demo accounts allowed). Everything else has a safe default and an
environment variable to change it.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

import qualitas

WEB_DIR = Path(__file__).resolve().parent

ENVIRONMENTS = ("production", "development", "test", "demo")
QUALITAS_ENV = os.environ.get("QUALITAS_ENV", "production").strip().lower()
if QUALITAS_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"QUALITAS_ENV must be one of {', '.join(ENVIRONMENTS)}, not {QUALITAS_ENV!r}"
    )
DEMO_MODE = QUALITAS_ENV == "demo"
LOCAL_RUN = QUALITAS_ENV in ("development", "test", "demo")


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _list(name: str, default: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, default).split(",") if x.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not LOCAL_RUN:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, "
            "or set QUALITAS_ENV=demo to try qualitas locally."
        )
    SECRET_KEY = f"insecure-{QUALITAS_ENV}-key-never-use-in-production"

DEBUG = _flag("QUALITAS_DEBUG", QUALITAS_ENV == "development")
ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "qualitas.web.accounts.admin_apps.QualitasAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "qualitas.web.accounts",
    "qualitas.web.organisations",
    "qualitas.web.audit",
    "qualitas.web.measures",
    "qualitas.web.board",
    "qualitas.web.projects",
    # Board governance and value (issue 6)
    "qualitas.web.meetings",
    "qualitas.web.value",
    "qualitas.web.assessments",
    "qualitas.web.evidence",
    "qualitas.web.api",
    "qualitas.web.notifications",
    "qualitas.web.jobs",
    "qualitas.web.server",
    "qualitas.web.demo",
    "django_tasks",
    "django_tasks_db",
    "axes",
]

MIDDLEWARE = [
    # First, so that it sees every answer: errors under /api/v1/ are always JSON.
    "qualitas.web.api.errors.JsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qualitas.web.accounts.sessions.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "qualitas.web.busy.DatabaseBusyMiddleware",
    # Near the end, so a refusal has the user and messages for its page; it still runs
    # before anything reads the body (CSRF reads it in process_view, after every
    # middleware).
    "qualitas.web.request_limits.RequestSizeLimit",
    # Last, as django-axes asks: it turns a paused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qualitas.web.urls"
WSGI_APPLICATION = "qualitas.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qualitas.web.accounts.context.navigation",
            ],
        },
    },
]

# SQLite in the working directory unless DATABASE_URL says otherwise
# (e.g. postgres://user@host:5432/qualitas).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL")
        or f"sqlite:///{Path.cwd() / 'qualitas.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
_DB = DATABASES["default"]
# How long a write waits for another one to the same data before the service answers
# "busy, try again" (503) instead.
_LOCK_TIMEOUT = float(os.environ.get("DATABASE_LOCK_TIMEOUT", "20"))
if _DB["ENGINE"] == "django.db.backends.sqlite3":
    _DB.setdefault("OPTIONS", {}).update(
        {
            # WAL lets the report read while an import writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # A transaction that reads and then writes cannot wait for another
            # writer: SQLite refuses it at once ("database is locked"). Taking the
            # write lock when the transaction begins makes writers queue instead,
            # each waiting up to the busy timeout.
            "transaction_mode": "IMMEDIATE",
            "timeout": _LOCK_TIMEOUT,
        }
    )
    if QUALITAS_ENV == "test":
        # Tests get a database file, not memory: with an in-memory database the live
        # server's threads would share the test's one connection, so concurrency
        # tests would not see SQLite's locking as a real server does.
        _DB["TEST"] = {
            "NAME": str(
                Path(tempfile.gettempdir()) / f"qualitas-test-{os.getpid()}.sqlite3"
            )
        }
elif _DB["ENGINE"] == "django.db.backends.postgresql":
    # One pool of connections per server process, never more than this many, however
    # many threads serve requests: persistent connections (one per thread) let a
    # busy site hold every connection the server allows.
    _POOL_MAX = int(os.environ.get("DATABASE_POOL_MAX_SIZE", "10"))
    if _POOL_MAX < 1:
        raise ImproperlyConfigured(
            f"DATABASE_POOL_MAX_SIZE must be 1 or more, not {_POOL_MAX}"
        )
    _DB.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": _POOL_MAX,
        # How long a request waits for a free connection before it is told the
        # service is busy (503).
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
    }
    _DB["OPTIONS"]["options"] = (
        _DB["OPTIONS"].get("options", "")
        + f" -c lock_timeout={int(_LOCK_TIMEOUT * 1000)}"
    ).strip()
    _DB["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must not as well
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Results computed from measures' data (the integrated report, charts) are kept in
# each server process's memory under the data versions they were computed from
# (measures/versions.py), so an entry is never served after its data change and no
# process has to tell another; QUALITAS_RESULT_CACHE_ENTRIES bounds the memory (a
# report of 200 measures is about 1 MB).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "results": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "qualitas-results",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {
            "MAX_ENTRIES": int(os.environ.get("QUALITAS_RESULT_CACHE_ENTRIES", "300"))
        },
    },
}

# Background jobs wait in the project's own database (django-tasks' database backend)
# until `python -m qualitas.web worker` runs them: nothing else to run or back up.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_USER_MODEL = "accounts.User"
# Single sign-on with OpenID Connect, e.g. Microsoft Entra ID (docs/sso.md): on when
# OIDC_RP_CLIENT_ID is set. The names are mozilla-django-oidc's own settings.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
SSO_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
if SSO_ENABLED:
    _missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not os.environ.get(name)
    ]
    if _missing:
        raise ImproperlyConfigured(
            f"Single sign-on is on (OIDC_RP_CLIENT_ID is set) but {', '.join(_missing)} "
            "are not set: see docs/sso.md for the values from your identity provider."
        )
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_CREATE_USER = False  # unknown people ask for access instead (AccessRequest)
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:sso_callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/sso/problem/"
# What the sign-in button calls the identity provider, e.g. "NHS Mail" or "Trust account".
QUALITAS_SSO_NAME = os.environ.get("QUALITAS_SSO_NAME", "your organisation's account")
# Email domains whose addresses the identity provider owns, for providers (such as
# Entra ID) that send no email_verified claim. See docs/sso.md before setting it.
QUALITAS_SSO_TRUSTED_EMAIL_DOMAINS = [
    d.lower().lstrip("@") for d in _list("QUALITAS_SSO_TRUSTED_EMAIL_DOMAINS", "")
]
# Local passwords can be switched off where everyone signs in with single sign-on.
LOCAL_PASSWORDS = _flag("QUALITAS_LOCAL_PASSWORDS", True)
if not LOCAL_PASSWORDS and not SSO_ENABLED:
    raise ImproperlyConfigured(
        "QUALITAS_LOCAL_PASSWORDS=false needs single sign-on: set OIDC_RP_CLIENT_ID "
        "and the other OIDC_ settings (docs/sso.md), or nobody could sign in."
    )
AUTHENTICATION_BACKENDS = [
    # First: refuses a paused account or address before any password is checked.
    "qualitas.web.accounts.throttle.ThrottleBackend",
    *(["qualitas.web.accounts.backends.QualitasBackend"] if LOCAL_PASSWORDS else []),
    "qualitas.web.accounts.sso.SsoBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if QUALITAS_ENV == "test":
    # Hashing strength is not what the tests check; a fast hasher keeps them quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Sign-in throttling (django-axes, see accounts/throttle.py): this many wrong
# passwords for one account, or from one address, pause signing in there for
# QUALITAS_LOCKOUT_MINUTES, even with the right password. Many staff may share one
# address behind a trust's proxy; if they trip the limit together, raise it.
QUALITAS_LOGIN_ATTEMPTS = int(os.environ.get("QUALITAS_LOGIN_ATTEMPTS", "20"))
QUALITAS_LOCKOUT_MINUTES = int(os.environ.get("QUALITAS_LOCKOUT_MINUTES", "30"))
# Reverse proxies in front of qualitas that append to X-Forwarded-For (0: none).
QUALITAS_PROXY_COUNT = int(os.environ.get("QUALITAS_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = QUALITAS_LOGIN_ATTEMPTS
AXES_COOLOFF_TIME = dt.timedelta(minutes=QUALITAS_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own
AXES_RESET_ON_SUCCESS = True
# A pause ends when it said it would, however often someone keeps trying meanwhile.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "qualitas.web.accounts.throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "qualitas.web.accounts.throttle.client_ip"
# Sign-ins are in the qualitas audit log; axes keeps only its failure counts.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [WEB_DIR / "static"]
# Local runs serve static files straight from the package; production serves the
# output of `collectstatic` (STATIC_ROOT), which must then be set.
WHITENOISE_USE_FINDERS = LOCAL_RUN or _flag("QUALITAS_STATIC_FROM_FINDERS", False)
STATIC_ROOT = os.environ.get("STATIC_ROOT") or (
    None if WHITENOISE_USE_FINDERS else str(Path.cwd() / "staticfiles")
)
WHITENOISE_AUTOREFRESH = DEBUG

# Cookies and sessions. A session ends after QUALITAS_SESSION_IDLE_MINUTES without
# a request, and QUALITAS_SESSION_MAX_HOURS after signing in whatever happens
# (accounts/sessions.py); the cookie goes with the browser.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _flag("SECURE_COOKIES", not LOCAL_RUN)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
QUALITAS_SESSION_IDLE_MINUTES = int(
    os.environ.get("QUALITAS_SESSION_IDLE_MINUTES", "30")
)
QUALITAS_SESSION_MAX_HOURS = int(os.environ.get("QUALITAS_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = QUALITAS_SESSION_IDLE_MINUTES * 60

# Transport: HTTPS only in production (HSTS for a year by default, subdomains
# included unless QUALITAS_HSTS_INCLUDE_SUBDOMAINS=false); the health check stays
# on plain HTTP for load balancers.
SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", QUALITAS_ENV == "production")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(
    os.environ.get(
        "QUALITAS_HSTS_SECONDS", "31536000" if QUALITAS_ENV == "production" else "0"
    )
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("QUALITAS_HSTS_INCLUDE_SUBDOMAINS", True)
if _flag("BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Headers on every response.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from our own static files, so
# injected markup cannot run script. No inline script and no eval: charts pass
# their specs in json_script data blocks and Vega runs its expressions through its
# interpreter (static/qualitas/js/qualitas.js); htmx's eval and script tags are off
# (templates/base.html). Inline styles stay allowed: Vega and its tooltips set
# them, and a style cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Uploads: files above this size are refused before they are read.
QUALITAS_MAX_UPLOAD_BYTES = int(
    float(os.environ.get("QUALITAS_MAX_UPLOAD_MB", "20")) * 1024 * 1024
)
# Files at least this big are checked by the background worker, and batches of at
# least this many rows applied by it (both take over about a second).
QUALITAS_BACKGROUND_IMPORT_BYTES = int(
    float(os.environ.get("QUALITAS_BACKGROUND_IMPORT_MB", "1")) * 1024 * 1024
)
QUALITAS_BACKGROUND_IMPORT_ROWS = int(
    os.environ.get("QUALITAS_BACKGROUND_IMPORT_ROWS", "20000")
)
# Rows of data one file or API call may hold, and the seconds reading one may take.
QUALITAS_MAX_UPLOAD_ROWS = int(os.environ.get("QUALITAS_MAX_UPLOAD_ROWS", "100000"))
QUALITAS_IMPORT_SECONDS = float(os.environ.get("QUALITAS_IMPORT_SECONDS", "30"))
# Memory checking one file may take, estimated from its size before it is parsed.
QUALITAS_IMPORT_MEMORY_MB = int(os.environ.get("QUALITAS_IMPORT_MEMORY_MB", "512"))
# A request body larger than this is refused from its Content-Length header, before
# it is read: the largest file, plus room for the form around it.
QUALITAS_MAX_REQUEST_BYTES = QUALITAS_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = QUALITAS_MAX_REQUEST_BYTES  # JSON API bodies

# The folder with the public data the demo loads (by default the copy in the package:
# the repository's data/, which a built wheel carries).
QUALITAS_DATA_DIR = Path(os.environ.get("QUALITAS_DATA_DIR", qualitas.DATA_DIR))

# Email (notifications), by SMTP. Without EMAIL_HOST, local runs print emails to the
# console and production sends none: they stay owed (and are sent once a server is set).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = _flag("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "qualitas <qualitas@localhost>"
)
QUALITAS_SEND_EMAIL = bool(EMAIL_HOST) or LOCAL_RUN
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
# The site's address as people reach it, for links in emails.
QUALITAS_BASE_URL = os.environ.get("QUALITAS_BASE_URL", "http://127.0.0.1:8000").rstrip(
    "/"
)
# When the background worker runs the daily `notify` (site time, HH:MM), or "off"
# for a deployment that runs `python -m qualitas.web notify` from cron instead.
_NOTIFY_AT = os.environ.get("QUALITAS_NOTIFY_AT", "07:00").strip().lower()
if _NOTIFY_AT in ("off", "false", "no", "0", ""):
    QUALITAS_NOTIFY_AT: dt.time | None = None
else:
    try:
        QUALITAS_NOTIFY_AT = dt.time.fromisoformat(_NOTIFY_AT)
    except ValueError:
        raise ImproperlyConfigured(
            f"QUALITAS_NOTIFY_AT must be a time of day as HH:MM (e.g. 07:00) or "
            f"off, not {_NOTIFY_AT!r}"
        ) from None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
