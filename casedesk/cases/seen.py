"""Seen receipts: who saw which client-visible message in a thread page, and when.

The write path is ``do_mark_seen``; the reads are in ``casedesk.cases.access``
(``has_contact_seen``, ``contacts_seen_by_message``, ``team_seen_last_own_message``).

Rules:

- A row is written when a thread page (portal, magic-link session or the team's page) shows the
  message in a visible tab: the page's script posts "seen up to id N". A GET never marks
  anything (mail scanners and prefetchers follow GETs), and email never does (no pixels).
- Only client-visible messages get rows, for clients and team alike, so read state can never
  reveal an internal note: no row, no count, no id, no live event.
- The person is the contact a client acts as (a portal account or a magic link), or a team
  member (``user``). Nobody marks their own messages.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from casedesk.accounts.models import Contact, User
from casedesk.cases.access import client_visible_messages
from casedesk.cases.events import CaseActivity
from casedesk.cases.models import Case, MessageSeen
from casedesk.lib.events import emit

# At most this many messages are marked per request, newest first (a page shows 50).
MAX_MARKED_PER_REQUEST = 200


def do_mark_seen(*, case: Case, up_to: int, contact: Contact | None = None, user: User | None = None) -> int:
    """Mark the client-visible messages of ``case`` with id ≤ ``up_to`` as seen by one person.

    Exactly one of ``contact`` (a client, from ``access_case_as_client``) or ``user`` (a team
    member, from ``access_case_as_team``) is given. Idempotent: already-seen messages keep
    their first ``seen_at``. Returns how many messages were newly marked. After commit, a
    ``seen.changed`` event (case id only) tells the team, and tells clients only when a team
    member newly saw a client's message.
    """
    if (contact is None) == (user is None):
        raise ValueError("do_mark_seen needs exactly one of contact or user")
    messages = client_visible_messages(case).filter(pk__lte=up_to)
    if contact is not None:
        messages = messages.exclude(author_contact=contact)
        already = MessageSeen.objects.filter(contact=contact)
    else:
        assert user is not None
        messages = messages.exclude(author_user=user)
        already = MessageSeen.objects.filter(user=user)
    candidates = list(
        messages.order_by("-id").values_list("id", "author_contact_id")[:MAX_MARKED_PER_REQUEST]
    )
    if not candidates:
        return 0
    with transaction.atomic():
        seen_ids = set(
            already.filter(message_id__in=[pk for pk, _ in candidates]).values_list("message_id", flat=True)
        )
        new = [(pk, author_contact_id) for pk, author_contact_id in candidates if pk not in seen_ids]
        if not new:
            return 0
        now = timezone.now()
        # ignore_conflicts: two tabs marking at once must not fail; the first row wins.
        MessageSeen.objects.bulk_create(
            [MessageSeen(message_id=pk, contact=contact, user=user, seen_at=now) for pk, _ in new],
            ignore_conflicts=True,
        )
        tell_clients = user is not None and any(author_contact_id is not None for _, author_contact_id in new)
        # Not even ids: "something about read state changed on this case" (live, after commit).
        emit(CaseActivity(case_id=case.pk, kind="seen.changed", payload={}, internal_only=not tell_clients))
    return len(new)
