"""The bell: notification list, unread count, mark read and mark all read."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from casedesk.accounts.access import Viewer, viewer_from_request
from casedesk.cases.access import access_notification, unread_notification_count, visible_notifications
from casedesk.cases.actions import do_mark_all_notifications_read, do_mark_notification_read
from casedesk.lib.http import wants_json


def _bell_viewer(request: HttpRequest) -> Viewer | None:
    """The bell belongs to team members (of any agency). No session: None (sign in); a client: 404."""
    viewer = viewer_from_request(request)
    if not viewer.is_authenticated_user and not viewer.magic_grants:
        return None
    if not viewer.memberships():
        raise Http404("No such page.")
    return viewer


@require_GET
def notifications_page(request: HttpRequest) -> HttpResponse:
    viewer = _bell_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    notifications = (
        visible_notifications(viewer).select_related("case", "message").order_by("-created_at", "-id")[:100]
    )
    return render(request, "cases/thread/notifications.html", {"notifications": notifications})


@require_GET
def notifications_count(request: HttpRequest) -> JsonResponse:
    viewer = _bell_viewer(request)
    if viewer is None or viewer.user is None:
        return JsonResponse({"error": "Sign in to see your notifications."}, status=401)
    return JsonResponse({"unread": unread_notification_count(viewer.user.pk)})


@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one read; with ``open=1`` go on to what it is about (the message)."""
    viewer = _bell_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    notification = do_mark_notification_read(notification=access_notification(viewer, notification_id))
    if wants_json(request):
        return JsonResponse({"read": notification.pk})
    target = notification.url if request.POST.get("open") else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("cases:notifications")


@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    viewer = _bell_viewer(request)
    if viewer is None or viewer.user is None:
        return redirect_to_login(request.get_full_path())
    count = do_mark_all_notifications_read(user=viewer.user)
    if wants_json(request):
        return JsonResponse({"marked": count})
    return redirect("cases:notifications")
