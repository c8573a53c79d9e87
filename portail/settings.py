"""Portail settings: one file, read from the environment.

Every variable is documented in README.md ("Configuration"); if you add one
here, add it there too. Development defaults are safe; production mode
(DEBUG=false) refuses to start without the variables it needs.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sys
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTAIL_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG: bool = env.bool("DEBUG", default=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment; in development, generated once into var/."""
    key: str = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false.")

PORTAIL_BASE_URL: str = env.str(
    "PORTAIL_BASE_URL", default="http://127.0.0.1:8000" if DEBUG else ""
).rstrip("/")
if not PORTAIL_BASE_URL:
    raise ImproperlyConfigured(
        "PORTAIL_BASE_URL must be set when DEBUG is false (e.g. https://portail.example.com)."
    )
_base = urlsplit(PORTAIL_BASE_URL)
if _base.scheme not in ("http", "https") or not _base.netloc or _base.path or _base.query:
    raise ImproperlyConfigured(
        f"PORTAIL_BASE_URL must be a scheme and host only, such as https://portail.example.com "
        f"(got {PORTAIL_BASE_URL!r})."
    )
CSRF_TRUSTED_ORIGINS = [PORTAIL_BASE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "django_countries",
    "portail.accounts",
    "portail.portals",
    "portail.access",
    "portail.projects",
    "portail.clients",
    "portail.workspace",
    "portail.notifications",
    "portail.recovery",
    "portail.audit",
    "portail.demo",
    "portail.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with a second factor (PortalMiddleware asks it).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portail.accounts.middleware.SessionLimitsMiddleware",
    "portail.accounts.middleware.UserLanguageMiddleware",
    "portail.portals.middleware.PortalMiddleware",
    "axes.middleware.AxesMiddleware",
    # The empty 405 answers of require_http_methods get the 405 page (Allow kept).
    "portail.errors.ErrorPageMiddleware",
]

# N+1 detection (django-zeal) raises in the test suite, per request and per test;
# PORTAIL_ZEAL=true turns it on elsewhere (e.g. while developing).
if env.bool("PORTAIL_ZEAL", default="pytest" in sys.modules):
    INSTALLED_APPS.append("zeal")
    MIDDLEWARE.insert(0, "zeal.middleware.zeal_middleware")

ROOT_URLCONF = "portail.urls"
WSGI_APPLICATION = "portail.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portail" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "portail.portals.context_processors.portal",
                "portail.portals.context_processors.abilities",
            ],
        },
    }
]

# Database: SQLite file under var/ by default; PostgreSQL (or any DATABASE_URL) otherwise.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portail.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE takes the
        # write lock at BEGIN so concurrent writers wait (timeout) instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portail.accounts.backends.EmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:signin"
# Sessions end after SESSION_IDLE_TIMEOUT without a request, and SESSION_ABSOLUTE_LIFETIME
# after sign-in whatever the activity (portail.accounts.middleware.SessionLimitsMiddleware).
_IDLE_HOURS = env.int("SESSION_IDLE_TIMEOUT_HOURS", default=12)
_LIFETIME_DAYS = env.int("SESSION_ABSOLUTE_LIFETIME_DAYS", default=14)
if min(_IDLE_HOURS, _LIFETIME_DAYS) < 1:
    raise ImproperlyConfigured(
        "SESSION_IDLE_TIMEOUT_HOURS and SESSION_ABSOLUTE_LIFETIME_DAYS must be at least 1."
    )
SESSION_IDLE_TIMEOUT = dt.timedelta(hours=_IDLE_HOURS)
SESSION_ABSOLUTE_LIFETIME = dt.timedelta(days=_LIFETIME_DAYS)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_LIFETIME.total_seconds())
# Database sessions that know whose they are, so a person's sessions can be ended.
SESSION_ENGINE = "portail.accounts.session_store"

# A form refused by the CSRF check gets the 403 page, with what to do about it.
CSRF_FAILURE_VIEW = "portail.errors.csrf_failure"

# Sign-in lock-out (django-axes): counted in the database, so it holds across processes.
# The policy (three limits) is explained in portail.accounts.lockout.LockoutHandler.
AXES_HANDLER = "portail.accounts.lockout.LockoutHandler"
# Failures of one account from one address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
# Failures from one address, all accounts together (high: a shared office is not locked).
LOCKOUT_ADDRESS_FAILURE_LIMIT = env.int("LOCKOUT_ADDRESS_FAILURE_LIMIT", default=100)
# Failures of one account, all addresses together: locks it for addresses it never signed in from.
LOCKOUT_ACCOUNT_FAILURE_LIMIT = env.int("LOCKOUT_ACCOUNT_FAILURE_LIMIT", default=30)
if min(AXES_FAILURE_LIMIT, LOCKOUT_ADDRESS_FAILURE_LIMIT, LOCKOUT_ACCOUNT_FAILURE_LIMIT) < 1:
    raise ImproperlyConfigured("The sign-in failure limits must be at least 1.")
AXES_COOLOFF_TIME = 1  # hours
# Successful sign-ins (axes' AccessLog) are the "addresses this account signed in from"
# history that limit 3 above spares: `manage.py housekeeping` keeps them this many days,
# so that a person's usual office or home stays known between two rare visits.
LOCKOUT_HISTORY_DAYS = env.int("LOCKOUT_HISTORY_DAYS", default=90)
if LOCKOUT_HISTORY_DAYS < 1:
    raise ImproperlyConfigured(
        f"LOCKOUT_HISTORY_DAYS must be at least 1 (days), not {LOCKOUT_HISTORY_DAYS}."
    )
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "portail.accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "portail.accounts.lockout.client_ip"
# Reverse proxies in front of the web servers (nginx, a load balancer…): 0 when
# gunicorn faces the clients. Behind N proxies the client is read from X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Two-factor sign-in (django-otp, TOTP). The issuer is the name authenticator apps show.
OTP_TOTP_ISSUER: str = env.str("OTP_TOTP_ISSUER", default="Portail")
# A wrong code is often one digit away from a right one: keep it out of axes' failure log.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Internationalisation: English and French everywhere.
LANGUAGE_CODE: str = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}.")
LOCALE_PATHS = [BASE_DIR / "portail" / "locale"]
TIME_ZONE: str = env.str("TIME_ZONE", default="UTC")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone.")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "portail" / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: every message is an outbox row first (portail.notifications), sent by the worker.
_EMAIL_URL: str = env.str("EMAIL_URL", default="consolemail://" if DEBUG else "")
if not _EMAIL_URL:
    raise ImproperlyConfigured("EMAIL_URL must be set when DEBUG is false (smtp://...).")
EMAIL_CONFIG = environ.Env.email_url_config(_EMAIL_URL)
vars().update(EMAIL_CONFIG)
# A stuck SMTP server must not hold a worker: never more than 10 seconds.
EMAIL_TIMEOUT = min(env.int("EMAIL_TIMEOUT", default=10), 10)
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="Portail <portail@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Temporary failures are retried with backoff for this long, then the email is failed.
OUTBOX_GIVE_UP_AFTER = dt.timedelta(hours=env.int("OUTBOX_GIVE_UP_HOURS", default=48))
OUTBOX_REAP_INTERVAL = env.int("OUTBOX_REAP_INTERVAL", default=60)  # seconds
# A row "sending" for longer than this lost its worker: the reaper queues it again.
# It must stay above EMAIL_TIMEOUT, or a send still waiting on a slow server would be
# queued again while in flight and could go out twice (the same Message-ID, so a
# receiver may drop the copy). EMAIL_TIMEOUT bounds each SMTP step (connect, TLS,
# login, each command), at most 10 s: at least 1 minute leaves room for several slow
# steps; the default 5 minutes for some thirty.
OUTBOX_STUCK_MINUTES = env.int("OUTBOX_STUCK_MINUTES", default=5)
if OUTBOX_STUCK_MINUTES < 1:
    raise ImproperlyConfigured(
        f"OUTBOX_STUCK_MINUTES must be at least 1 (minutes), not {OUTBOX_STUCK_MINUTES}."
    )
if OUTBOX_STUCK_MINUTES * 60 <= EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"OUTBOX_STUCK_MINUTES ({OUTBOX_STUCK_MINUTES} min) must be longer than "
        f"EMAIL_TIMEOUT ({EMAIL_TIMEOUT} s), or a slow send is queued again while in flight."
    )

# `manage.py housekeeping` (and the worker, daily) deletes the emails in a final state
# (sent, failed, cancelled) written more than OUTBOX_KEEP_DAYS ago, bodies included, and
# the finished task rows more than TASK_RESULTS_KEEP_DAYS old. Queued and sending emails
# are never deleted, whatever their age.
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=90)
if OUTBOX_KEEP_DAYS < 1:
    raise ImproperlyConfigured(
        f"OUTBOX_KEEP_DAYS must be at least 1 (days), not {OUTBOX_KEEP_DAYS}."
    )
TASK_RESULTS_KEEP_DAYS = env.int("TASK_RESULTS_KEEP_DAYS", default=7)
if TASK_RESULTS_KEEP_DAYS < 1:
    raise ImproperlyConfigured(
        f"TASK_RESULTS_KEEP_DAYS must be at least 1 (days), not {TASK_RESULTS_KEEP_DAYS}."
    )

# Background work: django-tasks with the database as the queue (`manage.py run_worker`).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Security headers (OWASP ASVS 5.0 V3) ----------------------------------------------------
# Sent in development as in production, so a page that breaks them breaks on the desk.
# Content-Security-Policy (django-csp): our own files only, no inline script or style,
# no eval. Templates therefore carry no style="…", no inline <script> and no on…=
# handler (tests/test_templates_csp.py), and htmx is told not to eval nor inject styles
# (the htmx-config meta in base.html; its indicator styles live in portail.css).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Browser features no page of Portail uses: denied to the pages and anything they embed
# (Permissions-Policy, sent by portail.web_headers). Names Chromium knows only: an unknown
# one makes the browser log an error on every page.
PERMISSIONS_POLICY_DENIED = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "clipboard-read",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "screen-wake-lock",
    "serial",
    "usb",
    "window-management",
    "xr-spatial-tracking",
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"  # for browsers without CSP frame-ancestors
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    # __Host-: the browser accepts the cookie only if Secure, Path=/ and without Domain,
    # so no sibling subdomain can set or shadow it. (Over plain http in development a
    # Secure cookie would not stick: the usual names there.)
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
INSTALLED_APPS.append("csp")  # its system checks catch django-csp 3 style settings
_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
MIDDLEWARE[_security:_security] = [
    "csp.middleware.CSPMiddleware",
    "portail.web_headers.PermissionsPolicyMiddleware",
]

# Production hardening: on whenever DEBUG is false (`manage.py check --deploy` is clean).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is hard to undo (months to leave the browsers' lists): opt in only.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # check --deploy warns that the site cannot be preloaded: that is the choice made.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# An expected refusal (403, 404, any 4xx) is one line in the log, not a traceback;
# a 500 keeps its traceback. No working link in a log line: token-shaped text is
# redacted (accounts/tokens.py). Records reach the console once, through the root
# logger's handler, which carries both filters: Django's default handlers on "django"
# and "django.server" (DEFAULT_LOGGING) would print twice, and unfiltered.
# Every console line starts with the UTC time, level and logger (LOG_FORMAT=text), or
# is one JSON object (LOG_FORMAT=json) for a log collector: portail/logfilters.py.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
_LOG_FORMATTERS = {
    "text": "portail.logfilters.TextFormatter",
    "json": "portail.logfilters.JsonFormatter",
}
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in _LOG_FORMATTERS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"console": {"()": _LOG_FORMATTERS[LOG_FORMAT]}},
    "filters": {
        "client_errors_one_line": {"()": "portail.logfilters.ClientErrorsOneLine"},
        "redact_tokens": {"()": "portail.accounts.tokens.RedactTokens"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_tokens", "client_errors_one_line"],
            "formatter": "console",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"filters": ["client_errors_one_line"]},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
