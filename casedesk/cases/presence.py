"""Typing indicators for case threads: who may signal, who hears it, and how often.

A browser on a case's thread sends ``{"type": "typing", "case": id, "internal": bool}`` over the
live websocket (``casedesk.live.consumers``); ``accept_typing`` re-checks access as a page would
and throttles, and the consumer publishes one short-lived ``typing`` event to the audience that
``team_only`` decides:

- a team member writing a **reply** reaches the case's team and client sockets;
- a team member writing an **internal note** reaches team sockets only, marked ``internal``.
  A frame that does not say ``"internal": false`` counts as internal: an old page or a bug in a
  script errs on the side of silence, never on the side of a leak (Chatwoot showed clients the
  typing of private notes);
- a client (portal account or magic link) reaches the team only.

Each person signals at most once per ``TYPING_INTERVAL_SECONDS`` per case and mode, counted in
the shared cache so several tabs or processes do not add up. Nothing is stored: receivers
hide the indicator ``TYPING_EXPIRES_SECONDS`` after the last signal (presence.js).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.http import Http404

from casedesk.accounts.access import Viewer
from casedesk.cases.access import access_case, client_contact_for_case, is_team_for_case

TYPING_INTERVAL_SECONDS = 3
TYPING_EXPIRES_SECONDS = 6


@dataclass(frozen=True)
class TypingSignal:
    case_id: int
    person: str  # "user:<id>" or "contact:<id>": server-side only, never in the frame
    name: str
    side: str  # "team" or "client"
    internal: bool


def person_keys(viewer: Viewer) -> set[str]:
    """Every sender key this viewer's own signals carry (so their own sockets can skip them)."""
    keys = {f"contact:{grant.contact_id}" for grant in viewer.magic_grants}
    if viewer.is_authenticated_user and viewer.user is not None:
        keys.add(f"user:{viewer.user.pk}")
    return keys


def typing_signal(viewer: Viewer, case_id: int, *, internal: bool) -> TypingSignal | None:
    """The signal this viewer may send on this case, or None (no access: same silence as 404)."""
    try:
        case = access_case(viewer, case_id)
    except Http404:
        return None
    if is_team_for_case(viewer, case):
        assert viewer.user is not None
        name = viewer.user.name or viewer.user.email
        return TypingSignal(case.pk, f"user:{viewer.user.pk}", name, "team", internal)
    contact = client_contact_for_case(viewer, case)
    if contact is None:
        return None
    person = f"user:{viewer.user.pk}" if viewer.user is not None else f"contact:{contact.pk}"
    # A client has no internal mode; their typing goes to the team only in any case.
    return TypingSignal(case.pk, person, contact.name, "client", False)


def first_in_interval(signal: TypingSignal) -> bool:
    """True for the first signal of this person, case and mode in the interval (shared cache)."""
    key = f"typing:{signal.case_id}:{signal.person}:{'internal' if signal.internal else 'public'}"
    return bool(cache.add(key, 1, timeout=TYPING_INTERVAL_SECONDS))


def accept_typing(viewer: Viewer, case_id: int, *, internal: bool) -> TypingSignal | None:
    """The signal to publish for this frame, or None (no access, or too soon after the last).

    Synchronous (database and cache): the live consumer calls it through
    ``database_sync_to_async`` and publishes what it returns (``casedesk.live.consumers``).
    """
    signal = typing_signal(viewer, case_id, internal=internal)
    if signal is None or not first_in_interval(signal):
        return None
    return signal


def typing_payload(signal: TypingSignal) -> dict[str, object]:
    """The event's payload: a name and a side, never the sender's ids."""
    return {
        "name": signal.name,
        "side": signal.side,
        "internal": signal.internal,
        "expires": TYPING_EXPIRES_SECONDS,
    }


def team_only(signal: TypingSignal) -> bool:
    """Client typing and internal notes stay with the team; only a team member's reply reaches clients."""
    return signal.side == "client" or signal.internal
