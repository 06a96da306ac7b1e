from __future__ import annotations

from django.urls import URLPattern, URLResolver

from casedesk.api.api import api

app_name = "api"

# /api/openapi.json, /api/docs and every endpoint; names are reversed as "api:<url_name>".
urlpatterns: list[URLPattern | URLResolver] = list(api.urls[0])
