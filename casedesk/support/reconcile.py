"""Reconciler check: conversations stuck in ``escalating`` with no case and no live task.

Discovered by ``casedesk.jobs.reconciler`` (it imports ``<app>.reconcile``). Each stuck
conversation surfaces in Admin → Failed Jobs with a link to its transcript; replaying it runs
the real, idempotent ``escalate_conversation``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from casedesk.jobs.reconciler import StuckItem, register_check, stuck_without_live_task
from casedesk.support.escalation import escalate_conversation
from casedesk.support.models import Conversation, ConversationState

# A conversation younger than this may simply not have been picked up yet.
GRACE = timedelta(minutes=2)


def conversations_stuck_escalating() -> Iterator[StuckItem]:
    return stuck_without_live_task(
        escalate_conversation,
        Conversation.objects.filter(
            state=ConversationState.ESCALATING, case__isnull=True, escalated_at__lt=timezone.now() - GRACE
        ).select_related("visitor"),
        kind="support.escalate",
        describe=lambda conversation: {
            "tenant_id": conversation.agency_id,
            "label": f"Support chat #{conversation.pk} from {conversation.visitor.display_name}",
            "url": reverse("support:conversation", args=[conversation.pk]),
        },
    )


register_check("support.escalating_without_case", conversations_stuck_escalating)
