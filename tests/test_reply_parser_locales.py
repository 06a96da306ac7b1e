"""Replies in every language land clean: the multi-locale fixture table, the signature policy,
HTML-only replies and line breaks in the thread.

The fixtures in tests/fixtures/replies/ were written for casedesk (see docs/email.md, Sources);
tests/fixtures/replies/generate.py rebuilds them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from casedesk.cases.actions import do_post_message
from casedesk.cases.models import MessageSource
from casedesk.mail.evaluation import evaluate, normalize, parse_case
from casedesk.mail.reply_languages import LANGUAGES
from casedesk.mail.replyparse import extract_reply, extract_reply_from_html, unflow
from tests.conftest import Cast
from tests.fixtures.eml.helpers import deliver, posted, token_for

FIXTURES = Path(__file__).parent / "fixtures" / "replies"
CASES_FILE = FIXTURES / "cases.jsonl"
REQUIRED_LANGUAGES = [
    "en",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "sv",
    "da",
    "nb",
    "fi",
    "pl",
    "cs",
    "hu",
    "ro",
    "tr",
    "ru",
    "uk",
    "el",
    "ja",
    "zh",
    "ko",
    "he",
    "ar",
]
REQUIRED_CLIENTS = {
    "gmail",
    "outlook",
    "outlook_desktop",
    "outlook_web",
    "outlook_ios",
    "outlook_android",
    "apple_mail",
    "thunderbird",
    "yahoo",
    "gmx",
    "webde",
    "zoho",
    "proton",
    "fastmail",
    "samsung",
}


def _cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case["id"])
def test_reply_fixture_lands_clean(case: dict[str, Any]) -> None:
    assert normalize(parse_case(FIXTURES, case)) == normalize(case["expected"])


def test_fixtures_cover_every_language_with_three_forms_and_every_client() -> None:
    cases = _cases()
    for code in REQUIRED_LANGUAGES:
        forms = {case["id"] for case in cases if case["lang"] == code}
        assert len(forms) >= 3, code
    assert {case["client"] for case in cases} >= REQUIRED_CLIENTS
    assert {"text", "eml", "html"} <= {case["format"] for case in cases}


def test_every_required_language_has_a_table_entry_with_header_fields() -> None:
    by_code = {language.code: language for language in LANGUAGES}
    for code in REQUIRED_LANGUAGES:
        language = by_code[code]
        assert language.verbs or code in ("ru",), code  # Russian Gmail has no verb: "…, Bob <bob@…>:"
        assert language.original_message and language.from_fields and language.date_fields, code
        assert language.device_lines, code


def test_own_multi_locale_set_scores_at_least_95_percent() -> None:
    report = evaluate(CASES_FILE)
    print(f"multi-locale set: {report.passed}/{report.cases} = {report.rate}")
    assert report.rate >= 0.95, report.failures[:5]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Quote headers wrapped inside the address (Gmail's plain text) and inside the verb.
        (
            "Passt.\n\nAm Di., 1. Dez. 2026 um 09:14 Uhr schrieb Bob <\nbob@acme.test>:\n\n> Sollen wir?",
            "Passt.",
        ),
        (
            "Va bene.\n\nIl giorno mar 1 dic 2026 alle ore 09:14 Bob <bob@acme.test> ha\nscritto:\n> Ok?",
            "Va bene.",
        ),
        ("Sopii.\n\nti 1.12.2026 klo 9.14 Bob (bob@acme.test) kirjoitti:\n> Ok?", "Sopii."),
        (
            "Prima.\n\nOp 1 dec. 2026 om 09:14 heeft Bob <bob@acme.test> het volgende geschreven:\n\n> Ok?",
            "Prima.",
        ),
        ("Fint.\n\n-------- Oprindelig besked --------\nFra: Bob <bob@acme.test>\n\nOk?", "Fint."),
        ("Oui.\n\n> Message du 01/12/26 09:14\n> De : Bob\n> Objet : Plan\n>\n> Ok ?", "Oui."),
    ],
)
def test_headers_the_old_parser_missed(body: str, expected: str) -> None:
    assert extract_reply(body).text == expected


@pytest.mark.parametrize(
    "body",
    [
        "From: the printer, we need the final PDF.\nSent: nothing yet.\n\nCan you check?",
        "As you wrote:\nthe logo should be blue.",
        "I sent the files at 10:30 to bob@acme.test:\nplease confirm they arrived.",
        "Danke.\n\nAm Ende schrieb er gestern um 10:30 Uhr:\nalles ist bezahlt.",
        "Let's meet on Dec 1 at 9:14, as Bob wrote:\nwe need the big room.",
        "Item 2 at 10:00 goes to bob@acme.test:\nthe rest to Carol.",
    ],
)
def test_body_text_that_looks_like_a_header_is_kept(body: str) -> None:
    parsed = extract_reply(body)
    assert parsed.text == body
    assert not parsed.had_quote


def test_device_lines_and_dash_signatures_leave_the_thread_but_stay_in_the_full_email() -> None:
    body = (
        "Looks good.\n\nBest,\nJenna\n-- \nJenna Park\nHarbor Coffee | 555-0100\n"
        "\nOn Tue, Dec 1, 2026 at 9:14 AM Bob <bob@acme.test> wrote:\n> Ok?"
    )
    parsed = extract_reply(body)
    assert parsed.text == "Looks good.\n\nBest,\nJenna"
    assert "Harbor Coffee | 555-0100" in parsed.full
    iphone = extract_reply(
        "Ja.\n\nVon meinem iPhone gesendet\n\n> Am 01.12.2026 um 09:14 schrieb Bob:\n> Ok?"
    )
    assert iphone.text == "Ja."
    assert "Von meinem iPhone gesendet" in iphone.full


def test_outlook_mobile_footer_with_its_link_is_a_device_line() -> None:
    body = (
        "Merci.\n\nObtenir Outlook pour iOS<https://aka.ms/o0ukef>\n________________________________\n"
        "De : Bob <bob@acme.test>\nEnvoyé : mardi 1 décembre 2026 09:14\nÀ : Carol\nObjet : Plan\n\nOk ?"
    )
    assert extract_reply(body).text == "Merci."


def test_html_only_reply_keeps_lines_lists_and_links_and_drops_the_quote() -> None:
    html = (
        '<div dir="ltr"><div>Two things:</div><ul><li>logo</li><li>fonts</li></ul><div><br></div>'
        '<div>See <a href="https://example.com/mock">the mock-up</a>.</div>'
        "<div>Best,</div><div>Jenna</div></div>"
        '<div class="gmail_quote"><div class="gmail_attr">On Tue, Dec 1, 2026 at 9:14 AM Bob wrote:</div>'
        '<blockquote class="gmail_quote">Old text</blockquote></div>'
    )
    parsed = extract_reply_from_html(html)
    assert parsed.text == (
        "Two things:\n\n  * logo\n  * fonts\n\nSee [the mock-up](https://example.com/mock).\nBest,\nJenna"
    )
    assert "Old text" in parsed.full


def test_gmail_html_signature_block_is_removed_from_the_thread() -> None:
    html = (
        '<div dir="ltr"><div>Looks good.</div><div><br></div><div>Best,</div><div>Jenna</div><br>'
        '<span class="gmail_signature_prefix">-- </span><br><div class="gmail_signature">'
        "<div>Jenna Park</div><div>Harbor Coffee | 555-0100</div></div></div>"
    )
    parsed = extract_reply_from_html(html)
    assert parsed.text == "Looks good.\n\nBest,\nJenna"
    assert "Harbor Coffee | 555-0100" in parsed.full


def test_outlook_html_lines_are_lines_and_empty_paragraphs_are_blank_lines() -> None:
    html = (
        '<p class="MsoNormal">Danke.</p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        '<p class="MsoNormal">Viele Grüße</p><p class="MsoNormal">Jenna</p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt">'
        '<p class="MsoNormal"><b>Von:</b> Bob</p></div>'
    )
    assert extract_reply_from_html(html).text == "Danke.\n\nViele Grüße\nJenna"


def _signature_reply(token: str) -> bytes:
    return (
        f"From: Carol Client <carol@globex.test>\r\nTo: reply+{token}@{settings.INBOUND_EMAIL_DOMAIN}\r\n"
        "Subject: Re: [case-1] Spring campaign\r\nMessage-ID: <signature-breaks-1@globex.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "The proofs look great.\r\n\r\nBest,\r\nJenna\r\nHarbor Coffee | 555-0100\r\n\r\n"
        "Sent from my iPhone\r\n"
    ).encode()


@pytest.mark.django_db
def test_emailed_reply_keeps_its_line_breaks_in_the_thread(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = deliver(_signature_reply(token_for(cast.carol, cast.case_a)), run_tasks)
    message = posted(row)
    assert message.body == "The proofs look great.\n\nBest,\nJenna\nHarbor Coffee | 555-0100"
    assert "Best,<br>\nJenna<br>\nHarbor Coffee | 555-0100" in message.body_html
    assert "Sent from my iPhone" not in message.body
    assert "Sent from my iPhone" in row.full_text


@pytest.mark.django_db
def test_typed_markdown_keeps_soft_line_breaks(cast: Cast) -> None:
    message = do_post_message(
        case=cast.case_a, body="one\ntwo", author_user=cast.bob, internal_only=False, source=MessageSource.WEB
    )
    assert "<br" not in message.body_html


def test_format_flowed_soft_breaks_are_joined_and_hard_breaks_kept() -> None:
    text = "A long \nparagraph.\n\nBest,\nJenna\n-- \nJenna Park\n> quoted \n> line\n"
    assert unflow(text) == "A long paragraph.\n\nBest,\nJenna\n-- \nJenna Park\n> quoted line\n"
    assert unflow("Hel \nlo", delete_space=True) == "Hello"
