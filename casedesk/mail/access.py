"""Who may see what in the mail app: quarantined mail, original emails, the dev mailbox.

Missing and forbidden are the same 404, as everywhere in casedesk.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from casedesk.accounts.access import Viewer
from casedesk.cases.access import access_case_as_team
from casedesk.cases.models import Message
from casedesk.mail.models import CapturedEmail, InboundEmail, InboundStatus


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
    """Demo or debug only; ``settings_production`` turns both off, whatever the environment says."""
    return bool(settings.DEMO_MODE or settings.DEBUG)


def visible_captured_emails(viewer: Viewer) -> QuerySet[CapturedEmail]:
    """The dev mailbox as this viewer may see it. Deny by default.

    - Platform staff: every captured email.
    - A team member: the mail sent for the agencies they are on the team of (to their clients'
      contacts and to their teammates), recorded at capture time from the mail's OutboundEmail.
    - Anyone with an account (a portal client, a teammate): the mail addressed to them.
    - Magic-link sessions, anonymous visitors, and every viewer outside demo/debug mode: nothing.

    Personal mail without an agency (a password reset, an invitation) is never shown to the
    recipient's colleagues: an owner reading a teammate's reset link could take over the account.
    """
    if not dev_mailbox_enabled() or not viewer.is_authenticated_user:
        return CapturedEmail.objects.none()
    if viewer.is_platform_staff:
        return CapturedEmail.objects.all()
    condition = Q(recipient_user=viewer.user)
    team_agency_ids = list(viewer.memberships().keys())
    if team_agency_ids:
        condition |= Q(agency_id__in=team_agency_ids)
    return CapturedEmail.objects.filter(condition)


def access_captured_email(viewer: Viewer, captured_id: int | str) -> CapturedEmail:
    """One captured email the viewer may see (to read it, or to reply as its recipient); else 404."""
    try:
        pk = int(captured_id)
    except (TypeError, ValueError):
        raise Http404("No such email.") from None
    row = visible_captured_emails(viewer).filter(pk=pk).defer("raw").first()
    if row is None:
        raise Http404("No such email.")
    return row
