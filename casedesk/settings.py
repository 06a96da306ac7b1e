"""casedesk settings.

Everything comes from the environment, with embedded defaults so that a fresh clone runs
with SQLite, a local media folder and one process. Production needs only DATABASE_URL,
REDIS_URL, storage and mail settings (see ``settings_production.py`` and docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE as CSP_NONCE

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CASEDESK_DATA_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for: `casedesk run` / `make demo` is a real mode that a small agency runs, and
# Django's debug pages show tracebacks, settings and the URL list. CASEDESK_DEBUG=1 for development.
DEBUG = env_bool("CASEDESK_DEBUG", False)
# Demo mode turns on the dev mailbox and other conveniences for a newcomer; never in production
# (settings_production turns it off).
DEMO_MODE = env_bool("CASEDESK_DEMO", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "casedesk-embedded-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "anymail",
    "ninja",  # serves Swagger UI for /api/docs from its own static files (works offline)
    "django_tasks",
    "django_tasks_db",
    "csp",
    "casedesk",
    "casedesk.accounts",
    "casedesk.cases",
    "casedesk.portal",
    "casedesk.mail",
    "casedesk.support",
    "casedesk.jobs",
    "casedesk.live",
    "casedesk.api",
    "casedesk.chaos",
    "casedesk.search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-csp, plus this host's websocket origins in connect-src (see CONTENT_SECURITY_POLICY).
    "casedesk.csp.CaseDeskCSPMiddleware",
    # Under /api/ every error is JSON, whichever layer answered it (Django's 404, a crash, ninja's 405).
    "casedesk.api.middleware.ApiErrorsAsJsonMiddleware",
    # Django's, but an unchanged session is rewritten every few minutes, not on every request.
    "casedesk.accounts.middleware.SlidingSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "casedesk.accounts.middleware.ActiveUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "casedesk.urls"
ASGI_APPLICATION = "casedesk.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "casedesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "casedesk.accounts.context_processors.shell",
                "casedesk.cases.context_processors.shell",
                "casedesk.jobs.context_processors.shell",
                "casedesk.mail.context_processors.shell",
                "casedesk.support.context_processors.shell",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    # Under ASGI each request runs its sync view in a fresh thread, so persistent per-thread
    # connections pile up until PostgreSQL refuses more ("too many clients"). A per-process pool
    # bounds them and saves a connect per request (docs/deploy.md; issue 8's benchmark).
    if int(os.environ.get("DATABASE_POOL_MAX_SIZE", 0)) > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", 2)),
            "max_size": int(os.environ["DATABASE_POOL_MAX_SIZE"]),
            "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", 30)),
        }
    if os.environ.get("CASEDESK_TEST_DB_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": os.environ["CASEDESK_TEST_DB_NAME"]}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "casedesk.sqlite3")),
            # WAL + a busy timeout let the web, worker and SMTP threads of the embedded
            # process share one file without "database is locked" errors.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, channels, cache -----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks -------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail", "inbound", "support"],
    }
}

# --- Auth and sessions ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["casedesk.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- Sign-in throttling (casedesk/accounts/throttle.py; docs/security.md) ---------------------
# Failed sign-ins, magic-link requests and password resets: 5 per account and 20 per IP in
# 15 minutes, then 15 minutes of 429. Counters live in this cache (Redis with REDIS_URL, which
# production requires, so every web process sees the same counts). Override a rule with e.g.
# THROTTLE_RULES = {"sign-in": {"per_account": 10}}.
THROTTLE_CACHE = "default"
THROTTLE_RULES: dict[str, dict[str, int]] = {}
# Sessions time out after two weeks of inactivity, or SESSION_IDLE_SECONDS when set.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", 14 * 24 * 3600))
# The idle timeout slides without a write per request: SlidingSessionMiddleware rewrites an
# unchanged session only when its last write is over 5 minutes old (casedesk/accounts/middleware.py).
SESSION_SAVE_EVERY_REQUEST = False
MAGIC_LINK_TTL_SECONDS = int(os.environ.get("MAGIC_LINK_TTL_SECONDS", 14 * 24 * 3600))
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# --- Files ------------------------------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media-not-served/"  # files are only ever served through access-checked views
MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_ATTACHMENT_BYTES", 25 * 1024 * 1024))
# Uploads larger than this spill to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "casedesk" / "static"]
# Without collectstatic (make demo, tests), WhiteNoise serves straight from the app folders,
# with DEBUG off too; production serves the collected STATIC_ROOT (settings_production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# An empty STATIC_ROOT before the first collectstatic, so WhiteNoise has no missing folder to warn about.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "casedesk.mail.devmailbox.DevMailboxBackend"
    if DEMO_MODE
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "casedesk <notifications@casedesk.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
INBOUND_EMAIL_DOMAIN = os.environ.get("INBOUND_EMAIL_DOMAIN", "reply.casedesk.localhost")
INBOUND_SMTP_HOST = os.environ.get("INBOUND_SMTP_HOST", "127.0.0.1")
INBOUND_SMTP_PORT = int(os.environ.get("INBOUND_SMTP_PORT", 2525))
# Authentication-Results headers are only believed from these authserv-ids (RFC 8601).
TRUSTED_AUTHSERV_IDS = env_list("TRUSTED_AUTHSERV_IDS", "mx.casedesk.localhost")
ANYMAIL = {
    "WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET", "casedesk-dev:webhook-secret"),
    "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", ""),
    "POSTMARK_SERVER_TOKEN": os.environ.get("POSTMARK_SERVER_TOKEN", ""),
}

# --- Support chat -----------------------------------------------------------------------------
SUPPORT_OVERDUE_SECONDS = int(os.environ.get("SUPPORT_OVERDUE_SECONDS", 15 * 60))
TRIAGE_ENGINE = os.environ.get("CASEDESK_TRIAGE_ENGINE", "minilm")
TRIAGE_MODEL_PATH = os.environ.get("CASEDESK_TRIAGE_MODEL_PATH", "")
# Embedding engines only: fine-tune a private copy of the encoder on each help centre when its
# index is built (docs/triage.md), and build slow indexes off the request path ("auto", "1", "0").
TRIAGE_FINE_TUNE = env_bool("CASEDESK_TRIAGE_FINE_TUNE", True)
TRIAGE_BACKGROUND_REBUILD = os.environ.get("CASEDESK_TRIAGE_BACKGROUND_REBUILD", "auto")
# minilm: answer questions not in English with the cross-lingual side index ("auto": when installed).
TRIAGE_MULTILINGUAL = os.environ.get("CASEDESK_TRIAGE_MULTILINGUAL", "auto")
# minilm: each help centre of 10 articles or more gets its own threshold, chosen on its own
# articles' example questions (docs/triage.md, "Each help centre's own threshold"); 0: the
# shipped default threshold for every help centre.
TRIAGE_CALIBRATE = env_bool("CASEDESK_TRIAGE_CALIBRATE", True)

# --- Embedded single process ------------------------------------------------------------------
# `casedesk run` starts the web server, a task worker thread and the inbound SMTP server together.
EMBEDDED_WORKER = env_bool("CASEDESK_EMBEDDED_WORKER", True)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security headers that are right in every mode --------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Content-Security-Policy (django-csp 4; docs/security.md) -------------------------------
# Scripts and styles come from our own origin or carry the per-request nonce ({{ CSP_NONCE }});
# no inline handlers, no inline style attributes, no eval. Responses that set their own policy
# (downloaded files, the dev mailbox's sandboxed preview) keep it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", CSP_NONCE],
        "style-src": ["'self'", CSP_NONCE],
        "img-src": [
            "'self'",
            "data:",
            "blob:",
        ],  # blob: the composer's own thumbnails of files about to be sent
        "font-src": ["'self'"],
        # casedesk.csp adds ws://<host> and wss://<host> of the request for live updates.
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
