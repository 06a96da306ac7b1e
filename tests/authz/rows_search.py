"""Authorization rows for search: the team page, the portal page and GET /api/search.

Search answers everyone with a session (each sees only their own), except the team page, which
is for team members and 404s for clients. The content checks plant an internal note first and
make sure the team page of agency A shows it and the portal page never does.
"""

from __future__ import annotations

from tests.authz.matrix import CLIENTS_ON_CASE_A, TEAM_A, Row
from tests.authz.rows_messages import internal_message, public_message
from tests.conftest import Cast

TEAM_OF_ANY_AGENCY = frozenset({"owner", "admin", "member", "outsider", "platform_staff"})
ANY_SESSION = TEAM_OF_ANY_AGENCY | CLIENTS_ON_CASE_A | {"other_client"}


def _planted(cast: Cast, url: str) -> str:
    public_message(cast)
    internal_message(cast)
    return url


ROWS = [
    Row(
        "search",
        "team page",
        "GET",
        lambda c: _planted(c, "/search/?q=authz"),
        TEAM_OF_ANY_AGENCY,
    ),
    Row(
        "search",
        "team page of agency A",
        "GET",
        lambda c: _planted(c, f"/search/?q=authz&agency={c.agency_a.pk}"),
        TEAM_A,
        check=lambda c, r: "search-hit-internal" in r.content.decode(),  # the team sees its notes
    ),
    Row(
        "search",
        "portal page",
        "GET",
        lambda c: _planted(c, "/search/my-cases/?q=authz"),
        ANY_SESSION,
        check=lambda c, r: "search-hit-internal" not in r.content.decode(),
    ),
    Row(
        "search",
        "api",
        "GET",
        lambda c: _planted(c, "/api/search?q=authz"),
        ANY_SESSION,
    ),
]
