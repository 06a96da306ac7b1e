"""Thread, documents and notification routes (Case Messages). Included by this app's urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from casedesk.cases.views import documents as documents_views
from casedesk.cases.views import notifications as notification_views
from casedesk.cases.views import saved_replies as saved_reply_views
from casedesk.cases.views import seen as seen_views
from casedesk.cases.views import thread as thread_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:case_id>/messages/", thread_views.messages_page, name="messages"),
    path("<int:case_id>/messages/feed", thread_views.messages_feed, name="messages_feed"),
    path("<int:case_id>/messages/seen", seen_views.team_seen, name="messages_seen"),
    path("<int:case_id>/messages/<int:message_id>/", thread_views.message_fragment, name="message_fragment"),
    path("<int:case_id>/messages/<int:message_id>/edit", thread_views.edit_message, name="message_edit"),
    path(
        "<int:case_id>/messages/<int:message_id>/delete", thread_views.delete_message, name="message_delete"
    ),
    path(
        "<int:case_id>/messages/<int:message_id>/history",
        thread_views.message_history,
        name="message_history",
    ),
    path("<int:case_id>/mentionable", thread_views.mentionable, name="mentionable"),
    path("<int:case_id>/saved-replies", saved_reply_views.case_saved_replies, name="saved_replies"),
    path("<int:case_id>/documents/", documents_views.documents_page, name="documents"),
    path("documents/<int:document_id>/download", documents_views.document_download, name="document_download"),
    path("documents/<int:document_id>/view", documents_views.document_inline, name="document_inline"),
    path(
        "documents/<int:document_id>/thumbnail", documents_views.document_thumbnail, name="document_thumbnail"
    ),
    path("documents/s/<str:token>", documents_views.document_share, name="document_share"),
    path("notifications/", notification_views.notifications_page, name="notifications"),
    path("notifications/count", notification_views.notifications_count, name="notifications_count"),
    path("notifications/read-all", notification_views.notifications_read_all, name="notifications_read_all"),
    path(
        "notifications/<int:notification_id>/read",
        notification_views.notification_read,
        name="notification_read",
    ),
]
