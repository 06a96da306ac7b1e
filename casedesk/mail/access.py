"""Who may see what in the mail app: quarantined mail, original emails, the dev mailbox.

Missing and forbidden are the same 404, as everywhere in casedesk.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from casedesk.accounts.access import Viewer
from casedesk.cases.access import access_case_as_team
from casedesk.cases.models import Message
from casedesk.mail.models import InboundEmail, InboundStatus


def quarantined_emails(viewer: Viewer) -> QuerySet[InboundEmail]:
    """Quarantined mail of every agency the viewer is on the team of."""
    agency_ids = list(viewer.memberships().keys())
    return (
        InboundEmail.objects.filter(agency_id__in=agency_ids, status=InboundStatus.QUARANTINED)
        .select_related("case", "contact", "agency")
        .defer("raw")
        .order_by("-received_at")
    )


def access_quarantined_email(viewer: Viewer, inbound_id: int) -> InboundEmail:
    row = quarantined_emails(viewer).filter(pk=inbound_id).first()
    if row is None:
        raise Http404("No such email.")
    return row


def access_original_email(viewer: Viewer, message_id: int) -> InboundEmail:
    """The email a message was posted from; team of the case only (clients see the thread)."""
    message = Message.objects.filter(pk=message_id, deleted_at__isnull=True).only("case_id").first()
    if message is None:
        raise Http404("No such email.")
    access_case_as_team(viewer, message.case_id)
    row = InboundEmail.objects.filter(message_id=message.pk).defer("raw").first()
    if row is None:
        raise Http404("No such email.")
    return row


def dev_mailbox_enabled() -> bool:
    return bool(settings.DEMO_MODE or settings.DEBUG)


def access_dev_mailbox(viewer: Viewer) -> None:
    """Demo/debug only, and only for team members or platform staff (it shows everyone's links)."""
    if not dev_mailbox_enabled():
        raise Http404("Not found.")
    if not (viewer.memberships() or viewer.is_platform_staff):
        raise Http404("Not found.")
