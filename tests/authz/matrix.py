"""The authorization matrix: roles × resources × actions, in one table.

Each feature adds rows in ``tests/authz/rows_<feature>.py`` as a module-level ``ROWS`` list;
``test_matrix.py`` gathers every row into one table and tests every (row, role) cell.

A cell is *allowed* when the role is in ``Row.allowed``: the response must be a success
(``Row.ok``), and not a bounce to the sign-in page. Otherwise it is *denied*: 404 (missing and
forbidden look the same; ``Row.denied`` names the few pages that explain a refusal instead); a
person with no session may instead be sent to sign in (302 to the login page) or get 401 from
the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse
from django.test import Client as HttpClient
from django.test import override_settings

from tests.conftest import Cast

ROLES: tuple[str, ...] = (
    "owner",  # Alice, owner of agency A
    "admin",  # Adam, admin of A
    "member",  # Bob, member of A
    "outsider",  # Dave, owner of agency B
    "portal_client",  # Carol, contact on case_a with a portal account
    "magic_client",  # Erin, contact on case_a who came in by magic link
    "other_client",  # Frank, portal contact of another client of A
    "anonymous",  # no session
    "platform_staff",  # Pat
    "deactivated",  # Vic, a deactivated member of A
)
TEAM_A = frozenset({"owner", "admin", "member"})
MANAGERS_A = frozenset({"owner", "admin"})
CLIENTS_ON_CASE_A = frozenset({"portal_client", "magic_client"})
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Row:
    resource: str
    action: str
    method: str
    url: Callable[[Cast], str]
    allowed: frozenset[str]
    data: Callable[[Cast], dict[str, Any]] | None = None
    content_type: str | None = None
    ok: tuple[int, ...] = (200,)
    # Extra check on an allowed response (e.g. "contains the case title").
    check: Callable[[Cast, HttpResponse], bool] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # How a denied cell answers: 404 everywhere, except pages that must explain the refusal
    # (a magic link opened in a second browser says so, with a 403).
    denied: tuple[int, ...] = (404,)
    # Settings the row needs (``override_settings``), e.g. demo mode for the dev mailbox.
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.resource}:{self.action}"


def client_for(role: str, cast: Cast) -> HttpClient:
    users = {
        "owner": cast.alice,
        "admin": cast.adam,
        "member": cast.bob,
        "outsider": cast.dave,
        "portal_client": cast.carol_user,
        "other_client": cast.frank_user,
        "platform_staff": cast.pat,
        "deactivated": cast.vic,
    }
    if role in users:
        return cast.login(users[role])
    if role == "magic_client":
        return cast.magic_client()
    if role == "anonymous":
        return HttpClient()
    raise KeyError(role)


def perform(row: Row, role: str, cast: Cast) -> Any:
    with override_settings(**row.settings):
        return _perform(row, role, cast)


def _perform(row: Row, role: str, cast: Cast) -> Any:
    http = client_for(role, cast)
    url = row.url(cast)
    kwargs: dict[str, Any] = {"headers": row.headers} if row.headers else {}
    if row.data is not None:
        kwargs["data"] = row.data(cast)
    if row.content_type:
        kwargs["content_type"] = row.content_type
    return (
        http.generic(row.method, url, **kwargs)
        if row.method not in ("GET", "POST")
        else (http.get(url, **kwargs) if row.method == "GET" else http.post(url, **kwargs))
    )


def is_sign_in_bounce(response: HttpResponse) -> bool:
    return response.status_code == 302 and "/accounts/login" in response.get("Location", "")


def verdict(row: Row, role: str, response: HttpResponse, cast: Cast) -> tuple[bool, str]:
    """(passed, explanation) for one cell."""
    status = response.status_code
    if role in row.allowed:
        if is_sign_in_bounce(response):
            return False, f"expected access, was sent to sign in ({status})"
        if status not in row.ok:
            return False, f"expected {row.ok}, got {status}"
        if row.check is not None and not row.check(cast, response):
            return False, "allowed response failed its content check"
        return True, "allowed"
    if status in row.denied:
        return True, f"denied ({status})"
    if role in ("anonymous", "deactivated") and (is_sign_in_bounce(response) or status == 401):
        return True, f"denied ({status} to sign in)"
    return False, f"expected denial {row.denied}, got {status}"
