from __future__ import annotations

from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "casedesk.support"
    label = "support"

    def ready(self) -> None:
        from casedesk.support.subscribers import subscribe_all

        subscribe_all()  # the domain's events this app acts on (casedesk.lib.events)
