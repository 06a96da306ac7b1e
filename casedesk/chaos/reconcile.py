"""Reconciler check of the chaos harness's stand-in (discovered by ``casedesk.jobs.reconciler``)."""

from __future__ import annotations

from collections.abc import Iterator

from casedesk.jobs.reconciler import StuckItem, live_task_args, register_check


def chaos_conversations_stuck_escalating() -> Iterator[StuckItem]:
    """Stand-in conversations marked escalating with no case and no live escalation task."""
    from casedesk.chaos.models import ChaosConversation
    from casedesk.chaos.standin import escalate_chaos_conversation

    # Live tasks first, then conversations: a task that finishes in between has by then
    # written the case, so it cannot be mistaken for stuck work.
    live = {tuple(a.get("args", [])) for a in live_task_args(escalate_chaos_conversation.module_path)}
    stuck = list(ChaosConversation.objects.filter(state="escalating", case__isnull=True))
    for conversation in stuck:
        if (conversation.pk,) in live:
            continue
        yield StuckItem(
            kind="chaos.escalate_conversation",
            key=str(conversation.pk),
            task=escalate_chaos_conversation,
            args=[conversation.pk],
            tenant_id=conversation.agency_id,
            label=f"Chaos conversation {conversation.key}",
            reason="Marked escalating, but it has no case and no queued or running escalation task.",
        )


register_check("chaos.escalating_without_case", chaos_conversations_stuck_escalating)
