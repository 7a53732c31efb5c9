"""slaweb settings: one file, configured from the environment.

With nothing set, slaweb runs for local use on SQLite in the project folder. Production sets
SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and DATABASE_URL (postgres://...).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Lets the classes django-stubs types as generic take parameters at run time too, as in
# `admin.ModelAdmin[Ticket]` (django_tasks does the same on import; this does not rely on it).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "slaweb-local-development-key-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "slaweb.apps.SlawebAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "polymorphic",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "slaweb.apps.TaskResultsConfig",
    "tickets",
    "policies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "slaweb.middleware.ApiTrailingSlashMiddleware",
    "slaweb.middleware.UnreadableUrlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so a locked sign-in is refused only after the CSRF check has passed.
    "tickets.ratelimit.RateLimitMiddleware",
]

ROOT_URLCONF = "slaweb.urls"
WSGI_APPLICATION = "slaweb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0), conn_health_checks=True
        )
    }
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, reading timestamps several times faster (slaweb/postgresql).
        DATABASES["default"]["ENGINE"] = "slaweb.postgresql"
        # Parameters go apart from the SQL, and a statement a connection has run this many
        # times is prepared (psycopg's default): PostgreSQL then neither parses nor plans it
        # again, a quarter to a third of its CPU. Empty turns preparing off, for a pooler
        # that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
        options["server_side_binding"] = True
        options["prepare_threshold"] = (
            None
            if os.environ.get("DATABASE_PREPARE_THRESHOLD") == ""
            else env_int("DATABASE_PREPARE_THRESHOLD", 5)
        )
    # slaweb's queries are short index walks: PostgreSQL's JIT spends longer compiling one
    # (about a tenth of a second over a large table) than running it.
    options["options"] = "-c jit=off"
    # One test database per test run, so runs on one server do not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_slaweb_{os.getpid()}"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # IMMEDIATE makes concurrent writers queue on the lock instead of failing mid-way.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            # A file, not shared-cache memory, so tests see SQLite's real locking.
            # One per test run, so parallel runs on one machine do not share it.
            "TEST": {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")},
        }
    }

# Background work (recomputes after policy or schedule edits, notifications) goes through
# Django's tasks framework; the database backend needs no other service. Swap the backend for
# RQ or Celery by naming it here.
TASKS = {"default": {"BACKEND": env_str("TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}
# A recompute over many open tickets is split into up to this many parts, which as many
# workers (`manage.py db_worker` processes) work side by side.
SLA_RECOMPUTE_PARTS = env_int("SLA_RECOMPUTE_PARTS", 2)

AUTH_USER_MODEL = "tickets.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "admin:login"
# The lock comes first: while an account or address is locked, no password is tried.
AUTHENTICATION_BACKENDS = [
    "tickets.ratelimit.SignInLockBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Rate limits (slaweb/ratelimit.py). API requests per user and minute, as Zendesk's plans
# (Enterprise: 700); 0 turns the limit off. Failed sign-ins (admin form, API passwords and
# tokens) per account and per client address within a window, after which the answer is 429
# until the window ends. Behind N reverse proxies, the client address is the N-th from the
# right in X-Forwarded-For.
SLAWEB_RATE_LIMIT_PER_MINUTE = env_int("SLAWEB_RATE_LIMIT_PER_MINUTE", 700)
SLAWEB_SIGN_IN_MAX_FAILURES = env_int("SLAWEB_SIGN_IN_MAX_FAILURES", 10)
SLAWEB_SIGN_IN_MAX_FAILURES_PER_IP = env_int("SLAWEB_SIGN_IN_MAX_FAILURES_PER_IP", 50)
SLAWEB_SIGN_IN_WINDOW_SECONDS = env_int("SLAWEB_SIGN_IN_WINDOW_SECONDS", 900)
SLAWEB_NUM_PROXIES = env_int("SLAWEB_NUM_PROXIES", 0)

# The incremental metric event export (tickets/sla/publishing.py) leaves out events published
# in the last this many seconds, as Zendesk leaves out the most recent minute. Exactness does not
# depend on it; it absorbs clocks of different hosts disagreeing by up to this much.
SLAWEB_EXPORT_HOLD_BACK_SECONDS = env_int("SLAWEB_EXPORT_HOLD_BACK_SECONDS", 60)

# SLA notifications (tickets/notifications.py). Webhooks go only to http(s) URLs whose host
# resolves to public addresses, unless private ones (loopback, RFC 1918, link-local) are
# allowed. A failed delivery is retried after base * 2^(attempts - 1) seconds, at most cap,
# spread by +/- the jitter percentage, and given up after max attempts. A notification queued
# longer than the requeue time (its worker died) is queued again.
SLAWEB_WEBHOOK_ALLOW_PRIVATE = env_bool("SLAWEB_WEBHOOK_ALLOW_PRIVATE", False)
SLAWEB_WEBHOOK_TIMEOUT_SECONDS = env_int("SLAWEB_WEBHOOK_TIMEOUT_SECONDS", 10)
SLAWEB_NOTIFICATION_RETRY_BASE_SECONDS = env_int("SLAWEB_NOTIFICATION_RETRY_BASE_SECONDS", 30)
SLAWEB_NOTIFICATION_RETRY_CAP_SECONDS = env_int("SLAWEB_NOTIFICATION_RETRY_CAP_SECONDS", 1800)
SLAWEB_NOTIFICATION_RETRY_JITTER_PERCENT = env_int("SLAWEB_NOTIFICATION_RETRY_JITTER_PERCENT", 10)
SLAWEB_NOTIFICATION_MAX_ATTEMPTS = env_int("SLAWEB_NOTIFICATION_MAX_ATTEMPTS", 12)
SLAWEB_NOTIFICATION_REQUEUE_SECONDS = env_int("SLAWEB_NOTIFICATION_REQUEUE_SECONDS", 600)
# How often the clock checks the objectives watched by notification rules.
SLAWEB_OBJECTIVE_CHECK_SECONDS = env_int("SLAWEB_OBJECTIVE_CHECK_SECONDS", 300)
SLAWEB_NOTIFICATION_FROM_EMAIL = env_str("SLAWEB_NOTIFICATION_FROM_EMAIL", "slaweb@localhost")
# Notification emails go through Django's email backend (SMTP unless another is named).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Links in notifications point here (e.g. https://sla.example.com).
SLAWEB_BASE_URL = env_str("SLAWEB_BASE_URL", "http://127.0.0.1:8000")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tickets.authentication.ZendeskBasicAuthentication",
        "tickets.authentication.ZendeskSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["slaweb.api.permissions.IsAgent"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["slaweb.api.parsers.ZendeskJSONParser"],
    "EXCEPTION_HANDLER": "slaweb.api.errors.zendesk_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "slaweb API",
    "DESCRIPTION": (
        "Zendesk-compatible SLA Policies, Users and account data API. Authenticate with HTTP "
        "Basic `{email}/token:{api_token}` or `{email}:{password}`."
    ),
    "VERSION": "2.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v2",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Static files are served by the application itself (WhiteNoise), compressed and with
# content-hashed names in production, so no separate web server is needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

if not DEBUG:
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    # slaweb expects HTTPS in front of it (a load balancer or reverse proxy) in production.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
