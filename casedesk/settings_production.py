"""Production profile: ``DJANGO_SETTINGS_MODULE=casedesk.settings_production``.

Passes ``manage.py check --deploy`` with no warnings. Requires SECRET_KEY, DATABASE_URL and
REDIS_URL in the environment; everything else has a safe default.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("CASEDESK_DEMO", "0")

from django.core.exceptions import ImproperlyConfigured

from casedesk.settings import *  # noqa: F403
from casedesk.settings import CACHES, env_bool

DEBUG = False
DEMO_MODE = False
# The base settings pick the dev mailbox (which captures mail instead of sending it) when
# CASEDESK_DEMO is set; production sends real mail unless EMAIL_BACKEND says otherwise.
if "EMAIL_BACKEND" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
WHITENOISE_USE_FINDERS = False  # `casedesk collectstatic` fills STATIC_ROOT at release
SECRET_KEY = os.environ["SECRET_KEY"]
if "redis" not in CACHES["default"]["BACKEND"].lower():
    # Sign-in throttling and the widget's rate limits count in the cache: per-process memory
    # would give each web process its own counters (docs/security.md).
    raise ImproperlyConfigured("Set REDIS_URL: production keeps throttle counters in Redis.")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# /healthz and /readyz are probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
