"""Mail routes, mounted at the site root: quarantine, preferences, originals, dev mailbox, webhooks."""

from __future__ import annotations

from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.brevo import BrevoInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView
from anymail.webhooks.postal import PostalInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.resend import ResendInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.urls import URLPattern, URLResolver, path, re_path

from casedesk.mail import views

app_name = "mail"

# Provider inbound webhooks (django-anymail). Each verifies ANYMAIL["WEBHOOK_SECRET"] (HTTP basic
# auth) and, where the provider signs requests, its signing key; then anymail.signals.inbound
# fires and casedesk.mail.webhooks stores the raw message.
_WEBHOOKS = [
    ("amazon_ses", AmazonSESInboundWebhookView),
    ("brevo", BrevoInboundWebhookView),
    ("mailjet", MailjetInboundWebhookView),
    ("postal", PostalInboundWebhookView),
    ("postmark", PostmarkInboundWebhookView),
    ("resend", ResendInboundWebhookView),
    ("sendgrid", SendGridInboundWebhookView),
    ("sparkpost", SparkPostInboundWebhookView),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("quarantine/", views.quarantine_list, name="quarantine"),
    path("quarantine/<int:inbound_id>/", views.quarantine_detail, name="quarantine_detail"),
    path("email/messages/<int:message_id>/original/", views.original_email, name="original_email"),
    path("email/preferences/<str:token>/", views.email_preferences, name="email_preferences"),
    path("dev/mailbox", views.dev_mailbox, name="dev_mailbox"),
    path("dev/mailbox/<int:captured_id>/", views.dev_mailbox_detail, name="dev_mailbox_detail"),
    path("dev/mailbox/<int:captured_id>/html", views.dev_mailbox_html, name="dev_mailbox_html"),
    path("dev/mailbox/<int:captured_id>/reply", views.dev_mailbox_reply, name="dev_mailbox_reply"),
    re_path(
        r"^webhooks/inbound/mailgun(_mime)?/$",
        MailgunInboundWebhookView.as_view(),
        name="webhook_inbound_mailgun",
    ),
    *[
        path(f"webhooks/inbound/{esp}/", view.as_view(), name=f"webhook_inbound_{esp}")
        for esp, view in _WEBHOOKS
    ],
]
