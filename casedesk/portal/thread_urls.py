"""Thread, documents and notification routes (Case Messages). Included by this app's urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from casedesk.portal import seen_views, thread_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:case_id>/messages", thread_views.messages_page, name="messages"),
    path("<int:case_id>/messages/feed", thread_views.messages_feed, name="messages_feed"),
    path("<int:case_id>/messages/seen", seen_views.client_seen, name="messages_seen"),
    path("<int:case_id>/messages/<int:message_id>/", thread_views.message_fragment, name="message_fragment"),
    path("<int:case_id>/messages/<int:message_id>/edit", thread_views.edit_message, name="message_edit"),
    path(
        "<int:case_id>/messages/<int:message_id>/delete", thread_views.delete_message, name="message_delete"
    ),
    path("<int:case_id>/documents", thread_views.documents_page, name="documents"),
]
