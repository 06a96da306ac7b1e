from __future__ import annotations

from django.apps import AppConfig


class CasedeskConfig(AppConfig):
    """The project package is an app too, for its process commands (run, web)."""

    name = "casedesk"
    label = "casedesk"
