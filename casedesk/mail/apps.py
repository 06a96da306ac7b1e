from __future__ import annotations

from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "casedesk.mail"
    label = "mail"

    def ready(self) -> None:
        from anymail.signals import inbound

        from casedesk.mail.subscribers import subscribe_all
        from casedesk.mail.webhooks import handle_inbound

        inbound.connect(handle_inbound, dispatch_uid="casedesk.mail.inbound")
        subscribe_all()  # the domain's events this app acts on (casedesk.lib.events)
