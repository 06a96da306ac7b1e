"""Auto-assignment of escalated support conversations: round robin among the available, capped.

An agency turns it on in Settings → Support Widget (``WidgetSettings.auto_assign``, with
``auto_assign_cap``). Each team member marks themselves available on the Support queue page
(``SupportAvailability``). When an escalation opens its case (``escalation.escalate_conversation``,
inside its transaction and under the conversation's row lock), ``auto_assign_locked`` gives the
conversation to the available active team member who has waited longest since their last
automatic assignment and holds fewer than the cap of open conversations (escalating, waiting or
with a person). It goes through the same internals as a manual claim, so the assignee also
becomes the case's assignee. Nobody available, or everybody at the cap: the conversation stays
in the queue, unassigned, as without auto-assignment.

Race safety: the agency's availability rows are locked (``select_for_update``) while one is
chosen and stamped, so two escalations at once in the same agency go to two people (on SQLite the
write lock serialises them anyway).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from casedesk.accounts.access import is_active_team_member
from casedesk.accounts.models import Agency, Membership, User
from casedesk.lib.errors import ActionError
from casedesk.support.models import (
    HUMAN_STATES,
    Conversation,
    SupportAvailability,
    WidgetSettings,
)


def choose_agent(agency: Agency) -> User | None:
    """The next person for an automatic assignment in ``agency``, or None. Locks the agency's
    availability rows until the caller's transaction ends."""
    settings_row = WidgetSettings.objects.filter(agency=agency).first()
    if settings_row is None or not settings_row.auto_assign:
        return None
    rows = list(
        SupportAvailability.objects.select_for_update()
        .filter(agency=agency, available=True)
        .order_by("last_assigned_at", "pk")
    )
    if not rows:
        return None
    team = set(
        Membership.objects.filter(
            agency=agency, is_active=True, user__is_active=True, user_id__in=[row.user_id for row in rows]
        ).values_list("user_id", flat=True)
    )
    open_counts = dict(
        Conversation.objects.filter(agency=agency, assignee_id__in=team, state__in=HUMAN_STATES)
        .values("assignee_id")
        .annotate(open=Count("pk"))
        .values_list("assignee_id", "open")
    )
    # Never-assigned people first (NULL sorts first on SQLite, last on PostgreSQL: do it here).
    now = timezone.now()
    rows.sort(key=lambda row: (row.last_assigned_at is not None, row.last_assigned_at or now, row.pk))
    for row in rows:
        if row.user_id in team and open_counts.get(row.user_id, 0) < settings_row.auto_assign_cap:
            row.last_assigned_at = timezone.now()
            row.save(update_fields=["last_assigned_at", "updated_at"])
            return User.objects.get(pk=row.user_id)
    return None


def auto_assign_locked(conversation: Conversation) -> User | None:
    """Give a just-escalated, unassigned conversation to the next available person (if auto-
    assignment is on and somebody is free). The caller holds the conversation's row lock."""
    from casedesk.support.actions import assign_locked

    if conversation.assignee_id is not None or conversation.state not in HUMAN_STATES:
        return None
    user = choose_agent(conversation.agency)
    if user is None:
        return None
    assign_locked(conversation, user, by=None)
    return user


@transaction.atomic
def do_set_availability(*, agency: Agency, user: User, available: bool) -> SupportAvailability:
    """A team member switches "available for support chats" on or off in one agency."""
    if not is_active_team_member(user, agency.pk):
        raise ActionError(
            f"{user.get_short_name()} is not on the {agency.name} team.", code="not_team", status=403
        )
    row, _ = SupportAvailability.objects.select_for_update().get_or_create(agency=agency, user=user)
    if row.available != available:
        row.available = available
        row.save(update_fields=["available", "updated_at"])
    return row


def auto_assign_settings(agency: Agency) -> tuple[bool, int]:
    """Whether auto-assignment is on in ``agency``, and the cap per person (a read: no row is made)."""
    row = WidgetSettings.objects.filter(agency=agency).only("auto_assign", "auto_assign_cap").first()
    return (row.auto_assign, row.auto_assign_cap) if row else (False, 3)


def is_available(agency: Agency, user: User) -> bool:
    return SupportAvailability.objects.filter(agency=agency, user=user, available=True).exists()
