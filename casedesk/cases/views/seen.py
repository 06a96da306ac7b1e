"""Seen receipts on the team's thread: mark what this teammate saw, and who of the clients saw what.

``POST`` marks (``up_to``: the newest message id the page shows in a visible tab); ``GET`` answers
for the messages the page shows (``?ids=1,2,3``). Both are team-only; internal notes have no
read state (``casedesk.cases.seen``).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods

from casedesk.cases.access import access_case_as_team, contacts_seen_by_message
from casedesk.cases.seen import do_mark_seen
from casedesk.cases.threads import parse_cursor
from casedesk.cases.views.thread import _team_viewer

MAX_IDS = 200


def seen_label(when: datetime) -> str:
    return date_format(timezone.localtime(when), "j M Y, H:i")


def parse_ids(value: str) -> list[int]:
    ids = [parse_cursor(part.strip()) for part in value.split(",")[:MAX_IDS]]
    return [pk for pk in ids if pk]


@require_http_methods(["GET", "POST"])
def team_seen(request: HttpRequest, case_id: int) -> JsonResponse:
    viewer = _team_viewer(request)
    if viewer is None:
        return JsonResponse({"error": "Sign in to continue."}, status=401)
    case = access_case_as_team(viewer, case_id)
    if request.method == "POST":
        up_to = parse_cursor(request.POST.get("up_to"))
        if up_to is None:
            return JsonResponse({"error": "Say up to which message the page shows (up_to)."}, status=400)
        assert viewer.user is not None  # access_case_as_team: a signed-in member
        return JsonResponse({"marked": do_mark_seen(case=case, up_to=up_to, user=viewer.user)})
    seen = contacts_seen_by_message(case, parse_ids(request.GET.get("ids", "")))
    return JsonResponse(
        {
            "messages": {
                str(message_id): [
                    {
                        "name": row.contact.name,
                        "seen_at": row.seen_at.isoformat(),
                        "label": seen_label(row.seen_at),
                    }
                    for row in rows
                    if row.contact is not None
                ]
                for message_id, rows in seen.items()
            }
        }
    )
