"""Reconciler check of the chaos harness's stand-in (discovered by ``casedesk.jobs.reconciler``)."""

from __future__ import annotations

from collections.abc import Iterator

from casedesk.jobs.reconciler import StuckItem, register_check, stuck_without_live_task


def chaos_conversations_stuck_escalating() -> Iterator[StuckItem]:
    """Stand-in conversations marked escalating with no case and no live escalation task."""
    from casedesk.chaos.models import ChaosConversation
    from casedesk.chaos.standin import escalate_chaos_conversation

    return stuck_without_live_task(
        escalate_chaos_conversation,
        ChaosConversation.objects.filter(state="escalating", case__isnull=True),
        kind="chaos.escalate_conversation",
        describe=lambda conversation: {
            "tenant_id": conversation.agency_id,
            "label": f"Chaos conversation {conversation.key}",
        },
    )


register_check("chaos.escalating_without_case", chaos_conversations_stuck_escalating)
