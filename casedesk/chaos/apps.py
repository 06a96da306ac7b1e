from __future__ import annotations

from django.apps import AppConfig


class ChaosConfig(AppConfig):
    name = "casedesk.chaos"
    label = "chaos"
