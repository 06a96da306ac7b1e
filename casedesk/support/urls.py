"""Support chat URLs, mounted at the site root (see casedesk/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from casedesk.support.views import help_insights, public, team, widget_api, widget_settings

app_name = "support"

urlpatterns: list[URLPattern | URLResolver] = [
    # The team: Sidebar → Support, a conversation, the platform console, settings.
    path("support/", team.queue, name="queue"),
    path("support/console/", team.console, name="console"),
    path("support/availability/", team.availability, name="availability"),
    path("support/conversations/<int:conversation_id>/", team.conversation_detail, name="conversation"),
    path(
        "support/conversations/<int:conversation_id>/transcript/",
        team.conversation_messages,
        name="conversation_messages",
    ),
    path("support/conversations/<int:conversation_id>/reply/", team.reply, name="reply"),
    path(
        "support/conversations/<int:conversation_id>/saved-replies",
        team.saved_replies,
        name="saved_replies",
    ),
    path("support/conversations/<int:conversation_id>/claim/", team.claim, name="claim"),
    path("support/conversations/<int:conversation_id>/assign/", team.assign, name="assign"),
    path("support/conversations/<int:conversation_id>/close/", team.close, name="close"),
    path("support/conversations/<int:conversation_id>/reopen/", team.reopen, name="reopen"),
    path(
        "support/conversations/<int:conversation_id>/files/<int:file_id>/",
        team.conversation_file,
        name="conversation_file",
    ),
    path("settings/support-widget/", widget_settings.widget_settings, name="widget_settings"),
    path("settings/help-centre/", help_insights.help_centre, name="help_centre"),
    path("settings/help-centre/add-examples/", help_insights.add_example_questions, name="help_add_examples"),
    path("settings/help-centre/draft-article/", help_insights.draft_article, name="help_draft_article"),
    # Public: help centres and the demo storefront.
    path("help/", public.platform_help_index, name="help_index"),
    path("help/<slug:slug>/", public.platform_help_article, name="help_article"),
    path("s/<slug:agency_slug>/", public.storefront, name="storefront"),
    path(
        "support/unsubscribe/<str:token>/",
        public.answer_email_unsubscribe,
        name="answer_email_unsubscribe",
    ),
    path("s/<slug:agency_slug>/pricing/", public.storefront, {"page": "pricing"}, name="storefront_pricing"),
    path("s/<slug:agency_slug>/help/", public.agency_help_index, name="agency_help_index"),
    path("s/<slug:agency_slug>/help/<slug:slug>/", public.agency_help_article, name="agency_help_article"),
    # The widget's JSON API (CORS, rate limits, visitor tokens).
    path("widget/api/<slug:agency_slug>/bootstrap", widget_api.bootstrap, name="widget_bootstrap"),
    path(
        "widget/api/<slug:agency_slug>/conversations", widget_api.conversations, name="widget_conversations"
    ),
    path(
        "widget/api/<slug:agency_slug>/conversations/<str:public_id>",
        widget_api.conversation_detail,
        name="widget_conversation",
    ),
    path(
        "widget/api/<slug:agency_slug>/conversations/<str:public_id>/messages",
        widget_api.post_message,
        name="widget_post_message",
    ),
    path(
        "widget/api/<slug:agency_slug>/conversations/<str:public_id>/escalate",
        widget_api.escalate,
        name="widget_escalate",
    ),
    path(
        "widget/api/<slug:agency_slug>/conversations/<str:public_id>/feedback",
        widget_api.feedback,
        name="widget_feedback",
    ),
    path(
        "widget/api/<slug:agency_slug>/conversations/<str:public_id>/rating",
        widget_api.rating,
        name="widget_rating",
    ),
    path(
        "widget/api/<slug:agency_slug>/conversations/<str:public_id>/answer-email",
        widget_api.answer_email,
        name="widget_answer_email",
    ),
    path(
        "widget/api/<slug:agency_slug>/conversations/<str:public_id>/seen",
        widget_api.seen,
        name="widget_seen",
    ),
    path("widget/api/<slug:agency_slug>/files/<str:token>", widget_api.file_download, name="widget_file"),
]
