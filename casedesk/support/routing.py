"""Websocket routes of the support widget (mounted with the others by casedesk/routing.py)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from casedesk.support.consumers import AgentConsumer, QueueConsumer, WidgetConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/support/widget/", WidgetConsumer.as_asgi()),
    path("ws/support/agent/", AgentConsumer.as_asgi()),
    path("ws/support/queue/", QueueConsumer.as_asgi()),
]
