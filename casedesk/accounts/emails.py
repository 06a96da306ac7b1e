"""Emails sent by the accounts app: one function per kind, each a subject/text/html template triplet.

Callers send these after their transaction commits (``transaction.on_commit``); the raw token in
a link exists only in memory and in the email itself, so these cannot be queued as tasks by id.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def _send(kind: str, to: str, context: dict[str, Any]) -> None:
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"accounts/emails/{kind}_subject.txt", context).split())
    text = render_to_string(f"accounts/emails/{kind}.txt", context)
    html = render_to_string(f"accounts/emails/{kind}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def send_magic_link_email(*, to: str, contact_name: str, agency_name: str, case_title: str, url: str) -> None:
    _send(
        "magic_link",
        to,
        {"contact_name": contact_name, "agency_name": agency_name, "case_title": case_title, "url": url},
    )


def send_invitation_email(
    *, to: str, agency_name: str, inviter_name: str, role_label: str, url: str, days: int
) -> None:
    _send(
        "invitation",
        to,
        {
            "agency_name": agency_name,
            "inviter_name": inviter_name,
            "role_label": role_label,
            "url": url,
            "days": days,
        },
    )
