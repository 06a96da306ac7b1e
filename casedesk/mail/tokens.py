"""Per-(contact, case) reply addresses: issue, look up, revoke.

See ``ReplyToken`` for how the raw token is derived and why only its hash is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models.expressions import Col
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


class _TokenQuery:
    """The reply-token lookup as one SQL statement, built once per database connection vendor.

    Building and compiling the equivalent ORM query (``select_related("contact", "case")``
    plus an ``Exists`` annotation) cost more CPU than running it, on every inbound email.
    The columns are listed explicitly from the models' concrete fields and the rows go
    through the same database converters and ``Model.from_db`` the ORM uses, so the objects
    are the ones the ORM would build. tests/test_reply_tokens_lookup.py compares them.
    """

    def __init__(self, alias: str) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        self.alias = alias
        self.parts: list[tuple[type[models.Model], list[str], list[tuple[Col, list[Any]]]]] = []
        columns: list[str] = []
        for model, table_alias in ((ReplyToken, "t"), (Contact, "p"), (Case, "c")):
            fields = list(model._meta.concrete_fields)
            converted = []
            for field in fields:
                expression = Col(table_alias, field)
                converters = connection.ops.get_db_converters(expression) + field.get_db_converters(
                    connection
                )
                converted.append((expression, converters))
                columns.append(f"{table_alias}.{quote(str(field.column))}")
            self.parts.append((model, [f.attname for f in fields], converted))

        def column(model: type[models.Model], name: str) -> str:
            field = model._meta.get_field(name)
            assert isinstance(field, models.Field)
            return quote(str(field.column))

        def table(model: type[models.Model]) -> str:
            return quote(model._meta.db_table)

        # Only identifiers from the models' metadata go into the text; the hash is a parameter.
        self.sql = (
            f"SELECT {', '.join(columns)}, EXISTS(SELECT 1 FROM {table(CaseContact)} l"  # noqa: S608
            f" WHERE l.{column(CaseContact, 'case')} = t.{column(ReplyToken, 'case')}"
            f" AND l.{column(CaseContact, 'contact')} = t.{column(ReplyToken, 'contact')})"
            f" FROM {table(ReplyToken)} t"
            f" INNER JOIN {table(Contact)} p ON p.{column(Contact, 'id')} = t.{column(ReplyToken, 'contact')}"
            f" INNER JOIN {table(Case)} c ON c.{column(Case, 'id')} = t.{column(ReplyToken, 'case')}"
            f" WHERE t.{column(ReplyToken, 'token_hash')} = %s"
        )

    def fetch(self, token_hash: str) -> tuple[ReplyToken, bool] | None:
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [token_hash])
            row = cursor.fetchone()
        if row is None:
            return None
        objects: list[Any] = []
        position = 0
        for model, attnames, converted in self.parts:
            values = []
            for expression, converters in converted:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                values.append(value)
                position += 1
            objects.append(model.from_db(self.alias, attnames, values))
        token, contact, case = objects
        ReplyToken.contact.field.set_cached_value(token, contact)
        ReplyToken.case.field.set_cached_value(token, case)
        return token, bool(row[position])


_token_queries: dict[tuple[str, str], _TokenQuery] = {}


def _token_query() -> _TokenQuery:
    alias = router.db_for_read(ReplyToken)
    key = (alias, connections[alias].vendor)
    query = _token_queries.get(key)
    if query is None:
        query = _token_queries[key] = _TokenQuery(alias)
    return query


def look_up_token(raw: str) -> TokenLookup:
    """What a reply address is worth now. "valid" also means its contact is on its case."""
    found = _token_query().fetch(hash_reply_token(raw))
    if found is None:
        return TokenLookup("unknown", None)
    token, on_case = found
    if not on_case:
        return TokenLookup("not_on_case", token)
    if token.revoked_at is not None:
        # Superseded tokens (replaced after expiry) count as expired; others were revoked.
        return TokenLookup("expired" if token.expires_at <= token.revoked_at else "revoked", token)
    if token.is_expired:
        return TokenLookup("expired", token)
    return TokenLookup("valid", token)
