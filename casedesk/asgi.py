"""ASGI entry point: HTTP through Django, websockets through Channels (live updates)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the whole middleware chain and the view run in ONE thread hop.

    All of casedesk's middleware and HTTP views are synchronous. The stock handler builds an async
    middleware chain and adapts each sync middleware and the view with its own ``sync_to_async``
    hop (about 1.7 ms of CPU per API post, ~20 % of the web side, measured with
    ``python -m bench.profile_post --via asgi``). Here the chain is built synchronously and run
    once in the thread-sensitive executor, exactly where the sync views ran before, so database
    connections, transactions and ``request_finished`` behave as they did. An async view would
    still work (Django adapts it into the sync chain), just without the benefit.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


django.setup(set_prefix=False)
django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from casedesk.live.origin import SiteOrWidgetOriginValidator  # noqa: E402
from casedesk.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SiteOrWidgetOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
