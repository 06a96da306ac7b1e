"""How a page answers a write: JSON to the page's own script, a redirect with a message to a form.

The team's and the client's thread pages (``casedesk/cases/views/``, ``casedesk/portal/``) post
the same forms two ways: with ``fetch`` (``Accept: application/json``) from the thread script,
and as plain HTML forms without it. ``answer_action`` runs the ``do_*`` call and answers both,
so no view repeats the "action error → JSON or flash message" block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from casedesk.lib.errors import ActionError

T = TypeVar("T")


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def error_json(error: ActionError) -> JsonResponse:
    """An action's refusal as JSON: its sentence, stable code and field, with its status."""
    return JsonResponse(
        {"error": error.message, "code": error.code, "field": error.field}, status=error.status
    )


def answer_action(
    request: HttpRequest,
    action: Callable[[], T],
    *,
    json: Callable[[T], dict[str, Any]],
    then: Callable[[T], str],
    json_status: int = 200,
    warnings: Callable[[T], Iterable[str]] = lambda _: (),
    success: Callable[[T], str] | None = None,
    refused: Callable[[ActionError], HttpResponse] | None = None,
    refused_url: str | None = None,
) -> HttpResponse:
    """Run ``action()`` and answer the request the way it was sent.

    Done: JSON ``json(result)`` with ``json_status``, or a redirect to ``then(result)`` with
    ``warnings(result)`` and ``success(result)`` as flash messages. Refused (``ActionError``):
    JSON ``{error, code, field}`` with the error's status, or ``refused(error)`` (a form shown
    again with the sentence), or the sentence as a flash message and a redirect to ``refused_url``.
    """
    try:
        result = action()
    except ActionError as error:
        if wants_json(request):
            return error_json(error)
        if refused is not None:
            return refused(error)
        flash.error(request, error.message)
        return redirect(refused_url or request.get_full_path())
    if wants_json(request):
        return JsonResponse(json(result), status=json_status)
    for warning in warnings(result):
        flash.warning(request, warning)
    if success is not None:
        flash.success(request, success(result))
    return redirect(then(result))
