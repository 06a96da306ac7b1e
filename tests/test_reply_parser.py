"""Reply extraction: quoted history and signatures removed, in many languages and clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from casedesk.mail.evaluation import evaluate, normalize
from casedesk.mail.replyparse import extract_reply, extract_reply_from_html

PUBLIC_SET = Path("/work/shared/data/email/cases.jsonl")

CASES: list[tuple[str, str, str]] = [
    (
        "english_gmail",
        "Sounds good.\n\nOn Mon, Mar 2, 2026 at 10:00 AM Bob <bob@acme.test> wrote:\n> Shall we?\n",
        "Sounds good.",
    ),
    (
        "english_outlook_from_sent_block",
        "Agreed.\n\n________________________________\nFrom: Bob <bob@acme.test>\nSent: Monday, March 2, 2026 "
        "10:00 AM\nTo: Carol\nSubject: Plan\n\nShall we?",
        "Agreed.",
    ),
    ("english_original_message", "Yes.\n\n-----Original Message-----\nFrom: Bob\nShall we?", "Yes."),
    (
        "french",
        "D'accord pour jeudi.\n\nLe lun. 2 mars 2026 à 10:00, Bob <bob@acme.test> a écrit :\n> On y va ?",
        "D'accord pour jeudi.",
    ),
    (
        "french_outlook",
        "Parfait.\n\nDe : Bob <bob@acme.test>\nEnvoyé : lundi 2 mars 2026 10:00\nÀ : Carol\n"
        "Objet : Plan\n\nOn y va ?",
        "Parfait.",
    ),
    (
        "german",
        "Passt mir gut.\n\nAm Mo., 2. März 2026 um 10:00 Uhr schrieb Bob <bob@acme.test>:\n> Sollen wir?",
        "Passt mir gut.",
    ),
    (
        "german_outlook",
        "Einverstanden.\n\nVon: Bob <bob@acme.test>\nGesendet: Montag, 2. März 2026 10:00\nAn: Carol\n"
        "Betreff: Plan\n\nSollen wir?",
        "Einverstanden.",
    ),
    (
        "spanish",
        "Me parece bien.\n\nEl lun, 2 mar 2026 a las 10:00, Bob (<bob@acme.test>) escribió:\n> ¿Vamos?",
        "Me parece bien.",
    ),
    (
        "spanish_outlook",
        "Perfecto.\n\nDe: Bob\nEnviado: lunes, 2 de marzo de 2026 10:00\nPara: Carol\n"
        "Asunto: Plan\n\n¿Vamos?",
        "Perfecto.",
    ),
    (
        "italian",
        "Va bene.\n\nIl giorno lun 2 mar 2026 alle ore 10:00 Bob <bob@acme.test> ha scritto:\n> Andiamo?",
        "Va bene.",
    ),
    (
        "portuguese",
        "Combinado.\n\nEm seg., 2 de mar. de 2026 às 10:00, Bob <bob@acme.test> escreveu:\n> Vamos?",
        "Combinado.",
    ),
    (
        "dutch",
        "Prima.\n\nOp ma 2 mrt 2026 om 10:00 schreef Bob <bob@acme.test>:\n> Zullen we?",
        "Prima.",
    ),
    (
        "swedish",
        "Låter bra.\n\nDen 2 mars 2026 kl. 10:00 skrev Bob <bob@acme.test>:\n> Ska vi?",
        "Låter bra.",
    ),
    (
        "danish_outlook",
        "Fint.\n\nFra: Bob <bob@acme.test>\nSendt: 2. marts 2026 10:00\nTil: Carol\nEmne: Plan\n\nSkal vi?",
        "Fint.",
    ),
    (
        "norwegian",
        "Det passer.\n\nman. 2. mar. 2026 kl. 10:00 skrev Bob <bob@acme.test>:\n> Skal vi?",
        "Det passer.",
    ),
    (
        "finnish",
        "Sopii.\n\nma 2. maalisk. 2026 klo 10.00 Bob <bob@acme.test> kirjoitti:\n> Mennäänkö?",
        "Sopii.",
    ),
    (
        "polish",
        "Pasuje.\n\nW dniu 2.03.2026 o 10:00, Bob <bob@acme.test> pisze:\n> Idziemy?\n",
        "Pasuje.",
    ),
    (
        "polish_napisal",
        "Pasuje.\n\npon., 2 mar 2026 o 10:00 Bob <bob@acme.test> napisał(a):\n> Idziemy?",
        "Pasuje.",
    ),
    (
        "russian",
        "Договорились.\n\nпн, 2 мар. 2026 г. в 10:00, Bob <bob@acme.test>:\n> Идём?",
        "Договорились.",
    ),
    (
        "russian_napisal",
        "Хорошо.\n\n2 марта 2026 г., в 10:00, Bob <bob@acme.test> написал:\n> Идём?",
        "Хорошо.",
    ),
    ("mobile_signature_iphone_german", "Bis dann.\n\nVon meinem iPhone gesendet", "Bis dann."),
    ("mobile_signature_spanish", "Gracias.\n\nEnviado desde mi iPhone", "Gracias."),
    ("mobile_signature_outlook", "Thanks!\n\nGet Outlook for iOS", "Thanks!"),
    (
        "dash_signature",
        "See you then.\n\n-- \nCarol Client\nGlobex | +1 555 0100",
        "See you then.",
    ),
    (
        "interleaved_reply_keeps_answers_below_quote",
        "On Mon, Mar 2, 2026 at 10:00 AM Bob <bob@acme.test> wrote:\n> Thursday?\nYes, Thursday.",
        "Yes, Thursday.",
    ),
    (
        "forwarded_message_kept",
        "FYI\n\n---------- Forwarded message ---------\nFrom: Dan <dan@x.test>\nSubject: Specs\n\nThe specs.",
        "FYI\n\n---------- Forwarded message ---------\nFrom: Dan <dan@x.test>\nSubject: Specs\n\nThe specs.",
    ),
    ("no_quote_untouched", "Just a note.\nSecond line.", "Just a note.\nSecond line."),
    (
        "sentence_starting_with_on_is_kept",
        "On second thought, Friday is better.\nLet me know.",
        "On second thought, Friday is better.\nLet me know.",
    ),
]


@pytest.mark.parametrize(("name", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_reply_text_is_extracted(name: str, body: str, expected: str) -> None:
    assert normalize(extract_reply(body).text) == normalize(expected)


def test_full_original_is_kept() -> None:
    body = "Yes.\n\nOn Mon, Mar 2, 2026 at 10:00 AM Bob <bob@acme.test> wrote:\n> Shall we?"
    parsed = extract_reply(body)
    assert parsed.text == "Yes." and "Shall we?" in parsed.full and parsed.had_quote


def test_a_fully_quoted_email_is_never_posted_empty() -> None:
    assert extract_reply("> only a quote\n> nothing else").text


def test_html_only_mail_is_made_safe_text() -> None:
    html = (
        '<p onclick="x()">Hi <b>team</b><script>alert(1)</script></p><img src="http://t.example/pixel">'
        '<div class="gmail_quote">On Mon Bob wrote:<blockquote>Old</blockquote></div>'
    )
    text = extract_reply_from_html(html).text
    assert "Hi" in text and "team" in text
    assert "<" not in text and "alert" not in text and "Old" not in text and "pixel" not in text


@pytest.mark.skipif(not PUBLIC_SET.exists(), reason="the public reply set is not on this machine")
def test_public_reply_set_scores_at_least_95_percent() -> None:
    report = evaluate(PUBLIC_SET)
    assert report.cases == 86
    assert report.rate >= 0.95, report.failures
