"""Seen receipts in the client's thread (portal account or magic link).

``POST`` marks what the page shows (``up_to``); ``GET`` says whether the team has seen the
client's own newest message ("Seen by the team"). Nothing here can name, count or hint at an
internal note: those have no read state (``casedesk.cases.seen``).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from casedesk.cases.access import access_case_as_client, team_seen_last_own_message
from casedesk.cases.seen import do_mark_seen
from casedesk.cases.threads import parse_cursor
from casedesk.cases.views.seen import seen_label
from casedesk.portal.thread_views import _client_viewer


@require_http_methods(["GET", "POST"])
def client_seen(request: HttpRequest, case_id: int) -> JsonResponse:
    viewer = _client_viewer(request)
    if viewer is None:
        return JsonResponse({"error": "Sign in to continue."}, status=401)
    case, contact = access_case_as_client(viewer, case_id)
    if request.method == "POST":
        up_to = parse_cursor(request.POST.get("up_to"))
        if up_to is None:
            return JsonResponse({"error": "Say up to which message the page shows (up_to)."}, status=400)
        return JsonResponse({"marked": do_mark_seen(case=case, up_to=up_to, contact=contact)})
    message_id, first_view = team_seen_last_own_message(case, contact)
    return JsonResponse(
        {
            "message": message_id,
            "seen_by_team": first_view is not None,
            "seen_at": first_view.seen_at.isoformat() if first_view else None,
            "label": seen_label(first_view.seen_at) if first_view else None,
        }
    )
