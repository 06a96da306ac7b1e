"""Per-(contact, case) reply addresses: issue, look up, revoke.

See ``ReplyToken`` for how the raw token is derived and why only its hash is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from casedesk.accounts.models import Contact
from casedesk.cases.models import Case, CaseContact
from casedesk.mail.models import ReplyToken, hash_reply_token


def issue_reply_token(*, contact: Contact, case: Case) -> ReplyToken:
    """The contact's usable reply token on the case, issuing a new one when needed.

    An expired token is retired (marked revoked) and replaced, so each email carries an
    address that works for REPLY_TOKEN_TTL_DAYS from the latest email.
    """
    now = timezone.now()
    current = ReplyToken.objects.active().filter(contact=contact, case=case).first()
    if current is not None and not current.is_expired:
        return current
    with transaction.atomic():
        if current is not None:
            ReplyToken.objects.filter(pk=current.pk, revoked_at__isnull=True).update(revoked_at=now)
        try:
            with transaction.atomic():
                token = ReplyToken.objects.create(
                    contact=contact,
                    case=case,
                    expires_at=ReplyToken.default_expiry(),
                    token_hash="",
                )
                token.token_hash = hash_reply_token(token.raw_token)
                token.save(update_fields=["token_hash"])
        except IntegrityError:
            # Another worker issued one at the same moment: use theirs.
            token = ReplyToken.objects.active().get(contact=contact, case=case)
    return token


def revoke_reply_tokens(*, case: Case, contact: Contact) -> None:
    """Revoke every reply address of this contact on this case (called when they leave it)."""
    ReplyToken.objects.filter(case=case, contact=contact, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


TokenState = Literal["valid", "unknown", "expired", "revoked", "not_on_case"]


@dataclass(frozen=True)
class TokenLookup:
    state: TokenState
    token: ReplyToken | None


def look_up_token(raw: str) -> TokenLookup:
    """What a reply address is worth now. "valid" also means its contact is on its case."""
    # token_hash is unique: a slice of one, without the ORDER BY that first() would add.
    found = (
        ReplyToken.objects.select_related("contact", "case")
        .annotate(
            on_case=Exists(
                CaseContact.objects.filter(case_id=OuterRef("case_id"), contact_id=OuterRef("contact_id"))
            )
        )
        .filter(token_hash=hash_reply_token(raw))[:1]
    )
    token = next(iter(found), None)
    if token is None:
        return TokenLookup("unknown", None)
    if not token.on_case:
        return TokenLookup("not_on_case", token)
    if token.revoked_at is not None:
        # Superseded tokens (replaced after expiry) count as expired; others were revoked.
        return TokenLookup("expired" if token.expires_at <= token.revoked_at else "revoked", token)
    if token.is_expired:
        return TokenLookup("expired", token)
    return TokenLookup("valid", token)
