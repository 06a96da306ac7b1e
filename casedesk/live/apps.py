from __future__ import annotations

from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "casedesk.live"
    label = "live"

    def ready(self) -> None:
        from casedesk.live.subscribers import subscribe_all

        subscribe_all()  # the domain's events this app acts on (casedesk.lib.events)
