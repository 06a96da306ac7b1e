"""What the support widget and queue make of an agency's business hours (Settings → General).

``casedesk.lib.business_hours`` holds the arithmetic; this module holds the words. An agency
without hours (``Agency.schedule()`` is None) is always open, and nothing here changes for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from casedesk.accounts.models import Agency
from casedesk.lib.business_hours import Schedule, describe_back


def away(agency: Agency, now: datetime | None = None) -> dict[str, str] | None:
    """``{"back_at": ISO instant, "short": header line, "text": sentence}`` while the team is
    outside its hours, else None."""
    schedule = agency.schedule()
    moment = now or timezone.now()
    if schedule is None or schedule.is_open(moment):
        return None
    return {
        "back_at": schedule.next_open(moment).isoformat(),
        "short": f"Back {describe_back(schedule, moment)}",
        "text": (
            f"We're away right now and back {describe_back(schedule, moment)}. Ask anyway: the "
            "assistant answers now, and a person's answer will come by email if you leave your address."
        ),
    }


def handoff_wait(agency: Agency, usual: str, now: datetime | None = None) -> tuple[str, str]:
    """(when a person answers, what the visitor can do) for the handover notice."""
    schedule = agency.schedule()
    moment = now or timezone.now()
    if schedule is None or schedule.is_open(moment):
        return f"usually {usual}", "You can close this window: the answer will be waiting when you come back."
    return (
        f"when the team is back, {describe_back(schedule, moment)}",
        "You can close this window: if you leave your email address, the answer will come by "
        "email, and it will be waiting here too.",
    )


def waited(schedule: Schedule | None, since: datetime, now: datetime) -> timedelta:
    """How long a conversation has waited: open time only when the agency keeps hours."""
    if schedule is None:
        return now - since
    return timedelta(seconds=schedule.seconds_between(since, now))
