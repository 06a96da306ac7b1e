"""Every error under /api/ is JSON ``{"detail": sentence, "code": ...}``, never an HTML page.

django-ninja answers the errors it raises itself in JSON (casedesk/api/api.py). Some come from
around it: an unknown path (Django's 404), a method the path does not take (ninja's plain-text
405), a body Django cannot parse (a multipart request without a boundary, too many fields: 400)
and a crash anywhere (the 500 page). This middleware, outside all of them, turns each such
response into the API's error shape, keeping its status and headers such as ``Allow``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

API_PREFIX = "/api/"

# One sentence per status: what happened and what to do.
SENTENCES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be read. Check its body and Content-Type, then try again."),
    401: ("unauthenticated", "Sign in, or send an API token as “Authorization: Bearer <token>”."),
    403: ("forbidden", "This request is not allowed. Sign in again or check the CSRF token, then retry."),
    404: ("not_found", "There is nothing at this address. Check the path against /api/docs."),
    405: (
        "method_not_allowed",
        "This path does not take that method. The Allow header lists the ones it takes.",
    ),
    413: ("too_large", "The request is too large. Send smaller files or fewer at a time."),
    415: ("unsupported_media_type", "This Content-Type is not accepted here. See /api/docs for what is."),
    429: ("rate_limited", "Too many requests. Wait a moment, then try again."),
}
SERVER_ERROR = ("server_error", "Something went wrong on our side and it was logged. Try again in a minute.")
CLIENT_ERROR = ("invalid", "The request was refused. Check it against /api/docs, then try again.")


def error_sentence(status: int) -> tuple[str, str]:
    """The (code, detail) an API error of this status carries when nothing more specific is known."""
    if status in SENTENCES:
        return SENTENCES[status]
    return SERVER_ERROR if status >= 500 else CLIENT_ERROR


def is_json(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "application/json"


class ApiErrorsAsJsonMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(API_PREFIX) or is_json(response):
            return response
        code, detail = error_sentence(response.status_code)
        converted = HttpResponse(
            json.dumps({"detail": detail, "code": code, "field": None}),
            status=response.status_code,
            content_type="application/json; charset=utf-8",
        )
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if header in response:
                converted[header] = response[header]
        for cookie in response.cookies.values():
            converted.cookies[cookie.key] = cookie
        return converted
