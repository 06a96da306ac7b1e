"""The triage engine's on/off settings, read the same way everywhere."""

from __future__ import annotations

import os

OFF = {"0", "false", "no", "off", ""}


def switched_on(setting: str, variable: str, default: str = "1") -> bool:
    """The Django setting ``setting`` when settings are configured and set it, else the
    environment variable ``variable`` (else ``default``); off for 0/false/no/off/empty, on for
    anything else (``auto``, ``1``, ``True``)."""
    configured: object = None
    try:
        from django.conf import settings

        if settings.configured:
            configured = getattr(settings, setting, None)
    except ImportError:  # pragma: no cover - Django is a base dependency
        pass
    if configured is None:
        configured = os.environ.get(variable, default)
    return str(configured).strip().lower() not in OFF
