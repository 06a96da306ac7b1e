"""THE write paths for support conversations. The widget API, the queue and the console call these.

Each ``do_*`` runs in one transaction, locks the conversation row first (so two tabs, two
agents or a duplicate request cannot interleave), and sends live events after commit.

Entry points used by ``casedesk chaos-escalations`` (reliable jobs): ``do_start_conversation``,
``do_request_escalation`` and ``casedesk.support.escalation.escalate_conversation``.
"""

from __future__ import annotations

import contextlib
import math
import statistics
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from casedesk.accounts.access import is_active_team_member
from casedesk.accounts.models import Agency, Contact, User
from casedesk.cases.actions import check_files, clean_body, do_assign_case, do_notify, do_post_message
from casedesk.cases.models import Document, MessageSource, NotificationKind
from casedesk.lib.errors import ActionError
from casedesk.lib.events import emit
from casedesk.lib.files import sniff_upload, upload_name, upload_size
from casedesk.support import bot, hours, unclear
from casedesk.support.events import ConversationChanged
from casedesk.support.models import (
    HUMAN_STATES,
    Conversation,
    ConversationFile,
    ConversationMessage,
    ConversationState,
    CsatRating,
    Escalation,
    Feedback,
    MessageKind,
    Visitor,
    WidgetSettings,
)
from casedesk.support.visitor_email import schedule_visitor_reply_email

MAX_MESSAGE_CHARS = 4000
MAX_CSAT_COMMENT_CHARS = 1000


# --- visitors ---------------------------------------------------------------------------------


def do_get_or_create_visitor(
    *,
    agency: Agency,
    user: User | None = None,
    external_id: str = "",
    name: str = "",
    email: str = "",
) -> Visitor:
    """The visitor for a signed-in user or a verified identity (one per agency), else a new one."""
    lookup: dict[str, object] = {}
    if user is not None:
        lookup = {"agency": agency, "user": user}
    elif external_id:
        lookup = {"agency": agency, "external_id": external_id[:200]}
    if not lookup:
        return Visitor.objects.create(agency=agency, name=name[:150], email=email[:254])
    visitor = Visitor.objects.filter(**lookup).first()
    if visitor is None:
        contact = None
        if user is not None:
            contact = Contact.objects.filter(agency=agency, user=user).first()
        try:
            with transaction.atomic():
                visitor = Visitor.objects.create(
                    **lookup,
                    contact=contact,
                    name=(name or (user.name if user else ""))[:150],
                    email=(email or (user.email if user else ""))[:254],
                )
        except IntegrityError:  # the same person's other tab won the race
            visitor = Visitor.objects.get(**lookup)
    elif (name and name != visitor.name) or (email and email != visitor.email):
        visitor.name = (name or visitor.name)[:150]
        visitor.email = (email or visitor.email)[:254]
        visitor.save(update_fields=["name", "email"])
    return visitor


# --- conversations ----------------------------------------------------------------------------


def _lock(conversation: Conversation) -> Conversation:
    return (
        Conversation.objects.select_for_update().select_related("agency", "visitor").get(pk=conversation.pk)
    )


def _add(conversation: Conversation, kind: str, body: str, **extra: object) -> ConversationMessage:
    return ConversationMessage.objects.create(conversation=conversation, kind=kind, body=body, **extra)


def _published(conversation: Conversation) -> None:
    emit(ConversationChanged(conversation.visitor_id, conversation.agency_id, str(conversation.public_id)))


def _clean_body(body: str, files: Sequence[File] = ()) -> str:
    text = clean_body(body)
    # The product's one file rule (size, count, empty) before anything is written.
    check_files(files)
    if not text and not files:
        raise ActionError("Write a message before sending.", code="empty", field="body")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ActionError(
            f"This message is {len(text):,} characters long; the limit is {MAX_MESSAGE_CHARS:,}. "
            "Shorten it or split it into two messages.",
            code="too_long",
            field="body",
        )
    return text


@transaction.atomic
def do_start_conversation(
    *,
    agency: Agency,
    visitor: Visitor | None = None,
    page_url: str = "",
    requesting_agency: Agency | None = None,
    subject: str = "",
) -> Conversation:
    """Open a conversation with the bot. Without a visitor, an anonymous one is created."""
    if visitor is None:
        visitor = Visitor.objects.create(agency=agency)
    if visitor.agency_id != agency.pk:
        raise ValueError("The visitor belongs to another agency's widget.")
    if requesting_agency is not None and not agency.is_platform:
        raise ValueError("Only the platform desk takes requests from other agencies.")
    conversation = Conversation.objects.create(
        agency=agency,
        visitor=visitor,
        page_url=page_url[:1000],
        requesting_agency=requesting_agency,
        subject=subject.strip()[:200],
    )
    # The queue lists it under "With the bot"; the visitor who opened it needs no nudge.
    emit(ConversationChanged(visitor.pk, agency.pk, str(conversation.public_id), team_only=True))
    return conversation


def _reopen_locked(conversation: Conversation, *, by_team: bool) -> None:
    has_escalation = Escalation.objects.filter(conversation=conversation).exists()
    if not has_escalation:
        conversation.state = ConversationState.BOT
    elif by_team and conversation.assignee_id is not None:
        conversation.state = ConversationState.WITH_HUMAN
    else:
        conversation.state = ConversationState.WAITING_FOR_HUMAN
    conversation.closed_at = None


def _mirror_to_case(
    conversation: Conversation,
    body: str,
    author: User | None,
    who: str,
    files: Sequence[ConversationFile] = (),
) -> None:
    """Keep the escalated case's thread in step with the chat (client-visible lines only).

    A visitor's line is signed with the visitor's name (or email, or "Visitor 1a2b…"), never
    "casedesk": the case message carries it as ``author_label``. The line's files go with it,
    into the case's Documents.
    """
    if conversation.case_id is None or conversation.case is None:
        return
    with open_conversation_files(files) as uploads:
        message = do_post_message(
            case=conversation.case,
            body=body,
            author_user=author,
            author_label="" if author is not None else f"{who} (support chat)",
            files=uploads,
            source=MessageSource.SUPPORT_CHAT,
        )
    link_case_documents(files, message.documents.order_by("id"))


def _assign_case_locked(conversation: Conversation, user: User, previous_id: int | None) -> None:
    """The person who owns the conversation also owns its escalated case."""
    if conversation.case_id is None or conversation.case is None:
        return
    previous = None
    if previous_id is not None and previous_id != user.pk:
        previous = User.objects.filter(pk=previous_id).first()
    do_assign_case(case=conversation.case, user=user, instead_of=previous)


@transaction.atomic
def do_post_visitor_message(
    *, conversation: Conversation, body: str, page_url: str = "", files: Sequence[File] = ()
) -> list[ConversationMessage]:
    """The visitor writes. In ``bot`` state the bot answers or hands over; otherwise it stays silent.

    Writing to a closed conversation reopens it (to the bot if a person never took it,
    otherwise back to the queue). Returns the lines created (the visitor's, then the bot's).
    ``files`` follow the product's one rule (``check_files``); a line may be files only, and
    then the bot is not asked (there is no question to triage).
    """
    uploads = [f for f in files if f is not None]
    text = _clean_body(body, uploads)
    conversation = _lock(conversation)
    if conversation.state == ConversationState.CLOSED:
        _reopen_locked(conversation, by_team=False)
    now = timezone.now()
    asked_bot = conversation.state == ConversationState.BOT and bool(text)
    line = _add(conversation, MessageKind.VISITOR, text, asked_bot=asked_bot)
    stored = _store_files(line, uploads)
    created = [line]
    conversation.last_visitor_message_at = now
    if page_url:
        conversation.page_url = page_url[:1000]
    if not conversation.subject:
        conversation.subject = (text.splitlines()[0] if text else f"File: {stored[0].name}")[:200]
    conversation.save()
    unclear_line = _unclear_prompt(conversation, line) if asked_bot else None
    if unclear_line is not None:
        # Gibberish, placeholder text or the same question again: ask once before a person.
        created.append(_add(conversation, MessageKind.BOT_NOTICE, unclear_line))
    elif asked_bot:
        outcome = bot.triage(text, None if conversation.agency.is_platform else conversation.agency_id)
        if isinstance(outcome, bot.BotAnswer):
            created.append(
                _add(
                    conversation,
                    MessageKind.BOT_ANSWER,
                    outcome.passage,
                    article_url=outcome.url[:500],
                    article_title=outcome.title[:200],
                    score=outcome.score,
                )
            )
        else:
            notice = _escalate_locked(conversation, outcome.reason, outcome.detail)
            if notice is not None:
                created.append(notice)
    else:
        _mirror_to_case(conversation, text, None, conversation.visitor.display_name, stored)
    _published(conversation)
    return created


def _unclear_prompt(conversation: Conversation, line: ConversationMessage) -> str | None:
    """The "could you say that differently?" line for an unclear question, or None: the line is
    clear, or the assistant already asked once (the last bot line was that prompt), in which case
    the question goes to triage and is handed over as before."""
    earlier = conversation.messages.filter(pk__lt=line.pk).order_by("-pk")
    last_bot = earlier.filter(kind__in=[MessageKind.BOT_ANSWER, MessageKind.BOT_NOTICE]).first()
    if last_bot is not None and unclear.is_prompt(last_bot.body):
        return None
    previous = earlier.filter(kind=MessageKind.VISITOR, asked_bot=True).values_list("body", flat=True).first()
    reason = unclear.unclear_reason(line.body, previous)
    return None if reason is None else unclear.prompt_for(reason)


# --- escalation -------------------------------------------------------------------------------


def _format_wait(minutes: float) -> str:
    if minutes < 2:
        return "within a few minutes"
    if minutes < 90:
        return f"within about {round(minutes)} minutes"
    hours = minutes / 60
    if hours < 36:
        return f"within about {round(hours)} hours"
    return f"within about {round(hours / 24)} days"


def expected_wait_text(agency: Agency) -> str:
    """Roughly when a person will answer: the median first-reply time of the last 30 days when
    there are at least 5 samples, else the agency's configured expectation."""
    since = timezone.now() - timedelta(days=30)
    rows = Conversation.objects.filter(
        agency=agency, escalated_at__gte=since, first_human_reply_at__isnull=False
    ).values_list("escalated_at", "first_human_reply_at")[:500]
    samples = [(reply - escalated).total_seconds() / 60 for escalated, reply in rows if escalated and reply]
    if len(samples) >= 5:
        return _format_wait(max(0.0, statistics.median(samples)))
    configured = (
        WidgetSettings.objects.filter(agency=agency).values_list("expected_reply_minutes", flat=True).first()
    )
    return _format_wait(float(configured or 60))


EXPECTED_WAIT_CACHE_SECONDS = 120


def expected_wait_for_widget(agency: Agency) -> str:
    """``expected_wait_text`` for the widget's header: read on every page that shows the widget,
    so it is cached per agency for two minutes (a median over 30 days moves slowly)."""
    return str(
        cache.get_or_set(
            f"support:expected-wait:{agency.pk}",
            lambda: expected_wait_text(agency),
            EXPECTED_WAIT_CACHE_SECONDS,
        )
    )


def _handoff_notice(conversation: Conversation, reason: str) -> str:
    who = "the casedesk support team" if conversation.agency.is_platform else conversation.agency.name
    when, after = hours.handoff_wait(conversation.agency, expected_wait_text(conversation.agency))
    lead = {
        bot.REASON_HUMAN_REQUESTED: "Sure, I've passed this conversation to a person.",
        bot.REASON_NOT_HELPFUL: "Sorry that didn't help. I've passed your question to a person.",
        bot.REASON_TEAM_REQUEST: "I've passed this conversation to a person.",
    }.get(reason, "I don't have a good answer to that in the help centre, so I've passed it to a person.")
    return f"{lead} Someone from {who} will answer here, {when}. {after}"


def _escalation_limit_sentence(conversation: Conversation) -> str | None:
    """The sentence for a visitor who has reached the agency's escalations per hour, or None."""
    limit = (
        WidgetSettings.objects.filter(agency_id=conversation.agency_id)
        .values_list("escalations_per_visitor_hour", flat=True)
        .first()
    )
    limit = 3 if limit is None else limit
    if not limit:
        return None
    since = timezone.now() - timedelta(hours=1)
    recent = list(
        Escalation.objects.filter(conversation__visitor_id=conversation.visitor_id, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(recent) < limit:
        return None
    wait = max(1, math.ceil((recent[-limit] + timedelta(hours=1) - timezone.now()).total_seconds() / 60))
    times = "once" if limit == 1 else f"{limit} times"
    return (
        f"You've asked for a person {times} in the last hour, so I can't open another request just now. "
        f"The team has your earlier conversation{'s' if limit > 1 else ''} and will answer there; "
        f"you can ask again in {wait} minute{'s' if wait != 1 else ''}."
    )


def _escalate_locked(conversation: Conversation, reason: str, detail: str = "") -> ConversationMessage | None:
    """State change + Escalation row + enqueued task, in the caller's transaction.

    Returns the "a person will answer" notice, or None when the conversation was already
    escalated (nothing changes: never a second
    case, never a second "a person will answer").
    """
    from casedesk.support.escalation import escalate_conversation

    if Escalation.objects.filter(conversation=conversation).exists():
        if conversation.state == ConversationState.BOT:
            # A reopened conversation that a person already handled goes back to the queue.
            conversation.state = ConversationState.WAITING_FOR_HUMAN
            conversation.save(update_fields=["state", "updated_at"])
        return None
    limited = _escalation_limit_sentence(conversation)
    if limited is not None:
        # Per visitor, a few escalations an hour (a setting): say so, open nothing.
        return _add(conversation, MessageKind.BOT_NOTICE, limited)
    now = timezone.now()
    try:
        with transaction.atomic():
            Escalation.objects.create(
                conversation=conversation,
                target_agency=conversation.agency,
                reason=reason[:40],
                detail=detail[:300],
                created_at=now,
            )
    except IntegrityError:  # a concurrent request escalated first
        return None
    conversation.state = ConversationState.ESCALATING
    conversation.escalated_at = now
    fields = ["state", "escalated_at", "updated_at"]
    visitor = conversation.visitor
    if not conversation.answer_email and visitor.is_known and visitor.email:
        # A verified identity (or a signed-in person) needs no question: the answer goes there.
        conversation.answer_email = visitor.email
        fields.append("answer_email")
    conversation.save(update_fields=fields)
    # The visitor is told a person will answer in the same transaction that records the
    # escalation and enqueues its task: either all three exist, or none does.
    notice = _add(conversation, MessageKind.BOT_NOTICE, _handoff_notice(conversation, reason))
    escalate_conversation.enqueue(conversation.pk)
    return notice


@transaction.atomic
def do_request_escalation(
    *, conversation: Conversation, reason: str = bot.REASON_HUMAN_REQUESTED, detail: str = ""
) -> Escalation:
    """Hand the conversation to a person. Idempotent: returns the existing escalation if any.

    In one transaction: the conversation moves to ``escalating``, the ``Escalation`` row is
    written (unique per conversation) and the ``support.escalate`` task is enqueued.
    """
    conversation = _lock(conversation)
    if not Escalation.objects.filter(conversation=conversation).exists():
        limited = _escalation_limit_sentence(conversation)
        if limited is not None:
            raise ActionError(limited, code="escalation_limit", status=429)
    if conversation.state == ConversationState.CLOSED:
        _reopen_locked(conversation, by_team=False)
        conversation.save(update_fields=["state", "closed_at", "updated_at"])
    _escalate_locked(conversation, reason, detail)
    _published(conversation)
    return Escalation.objects.get(conversation=conversation)


@transaction.atomic
def do_feedback(*, conversation: Conversation, message_id: int, helpful: bool) -> ConversationMessage:
    """ "Did that answer your question?" Yes records a confirmed resolution; No hands over."""
    conversation = _lock(conversation)
    message = ConversationMessage.objects.filter(
        conversation=conversation, pk=message_id, kind=MessageKind.BOT_ANSWER
    ).first()
    if message is None:
        raise ActionError(
            "That answer is not part of this conversation. Reload the chat and try again.",
            code="not_found",
            status=404,
        )
    wanted = Feedback.HELPFUL if helpful else Feedback.NOT_HELPFUL
    if message.feedback == wanted:
        return message
    if message.feedback == Feedback.NOT_HELPFUL:
        raise ActionError("You already asked for a person on this answer; they will reply here.", code="done")
    message.feedback = wanted
    message.save(update_fields=["feedback"])
    if helpful:
        _add(conversation, MessageKind.BOT_NOTICE, "Glad that helped. Ask another question here any time.")
    else:
        if conversation.state == ConversationState.CLOSED:
            _reopen_locked(conversation, by_team=False)
            conversation.save(update_fields=["state", "closed_at", "updated_at"])
        _escalate_locked(
            conversation, bot.REASON_NOT_HELPFUL, f"Answer from “{message.article_title}” did not help."
        )
    _published(conversation)
    return message


# --- the team's side --------------------------------------------------------------------------


def _check_team(conversation: Conversation, user: User) -> None:
    if not is_active_team_member(user, conversation.agency_id):
        raise ActionError(
            f"{user.get_short_name()} is not on the {conversation.agency.name} team, "
            "so they cannot take this conversation.",
            code="not_team",
            field="assignee",
        )


@transaction.atomic
def do_claim(*, conversation: Conversation, user: User) -> Conversation:
    conversation = _lock(conversation)
    _check_team(conversation, user)
    if conversation.assignee_id not in (None, user.pk):
        assert conversation.assignee is not None
        raise ActionError(
            f"{conversation.assignee.get_short_name()} has already claimed this conversation. "
            "Ask them, or use Assign to move it to yourself.",
            code="claimed",
        )
    assign_locked(conversation, user, by=user)
    _published(conversation)
    return conversation


def assign_locked(conversation: Conversation, user: User, *, by: User | None) -> None:
    """``user`` owns the conversation (and its case, once there is one); the caller holds the
    conversation's row lock and has checked that ``user`` is on the team. Claims, assignments
    and automatic assignments (support/assignment.py, ``by=None``) all end here. Whoever is
    given a conversation by someone else, or by auto-assignment, gets a notification."""
    newly = conversation.assignee_id != user.pk
    _assign_case_locked(conversation, user, conversation.assignee_id)
    conversation.assignee = user
    if conversation.state in (ConversationState.BOT, *HUMAN_STATES):
        conversation.state = ConversationState.WITH_HUMAN
    conversation.save(update_fields=["assignee", "state", "updated_at"])
    if newly and (by is None or by.pk != user.pk):
        who = (
            conversation.requesting_agency.name
            if conversation.requesting_agency
            else conversation.visitor.display_name
        )
        actor = by.name if by is not None else "Auto-assignment"
        do_notify(
            user=user,
            agency_id=conversation.agency_id,
            kind=NotificationKind.ASSIGNMENT,
            case=conversation.case,
            text=f"{actor} assigned you the support conversation with {who}.",
            url=reverse("support:conversation", args=[conversation.pk]),
            actor=by,
        )


@transaction.atomic
def do_assign(*, conversation: Conversation, assignee: User, by: User) -> Conversation:
    conversation = _lock(conversation)
    _check_team(conversation, by)
    _check_team(conversation, assignee)
    assign_locked(conversation, assignee, by=by)
    _published(conversation)
    return conversation


@transaction.atomic
def do_reply_as_agent(
    *, conversation: Conversation, user: User, body: str, files: Sequence[File] = ()
) -> ConversationMessage:
    """A person answers in the chat. The bot is silent from here on (state ``with_human``).

    ``files`` follow the product's one rule (``check_files``) and reach the visitor with the line.
    """
    uploads = [f for f in files if f is not None]
    text = _clean_body(body, uploads)
    conversation = _lock(conversation)
    _check_team(conversation, user)
    now = timezone.now()
    if conversation.state == ConversationState.CLOSED:
        _reopen_locked(conversation, by_team=True)
    conversation.state = ConversationState.WITH_HUMAN
    if conversation.assignee_id is None:
        _assign_case_locked(conversation, user, None)
        conversation.assignee = user
    if conversation.first_human_reply_at is None:
        conversation.first_human_reply_at = now
    conversation.team_read_at = now
    conversation.save()
    message = _add(conversation, MessageKind.AGENT, text, author_user=user, created_at=now)
    stored = _store_files(message, uploads)
    _mirror_to_case(conversation, text, user, user.get_short_name(), stored)
    schedule_visitor_reply_email(message, conversation)
    _published(conversation)
    return message


@transaction.atomic
def do_mark_read(*, conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(team_read_at=timezone.now())


@transaction.atomic
def do_close(*, conversation: Conversation, by: User | None = None) -> Conversation:
    conversation = _lock(conversation)
    if by is not None:
        _check_team(conversation, by)
    if conversation.state == ConversationState.CLOSED:
        return conversation
    conversation.state = ConversationState.CLOSED
    conversation.closed_at = timezone.now()
    conversation.save(update_fields=["state", "closed_at", "updated_at"])
    _add(
        conversation,
        MessageKind.SYSTEM,
        "This conversation was closed. Write here again any time and it will reopen.",
    )
    _published(conversation)
    return conversation


@transaction.atomic
def do_reopen(*, conversation: Conversation, by: User | None = None) -> Conversation:
    conversation = _lock(conversation)
    if by is not None:
        _check_team(conversation, by)
    if conversation.state != ConversationState.CLOSED:
        return conversation
    _reopen_locked(conversation, by_team=by is not None)
    conversation.save(update_fields=["state", "closed_at", "updated_at"])
    _published(conversation)
    return conversation


# --- satisfaction (issue 16 §5) ---------------------------------------------------------------


@transaction.atomic
def do_rate_conversation(
    *, conversation: Conversation, visitor: Visitor, rating: str, comment: str = ""
) -> Conversation:
    """The visitor's one rating (good or bad, an optional comment) of a closed conversation.

    Only the conversation's own visitor (404 for anyone else, as every "not yours"), only once
    the conversation is closed, only once (409). Recorded on the conversation and as a system
    line of the chat, which the team sees in the conversation page; never mirrored to the case.
    """
    if rating not in CsatRating.values:
        raise ActionError(
            "Choose Good or Not good to rate this conversation.", code="bad_rating", field="rating"
        )
    text = clean_body(comment or "")
    if len(text) > MAX_CSAT_COMMENT_CHARS:
        raise ActionError(
            f"This comment is {len(text):,} characters long; the limit is {MAX_CSAT_COMMENT_CHARS:,}. "
            "Shorten it and send again.",
            code="too_long",
            field="comment",
        )
    conversation = _lock(conversation)
    if conversation.visitor_id != visitor.pk or conversation.agency_id != visitor.agency_id:
        raise ActionError(
            "That conversation does not exist, or it belongs to someone else.", code="not_found", status=404
        )
    if conversation.csat_rating:
        raise ActionError(
            "You have already rated this conversation. Thanks, the team has your feedback.",
            code="already_rated",
            status=409,
        )
    if conversation.state != ConversationState.CLOSED:
        raise ActionError(
            "This conversation is still open. You can rate the help once it has been closed.",
            code="not_closed",
            status=409,
        )
    conversation.csat_rating = rating
    conversation.csat_comment = text
    conversation.csat_at = timezone.now()
    conversation.save(update_fields=["csat_rating", "csat_comment", "csat_at", "updated_at"])
    # Seen by the team in the conversation page and by the visitor in the widget: neutral words,
    # and no emoji (a system without an emoji font shows an empty box).
    line = f"Rated the help: {CsatRating(rating).label}."
    if text:
        line += f"\n\nComment: {text}"
    _add(conversation, MessageKind.SYSTEM, line)
    _published(conversation)
    return conversation


# --- the answer finds the visitor (issue 16) --------------------------------------------------


@transaction.atomic
def do_set_answer_email(*, conversation: Conversation, email: str) -> Conversation:
    """The address a person's unseen reply is emailed to; empty clears it. Setting a new address
    resubscribes (the visitor asked for it); the old address's unsubscribe link stops working."""
    address = (email or "").strip()
    if address:
        try:
            validate_email(address)
        except ValidationError:
            raise ActionError(
                f"“{address[:80]}” does not look like an email address. Check it, or leave the field empty.",
                code="bad_email",
                field="email",
            ) from None
        if len(address) > 254:
            raise ActionError("This email address is too long; use one under 254 characters.", field="email")
    conversation = _lock(conversation)
    conversation.answer_email = address
    conversation.answer_email_unsubscribed_at = None
    conversation.save(update_fields=["answer_email", "answer_email_unsubscribed_at", "updated_at"])
    return conversation


@transaction.atomic
def do_mark_seen(*, conversation: Conversation, up_to_message_id: int) -> int:
    """The widget was open and showed every line up to this id. Returns how many lines changed."""
    return ConversationMessage.objects.filter(
        conversation=conversation, pk__lte=up_to_message_id, seen_at__isnull=True
    ).update(seen_at=timezone.now())


@transaction.atomic
def do_unsubscribe_answer_email(*, conversation: Conversation) -> Conversation:
    """One-click unsubscribe: no more "a person answered" emails for this conversation."""
    conversation = _lock(conversation)
    if conversation.answer_email_unsubscribed_at is None:
        conversation.answer_email_unsubscribed_at = timezone.now()
        conversation.save(update_fields=["answer_email_unsubscribed_at", "updated_at"])
    return conversation


@transaction.atomic
def do_record_visitor_email_reply(*, conversation: Conversation, body: str) -> ConversationMessage:
    """The visitor answered by email; the inbound pipeline already posted it to the escalated case.

    Adds the line to the chat only (never mirrored back to the case), reopening a closed
    conversation to the queue. Never refuses: an empty or overlong email is still recorded,
    shortened to the chat's limit, because the case already holds it in full.
    """
    conversation = _lock(conversation)
    if conversation.state == ConversationState.CLOSED:
        _reopen_locked(conversation, by_team=False)
    text = clean_body(body) or "(This email had no text.)"
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 40].rstrip() + "\n\n(Shortened; the case has the full email.)"
    now = timezone.now()
    line = _add(conversation, MessageKind.VISITOR, text, created_at=now)
    conversation.last_visitor_message_at = now
    conversation.save()
    _published(conversation)
    return line


# --- files in the chat (issue 16 §2) ------------------------------------------------------------


def _store_files(line: ConversationMessage, uploads: Sequence[File]) -> list[ConversationFile]:
    """Store a line's files (already checked by ``check_files``), typed from their bytes."""
    stored = []
    for upload in uploads:
        name = upload_name(upload)
        row = ConversationFile(
            conversation_id=line.conversation_id,
            message=line,
            name=name,
            size=upload_size(upload),
            content_type=sniff_upload(upload, name),
        )
        # Storage.save copies in chunks (a temp file above 256 KB): never all in memory.
        row.file.save("file", upload, save=False)
        row.save()
        stored.append(row)
    return stored


@contextlib.contextmanager
def open_conversation_files(files: Sequence[ConversationFile]) -> Iterator[list[File]]:
    """The stored files as ``File`` objects named as the sender named them, closed afterwards."""
    with contextlib.ExitStack() as stack:
        yield [File(stack.enter_context(row.file.open("rb")), name=row.name) for row in files]


def link_case_documents(files: Sequence[ConversationFile], documents: Iterable[Document]) -> None:
    """Remember which case Document is the copy of which chat file (same order as posted)."""
    for row, document in zip(files, documents, strict=True):
        ConversationFile.objects.filter(pk=row.pk).update(case_document=document)
