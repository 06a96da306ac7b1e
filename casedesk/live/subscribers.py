"""What the live app tells browsers when the domain says something happened.

Subscribed at startup by ``LiveConfig.ready``, all *after commit* (``casedesk.lib.events``):
a browser never hears about a row it cannot read yet, and a failed publish never fails the
write. ``casedesk.live.publish`` does the sending and the visibility split (team/client groups).
"""

from __future__ import annotations

from casedesk.cases.access import unread_notification_count
from casedesk.cases.events import CaseActivity, NotificationsChanged
from casedesk.lib.events import subscribe
from casedesk.live import publish


def on_case_activity(event: CaseActivity) -> None:
    publish.publish_case_event(event.case_id, event.kind, event.payload, internal_only=event.internal_only)


def on_notifications_changed(event: NotificationsChanged) -> None:
    for user_id in event.user_ids:
        unread = unread_notification_count(user_id)
        publish.publish_user_event(user_id, "notifications.changed", {"unread": unread})


def subscribe_all() -> None:
    subscribe(CaseActivity, on_case_activity, after_commit=True)
    subscribe(NotificationsChanged, on_notifications_changed, after_commit=True)
