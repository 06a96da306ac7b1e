"""Our addresses and Message-IDs are built and read by one module (casedesk/mail/addresses.py),
so what outbound mail writes is exactly what inbound mail recognises."""

from __future__ import annotations

import pytest
from django.test import override_settings

from casedesk.mail import addresses


def test_a_reply_address_reads_back_as_its_token() -> None:
    address = addresses.reply_address("abcd1234efgh")
    assert addresses.is_ours(address)
    assert addresses.token_from_address(address) == "abcd1234efgh"
    assert addresses.token_from_address(f"<{address.upper()}>") == "abcd1234efgh"


@pytest.mark.parametrize(
    "address",
    [
        "reply+abcd1234efgh@example.com",
        "someone@reply.casedesk.localhost",
        "reply+short@reply.casedesk.localhost",
    ],
)
def test_other_addresses_carry_no_token(address: str) -> None:
    assert addresses.token_from_address(address) is None


def test_our_message_ids_are_ours_and_others_are_not() -> None:
    assert addresses.is_ours(addresses.message_id("client_message:1:2"))
    assert not addresses.is_ours("<CAF=abc@mail.gmail.com>")
    assert not addresses.is_ours("reply.casedesk.localhost")  # no @: not an address at all


def test_the_thread_root_names_its_case_and_a_forged_one_names_none() -> None:
    root = addresses.thread_root_id(42)
    assert addresses.case_id_from_thread_root(root) == 42
    forged = root.replace("case-42.", "case-43.")
    assert addresses.case_id_from_thread_root(forged) is None
    assert addresses.case_id_from_thread_root(root.replace("reply.casedesk.localhost", "evil.test")) is None


@override_settings(INBOUND_EMAIL_DOMAIN="Replies.Example.ORG")
def test_the_domain_is_compared_without_case() -> None:
    address = addresses.reply_address("abcd1234efgh")
    assert (
        addresses.is_ours(address.lower()) and addresses.token_from_address(address.lower()) == "abcd1234efgh"
    )
