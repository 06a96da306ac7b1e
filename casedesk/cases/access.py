"""THE visibility rules for cases and everything in them.

Every read of a case, message, document or notification goes through this module:
pages, the API, live events, email, share links, counts and exports. Missing and
forbidden look the same (404). Deny by default.

``client_visible_messages`` / ``client_visible_documents`` (and ``is_client_visible`` for one
message in hand) are the only places that drop internal-only content; ``visible_messages`` /
``visible_documents`` use them for client viewers, email uses them for every recipient.
``tests/test_architecture.py`` fails when ``internal_only`` is filtered anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from casedesk.accounts.access import Viewer
from casedesk.accounts.models import Contact, MagicLink, Membership, User
from casedesk.cases.models import (
    Case,
    CaseContact,
    Document,
    Message,
    MessageSeen,
    Notification,
    SavedReply,
)
from casedesk.lib.ids import parse_id


def _client_contact_ids(viewer: Viewer) -> set[int]:
    """Contacts this viewer acts as through a portal account (not magic links)."""
    if not viewer.is_authenticated_user:
        return set()
    return set(Contact.objects.filter(user=viewer.user).values_list("id", flat=True))


def _valid_magic_grants(viewer: Viewer) -> dict[int, int]:
    """case_id -> contact_id for magic-link grants that are still valid right now.

    A grant dies with its link (revoked, e.g. when the contact leaves the case) and with the
    contact's membership of the case; checked on every request, not only at sign-in.
    """
    if not viewer.magic_grants:
        return {}
    link_ids = [g.link_id for g in viewer.magic_grants]
    live = set(
        MagicLink.objects.filter(id__in=link_ids, revoked_at__isnull=True).values_list(
            "id", "contact_id", "case_id"
        )
    )
    on_case = set(
        CaseContact.objects.filter(
            contact_id__in=[g.contact_id for g in viewer.magic_grants],
            case_id__in=[g.case_id for g in viewer.magic_grants],
        ).values_list("contact_id", "case_id")
    )
    return {
        g.case_id: g.contact_id
        for g in viewer.magic_grants
        if (g.link_id, g.contact_id, g.case_id) in live and (g.contact_id, g.case_id) in on_case
    }


def visible_cases(viewer: Viewer) -> QuerySet[Case]:
    """Every case the viewer may open, across agencies. Team members see their agencies' cases."""
    condition = Q(pk__in=[])
    team_agency_ids = list(viewer.memberships().keys())
    if team_agency_ids:
        condition |= Q(agency_id__in=team_agency_ids)
    contact_ids = _client_contact_ids(viewer)
    if contact_ids:
        condition |= Q(case_contacts__contact_id__in=contact_ids)
    grants = _valid_magic_grants(viewer)
    if grants:
        condition |= Q(pk__in=list(grants.keys()))
    return Case.objects.filter(condition).distinct()


def client_cases(viewer: Viewer) -> QuerySet[Case]:
    """Cases the viewer sees *as a client* (portal list): only cases their contact is on."""
    condition = Q(pk__in=[])
    contact_ids = _client_contact_ids(viewer)
    if contact_ids:
        condition |= Q(case_contacts__contact_id__in=contact_ids)
    grants = _valid_magic_grants(viewer)
    if grants:
        condition |= Q(pk__in=list(grants.keys()))
    return Case.objects.filter(condition).distinct()


def is_team_for_case(viewer: Viewer, case: Case) -> bool:
    return viewer.is_team(case.agency_id)


def client_contact_for_case(viewer: Viewer, case: Case) -> Contact | None:
    """The contact the viewer acts as on this case, or None when they are not a client on it."""
    if viewer.is_authenticated_user:
        # The viewer's own contacts (``_client_contact_ids``) joined in: one query, not two.
        row = (
            CaseContact.objects.filter(case=case, contact__user=viewer.user)
            .select_related("contact")
            .order_by("pk")
            .first()
        )
        if row is not None:
            return row.contact
    contact_id = _valid_magic_grants(viewer).get(case.pk)
    if contact_id is not None:
        return Contact.objects.filter(pk=contact_id).first()
    return None


def _case_or_404(case_id: int | str, viewer: Viewer | None = None) -> Case:
    """The case row, whoever asks; callers decide whether the viewer may see it.

    With a signed-in ``viewer`` whose memberships are not loaded yet, the same query also asks
    whether they have an active membership of the case's agency (the rule ``Viewer.is_team``
    applies) and records the answer on the viewer: one query instead of two for the usual
    "open this case" request.
    """
    try:
        case_pk = int(case_id)
    except (TypeError, ValueError):
        raise Http404("No such case.") from None
    cases = Case.objects.select_related("agency", "client").filter(pk=case_pk)
    ask_team = viewer is not None and viewer.is_authenticated_user and not viewer.memberships_loaded
    if ask_team:
        assert viewer is not None
        cases = cases.annotate(
            viewer_on_team=Exists(
                Membership.objects.filter(user=viewer.user, agency_id=OuterRef("agency_id"), is_active=True)
            )
        )
    case = cases.first()
    if case is None:
        raise Http404("No such case.")
    if ask_team:
        assert viewer is not None
        viewer.note_team_answer(case.agency_id, bool(case.viewer_on_team))  # type: ignore[attr-defined]
    return case


def access_case(viewer: Viewer, case_id: int | str) -> Case:
    """The case if the viewer may see it (team of its agency, or a client on it); else 404."""
    case = _case_or_404(case_id, viewer)
    if is_team_for_case(viewer, case) or client_contact_for_case(viewer, case) is not None:
        return case
    raise Http404("No such case.")


def access_case_as_team(viewer: Viewer, case_id: int | str) -> Case:
    case = access_case(viewer, case_id)
    if not is_team_for_case(viewer, case):
        raise Http404("No such case.")
    return case


def access_case_as_client(viewer: Viewer, case_id: int | str) -> tuple[Case, Contact]:
    """The case and the contact the viewer acts as on it; else 404.

    Being a client on the case is the whole rule here (it is also what lets ``access_case``
    through for a non-member), so the contact is looked up once rather than twice.
    """
    case = _case_or_404(case_id)
    contact = client_contact_for_case(viewer, case)
    if contact is None:
        raise Http404("No such case.")
    return case, contact


@dataclass(frozen=True)
class CaseRole:
    """How a viewer takes part in a case: as its agency's team, or as one of its client contacts."""

    contact: Contact | None = None  # the contact the viewer acts as; None for the team

    @property
    def is_team(self) -> bool:
        return self.contact is None


def access_case_for_posting(viewer: Viewer, case_id: int | str) -> tuple[Case, CaseRole]:
    """The case and the viewer's role on it (team first, then client); else 404.

    For channels that accept both (the API): a team role may post internal notes, a client role
    posts as its contact.
    """
    case = access_case(viewer, case_id)
    if is_team_for_case(viewer, case):
        return case, CaseRole()
    contact = client_contact_for_case(viewer, case)
    if contact is None:
        raise Http404("No such case.")
    return case, CaseRole(contact=contact)


def can_see_internal(viewer: Viewer, case: Case) -> bool:
    return is_team_for_case(viewer, case)


def visible_messages(viewer: Viewer, case: Case) -> QuerySet[Message]:
    """The thread as this viewer may see it. Call only with a case from ``access_case``.

    The one place internal-only messages are dropped for clients.
    """
    if not can_see_internal(viewer, case):
        return client_visible_messages(case)
    return Message.objects.filter(case=case, deleted_at__isnull=True)


def client_visible_messages(case: Case) -> QuerySet[Message]:
    """What any client on the case may see: for email, live fan-out and transcripts to clients."""
    return Message.objects.filter(case=case, deleted_at__isnull=True, internal_only=False)


def is_client_visible(message: Message) -> bool:
    """Whether a message in hand is one ``client_visible_messages`` holds (no query)."""
    return not message.internal_only and message.deleted_at is None


def contact_has_seen(contact_id: int, message: Message) -> bool:
    """Whether the contact has already seen ``message`` (portal page or magic link), for email.

    The one read-state lookup mail uses (digests leave seen messages out). True when the
    contact has a seen receipt for the message (``has_contact_seen``: the thread page reported
    it on screen), or opened or refreshed the thread at or after the message was posted
    (``CaseContact.last_viewed_at``, recorded by the page itself, so pages without scripts count).
    """
    viewed = (
        CaseContact.objects.filter(case_id=message.case_id, contact_id=contact_id)
        .values_list("last_viewed_at", flat=True)
        .first()
    )
    if viewed is not None and viewed >= message.created_at:
        return True
    return has_contact_seen(contact_id, message.pk)


def _live_documents(case: Case) -> QuerySet[Document]:
    """The case's files, less those of a deleted message (they go with it)."""
    return Document.objects.filter(case=case).filter(
        Q(message__isnull=True) | Q(message__deleted_at__isnull=True)
    )


def visible_documents(viewer: Viewer, case: Case) -> QuerySet[Document]:
    """The case's files this viewer may see: internal files only for the team; files of a
    deleted message go with it."""
    if not can_see_internal(viewer, case):
        return client_visible_documents(case)
    return _live_documents(case)


def client_visible_documents(case: Case) -> QuerySet[Document]:
    """The case's files any client on it may see (email links, client transcripts)."""
    return _live_documents(case).filter(internal_only=False)


def client_visible_attachments(message: Message | OuterRef) -> QuerySet[Document]:
    """The files of one message that its client recipients may see.

    ``message`` may be ``OuterRef("pk")``, to ask "has it any?" inside the message's own query.
    Call it for a message that passed ``is_client_visible`` (or in a query that checks it).
    """
    return Document.objects.filter(message=message, internal_only=False)


def access_document(viewer: Viewer, document_id: int | str) -> Document:
    try:
        pk = int(document_id)
    except (TypeError, ValueError):
        raise Http404("No such file.") from None
    document = Document.objects.select_related("case").filter(pk=pk).first()
    if document is None:
        raise Http404("No such file.")
    case = access_case(viewer, document.case_id)
    if not visible_documents(viewer, case).filter(pk=document.pk).exists():
        raise Http404("No such file.")
    return document


def access_document_by_share_token(viewer: Viewer, token: str) -> Document:
    """Share links open the file only for someone who may see the case, checked on every fetch."""
    document = Document.objects.filter(share_token=token).first()
    if document is None:
        raise Http404("No such file.")
    return access_document(viewer, document.pk)


def access_message(viewer: Viewer, case: Case, message_id: int | str) -> Message:
    """A message of ``case`` (from ``access_case``) that this viewer may see; else 404."""
    try:
        pk = int(message_id)
    except (TypeError, ValueError):
        raise Http404("No such message.") from None
    message = visible_messages(viewer, case).filter(pk=pk).first()
    if message is None:
        raise Http404("No such message.")
    message.case = case
    return message


def access_own_message(viewer: Viewer, case: Case, message_id: int | str) -> Message:
    """A visible message the viewer wrote (to edit or delete); anyone else's is the same 404."""
    message = access_message(viewer, case, message_id)
    if viewer.user is None or message.author_user_id != viewer.user.pk:
        raise Http404("No such message.")
    return message


def mentionable_teammates(viewer: Viewer, case: Case, query: str = "", limit: int = 8) -> list[User]:
    """Active teammates of the case's agency, for @ autocomplete. Team viewers only; never clients."""
    if not is_team_for_case(viewer, case):
        return []
    users = User.objects.filter(
        pk__in=Membership.objects.filter(agency_id=case.agency_id, is_active=True).values("user_id"),
        is_active=True,
    )
    query = query.strip()
    if query:
        users = users.filter(Q(name__icontains=query) | Q(email__istartswith=query))
    return list(users.order_by("name")[:limit])


def visible_saved_replies(viewer: Viewer, agency_id: int, query: str = "") -> QuerySet[SavedReply]:
    """The agency's saved replies, for its team only: a client, a magic-link visitor, another
    agency's team or anyone signed out gets an empty list (issue 16 §4: a team-only resource).

    ``query`` matches the title or the body, case-insensitively.
    """
    if not viewer.is_team(agency_id):
        return SavedReply.objects.none()
    replies = SavedReply.objects.filter(agency_id=agency_id)
    query = query.strip()
    if query:
        replies = replies.filter(Q(title__icontains=query) | Q(body__icontains=query))
    return replies.order_by("title", "pk")


def access_saved_reply(viewer: Viewer, agency_id: int, reply_id: int | str) -> SavedReply:
    """One of the agency's saved replies for its team, or 404 (never another agency's)."""
    pk = parse_id(reply_id)
    reply = visible_saved_replies(viewer, agency_id).filter(pk=pk).first() if pk is not None else None
    if reply is None:
        raise Http404("No such saved reply.")
    return reply


def visible_notifications(viewer: Viewer) -> QuerySet[Notification]:
    """The viewer's own notifications, from agencies they are still an active member of."""
    if not viewer.is_authenticated_user or viewer.user is None:
        return Notification.objects.none()
    return Notification.objects.filter(user=viewer.user, agency_id__in=list(viewer.memberships().keys()))


def access_notification(viewer: Viewer, notification_id: int | str) -> Notification:
    try:
        pk = int(notification_id)
    except (TypeError, ValueError):
        raise Http404("No such notification.") from None
    notification = visible_notifications(viewer).filter(pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def unread_notifications(user_id: int) -> QuerySet[Notification]:
    """The bell's rows; same rule as ``visible_notifications``, as one query (no membership read)."""
    return Notification.objects.filter(
        user_id=user_id,
        read_at__isnull=True,
        agency_id__in=Membership.objects.filter(user_id=user_id, is_active=True).values("agency_id"),
    )


def unread_notification_count(user_id: int) -> int:
    """The bell's figure; one query."""
    return unread_notifications(user_id).count()


def active_magic_links(viewer: Viewer, case: Case) -> QuerySet[MagicLink]:
    """The case's usable magic links (not revoked, not expired), for its team only; clients and
    everyone else get none. Call with a case from ``access_case_as_team``."""
    if not is_team_for_case(viewer, case):
        return MagicLink.objects.none()
    return MagicLink.objects.usable().filter(case=case)


def access_magic_link_as_team(viewer: Viewer, case: Case, link_id: int | str) -> MagicLink:
    """One active magic link of ``case`` (to revoke it); a link of another case is the same 404."""
    try:
        pk = int(link_id)
    except (TypeError, ValueError):
        raise Http404("No such link.") from None
    link = active_magic_links(viewer, case).filter(pk=pk).first()
    if link is None:
        raise Http404("No such link.")
    link.case = case
    return link


def searchable_messages(viewer: Viewer, *, as_client: bool = False) -> QuerySet[Message]:
    """Every message the viewer may see, across cases: ``visible_messages`` for all their cases.

    Team members see their agencies' threads whole (internal notes included); on the cases they
    are a client on (portal account or a still-valid magic link) only client-visible messages.
    ``as_client=True`` is the portal's view: client cases only, even for someone who is also on a
    team. Search builds on this; the same rule as ``visible_messages``, case by case.
    """
    messages = Message.objects.filter(deleted_at__isnull=True)
    client_case_ids = client_cases(viewer).values("pk")
    if as_client:
        return messages.filter(case_id__in=client_case_ids, internal_only=False)
    # Case ids as subqueries, not a join on cases_case: the planner then probes a search index
    # once and filters by case, instead of once per case.
    team_case_ids = Case.objects.filter(agency_id__in=list(viewer.memberships().keys())).values("pk")
    return messages.filter(Q(case_id__in=team_case_ids) | Q(case_id__in=client_case_ids, internal_only=False))


def searchable_documents(viewer: Viewer, *, as_client: bool = False) -> QuerySet[Document]:
    """Every file the viewer may see, across cases: ``visible_documents`` for all their cases."""
    documents = Document.objects.filter(Q(message__isnull=True) | Q(message__deleted_at__isnull=True))
    client_case_ids = client_cases(viewer).values("pk")
    if as_client:
        return documents.filter(case_id__in=client_case_ids, internal_only=False)
    team_case_ids = Case.objects.filter(agency_id__in=list(viewer.memberships().keys())).values("pk")
    return documents.filter(
        Q(case_id__in=team_case_ids) | Q(case_id__in=client_case_ids, internal_only=False)
    )


def narrow_by_internal(rows: QuerySet[Any], *, internal: bool) -> QuerySet[Any]:
    """Messages or files of a visible set: internal ones only, or client-visible ones only.

    A filter the viewer chose (search's "internal notes only"), applied to rows that already went
    through the rules above; it never widens what they may see.
    """
    return rows.filter(internal_only=internal)


# --- Read state (seen receipts) ---------------------------------------------------------------
# Rows exist only for client-visible messages (``casedesk.cases.seen.do_mark_seen``); every read
# below also filters ``internal_only=False`` so that stays true even for a row written wrongly.


def has_contact_seen(contact_id: int, message_id: int) -> bool:
    """Has this contact seen this (client-visible, not deleted) message in a thread page?

    For email digests: one indexed lookup (the (contact, message) unique index), no joins
    beyond the message row. Email opens never count, so "not seen" means "not read in casedesk".
    """
    return MessageSeen.objects.filter(
        contact_id=contact_id,
        message_id=message_id,
        message__internal_only=False,
        message__deleted_at__isnull=True,
    ).exists()


def contacts_seen_by_message(case: Case, message_ids: list[int]) -> dict[int, list[MessageSeen]]:
    """message id -> who of the case's client contacts saw it and when (oldest first).

    For the team's view of a thread (call with a case from ``access_case_as_team``). One query.
    """
    rows = (
        MessageSeen.objects.filter(
            message__case=case,
            message_id__in=message_ids,
            message__internal_only=False,
            contact__isnull=False,
        )
        .select_related("contact")
        .order_by("seen_at", "pk")
    )
    seen: dict[int, list[MessageSeen]] = {}
    for row in rows:
        seen.setdefault(row.message_id, []).append(row)
    return seen


def team_seen_last_own_message(case: Case, contact: Contact) -> tuple[int | None, MessageSeen | None]:
    """(the contact's newest visible message on the case, the first team member's view of it).

    For the client's "Seen by the team": only the client's own message is looked at, so the
    answer says nothing about internal notes (which have no read state at all). Two queries.
    """
    last = (
        client_visible_messages(case)
        .filter(author_contact=contact)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    if last is None:
        return None, None
    first_view = (
        MessageSeen.objects.filter(
            message_id=last,
            user__isnull=False,
            user__memberships__agency_id=case.agency_id,
            user__memberships__is_active=True,
        )
        .order_by("seen_at", "pk")
        .first()
    )
    return last, first_view
