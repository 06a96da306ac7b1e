"""The bell: notification list, unread count, mark read and mark all read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from casedesk.accounts.access import Viewer, viewer_from_request
from casedesk.cases.access import access_notification, unread_notification_count, visible_notifications
from casedesk.cases.actions import do_mark_all_notifications_read, do_mark_notification_read
from casedesk.cases.message_html import author_key
from casedesk.cases.models import Notification, NotificationKind
from casedesk.lib.avatars import avatar_html, photo_token
from casedesk.lib.http import wants_json
from casedesk.lib.markdown import plain_excerpt

EXCERPT_CHARS = 160
# Who did what, one phrase per kind; the case follows ("Ana Silva replied in case-6 “…”").
_DOING: dict[str, str] = {
    NotificationKind.MENTION: "mentioned you in",
    NotificationKind.CLIENT_REPLY: "replied in",
}


@dataclass(frozen=True)
class NotificationItem:
    """One row of the list as the page shows it: whose avatar, one sentence, the excerpt."""

    notification: Notification
    avatar: SafeString
    sentence: str
    excerpt: str
    unread: bool


def _item(n: Notification) -> NotificationItem:
    message = n.message
    doing = _DOING.get(n.kind)
    if message is None or doing is None or n.case is None:
        # Assignments, support hand-overs and system notices carry their own sentence; the
        # avatar is the person who did it (an assignment's actor), else casedesk's.
        if n.actor is not None:
            token = photo_token(n.actor.photo)
            photo = reverse("accounts:photo", args=[token]) if token else ""
            avatar = avatar_html(n.actor.name, f"u{n.actor_id}", photo)
        else:
            avatar = avatar_html("casedesk", "system")
        return NotificationItem(n, mark_safe(avatar), n.text, "", n.read_at is None)
    actor = message.author_name
    token = photo_token(message.author_user.photo) if message.author_user is not None else ""
    photo = reverse("accounts:photo", args=[token]) if token else ""
    excerpt = (
        "This message was deleted." if message.deleted_at else plain_excerpt(message.body, EXCERPT_CHARS)
    )
    return NotificationItem(
        notification=n,
        # Safe: avatar_html escapes the initials and the URL.
        avatar=mark_safe(avatar_html(actor, author_key(message), photo)),
        sentence=f"{actor} {doing} {n.case.reference} “{n.case.title}”",
        excerpt=excerpt,
        unread=n.read_at is None,
    )


def notification_items(notifications: Iterable[Notification]) -> list[NotificationItem]:
    return [_item(n) for n in notifications]


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
        visible_notifications(viewer)
        .select_related("case", "actor", "message__author_user", "message__author_contact")
        .order_by("-created_at", "-id")[:100]
    )
    items = notification_items(notifications)
    # "Mark all read" shows while anything is unread: the sidebar's bell count (``bell_unread``,
    # read with the other sidebar figures in one query) answers that, so no count of its own.
    return render(request, "cases/thread/notifications.html", {"items": items})


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
