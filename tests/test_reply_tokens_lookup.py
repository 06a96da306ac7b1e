"""Reply-token lookup: the one-statement query builds the same objects and states as the ORM."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from casedesk.cases.models import CaseContact
from casedesk.mail.models import ReplyToken
from casedesk.mail.tokens import issue_reply_token, look_up_token
from tests.conftest import Cast


def _values(instance: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_lookup_builds_the_objects_the_orm_builds(cast: Cast, django_assert_num_queries: Any) -> None:
    issued = issue_reply_token(contact=cast.carol, case=cast.case_a)
    with django_assert_num_queries(1):
        lookup = look_up_token(issued.raw_token)
        assert lookup.state == "valid"
        assert lookup.token is not None
        # Contact and case come with the token: no further queries.
        contact, case = lookup.token.contact, lookup.token.case
    expected = ReplyToken.objects.select_related("contact", "case").get(pk=issued.pk)
    assert _values(lookup.token) == _values(expected)
    assert _values(contact) == _values(expected.contact)
    assert _values(case) == _values(expected.case)
    assert lookup.token._state.adding is False
    assert lookup.token._state.db == "default"
    assert isinstance(lookup.token.expires_at, type(timezone.now()))


def test_lookup_states(cast: Cast) -> None:
    assert look_up_token("a" * 32).state == "unknown"
    assert look_up_token("a" * 32).token is None

    token = issue_reply_token(contact=cast.carol, case=cast.case_a)
    ReplyToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert look_up_token(token.raw_token).state == "expired"

    ReplyToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now()
    )
    assert look_up_token(token.raw_token).state == "revoked"

    other = issue_reply_token(contact=cast.erin, case=cast.case_a)
    CaseContact.objects.filter(case=cast.case_a, contact=cast.erin).delete()
    found = look_up_token(other.raw_token)
    assert found.state == "not_on_case"
    assert found.token is not None and found.token.contact_id == cast.erin.pk
