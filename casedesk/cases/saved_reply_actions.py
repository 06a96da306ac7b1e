"""Writes for saved replies (issue 16 §4): add, change, delete. Team members of the agency only.

The views check the viewer through ``cases.access`` first; these actions validate the text and
keep titles unique per agency (case-insensitively), each refusal a sentence the person can act on.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from casedesk.accounts.models import Agency, User
from casedesk.cases.models import SavedReply
from casedesk.cases.saved_replies import MAX_BODY_CHARS, MAX_TITLE_CHARS, VARIABLES, unknown_variables
from casedesk.lib.errors import ActionError


def _clean(agency: Agency, title: str, body: str, *, exclude_pk: int | None = None) -> tuple[str, str]:
    title = " ".join(title.split())
    body = body.strip()
    if not title:
        raise ActionError("Give the saved reply a name, like “Thanks, we're on it”.", field="title")
    if len(title) > MAX_TITLE_CHARS:
        raise ActionError(
            f"The name is {len(title)} characters; keep it to {MAX_TITLE_CHARS}.", field="title"
        )
    if not body:
        raise ActionError("Write the reply's text.", field="body")
    if len(body) > MAX_BODY_CHARS:
        raise ActionError(
            f"The text is {len(body):,} characters; a saved reply holds up to {MAX_BODY_CHARS:,}.",
            field="body",
        )
    unknown = unknown_variables(body)
    if unknown:
        names = ", ".join("{{" + name + "}}" for name in unknown)
        allowed = ", ".join("{{" + name + "}}" for name in VARIABLES)
        raise ActionError(
            f"{names} {'is not a variable' if len(unknown) == 1 else 'are not variables'} "
            f"casedesk knows. Use {allowed}.",
            field="body",
        )
    clash = SavedReply.objects.filter(agency=agency, title__iexact=title)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise _duplicate(title)
    return title, body


def _duplicate(title: str) -> ActionError:
    return ActionError(
        f"There is already a saved reply named “{title}”. Choose another name.",
        field="title",
        code="duplicate",
        status=409,
    )


def do_create_saved_reply(*, agency: Agency, author: User, title: str, body: str) -> SavedReply:
    title, body = _clean(agency, title, body)
    try:
        with transaction.atomic():
            return SavedReply.objects.create(agency=agency, title=title, body=body, created_by=author)
    except IntegrityError:  # the same name saved at the same moment in another tab
        raise _duplicate(title) from None


def do_update_saved_reply(*, reply: SavedReply, title: str, body: str) -> SavedReply:
    title, body = _clean(reply.agency, title, body, exclude_pk=reply.pk)
    reply.title, reply.body = title, body
    try:
        with transaction.atomic():
            reply.save(update_fields=["title", "body", "updated_at"])
    except IntegrityError:
        raise _duplicate(title) from None
    return reply


def do_delete_saved_reply(*, reply: SavedReply) -> None:
    reply.delete()
