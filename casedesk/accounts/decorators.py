"""View decorators that decide between "sign in first" and the usual 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from casedesk.accounts.access import viewer_from_request

View = Callable[..., HttpResponse]


def team_required(view: View) -> View:
    """Team pages: nobody signed in → the sign-in page; a client, a magic-link session or anyone
    else on no team → 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        viewer = viewer_from_request(request)
        if not viewer.is_authenticated_user:
            if viewer.magic_grants:
                raise Http404("No such page.")
            return redirect_to_login(request.get_full_path())
        if not viewer.memberships():
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


def client_required(view: View) -> View:
    """Portal pages: a signed-in user or a magic-link session; nobody at all → the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        viewer = viewer_from_request(request)
        if not viewer.is_authenticated_user and not viewer.magic_grants:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def account_required(view: View) -> View:
    """Pages about one's own account: nobody signed in → sign in; a magic-link session (which has
    no account) → 404 like any page it may not see."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        viewer = viewer_from_request(request)
        if not viewer.is_authenticated_user:
            if viewer.magic_grants:
                raise Http404("No such page.")
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
