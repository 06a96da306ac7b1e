"""Settings → Saved replies. Mounted at /settings/saved-replies/ by the root URLs."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from casedesk.cases.views import saved_replies as views

app_name = "saved_replies"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.saved_reply_list, name="list"),
    path("<int:reply_id>/", views.saved_reply_edit, name="edit"),
    path("<int:reply_id>/delete", views.saved_reply_delete, name="delete"),
]
