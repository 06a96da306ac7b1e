"""Who may see which support conversations. Missing and forbidden are the same 404.

* The team of the conversation's agency (the agency's members for customers' chats; the
  platform agency's members, i.e. platform staff, for teams' chats with the platform desk).
* The visitor who owns it, through the widget API (their signed token), never anyone else.

Conversations never hold internal notes (those live on the escalated case and are read through
``casedesk.cases.access``), so whoever may open a conversation may see all of it.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from casedesk.accounts.access import Viewer
from casedesk.accounts.models import Agency
from casedesk.support.models import Conversation, ConversationFile, Visitor


def team_conversations(viewer: Viewer, agency: Agency) -> QuerySet[Conversation]:
    if not viewer.is_team(agency.pk):
        return Conversation.objects.none()
    return Conversation.objects.filter(agency=agency)


def access_conversation_as_team(viewer: Viewer, conversation_id: int | str) -> Conversation:
    try:
        pk = int(conversation_id)
    except (TypeError, ValueError):
        raise Http404("No such conversation.") from None
    conversation = (
        Conversation.objects.select_related("agency", "visitor", "assignee", "case", "requesting_agency")
        .filter(pk=pk)
        .first()
    )
    if conversation is None or not viewer.is_team(conversation.agency_id):
        raise Http404("No such conversation.")
    return conversation


def access_conversation_as_visitor(visitor: Visitor, public_id: str) -> Conversation:
    try:
        key = uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        raise Http404("No such conversation.") from None
    conversation = (
        Conversation.objects.select_related("agency", "visitor")
        .filter(public_id=key, visitor=visitor)
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def access_conversation_file_as_team(
    viewer: Viewer, conversation_id: int | str, file_id: int | str
) -> ConversationFile:
    """A file of a conversation the viewer's team may open; 404 otherwise (another tenant too)."""
    conversation = access_conversation_as_team(viewer, conversation_id)
    return _file_of(ConversationFile.objects.filter(conversation=conversation), file_id)


def access_conversation_file_as_visitor(visitor: Visitor, file_id: int | str) -> ConversationFile:
    """A file of one of this visitor's own conversations; 404 for anyone else's."""
    return _file_of(
        ConversationFile.objects.filter(
            conversation__visitor=visitor, conversation__agency_id=visitor.agency_id
        ),
        file_id,
    )


def _file_of(rows: QuerySet[ConversationFile], file_id: int | str) -> ConversationFile:
    try:
        pk = int(file_id)
    except (TypeError, ValueError):
        raise Http404("No such file.") from None
    found = rows.filter(pk=pk).first()
    if found is None:
        raise Http404("No such file.")
    return found


def platform_desk_for(viewer: Viewer) -> Agency:
    """The platform agency, for platform staff who are on its team; else 404."""
    if not viewer.is_platform_staff:
        raise Http404("No such page.")
    for membership in viewer.memberships().values():
        if membership.agency.is_platform:
            return membership.agency
    raise Http404("No such page.")


def asking_agency_for(viewer: Viewer, preferred_id: int | None) -> Agency | None:
    """The (non-platform) agency a team member asks the platform desk on behalf of."""
    agencies = sorted(
        (m.agency for m in viewer.memberships().values() if not m.agency.is_platform),
        key=lambda a: a.name.lower(),
    )
    if not agencies:
        return None
    return next((a for a in agencies if a.pk == preferred_id), agencies[0])
