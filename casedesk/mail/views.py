"""Mail pages: quarantine, the original of an emailed message, the dev mailbox."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.accounts.access import viewer_from_request
from casedesk.accounts.models import Contact, User
from casedesk.cases.actions import do_set_email_preference
from casedesk.cases.models import Case, CaseContact, EmailPreference
from casedesk.lib.errors import ActionError
from casedesk.mail import access, actions, preferences
from casedesk.mail.forms import DevReplyForm, QuarantineAcceptForm
from casedesk.mail.models import CapturedEmail


def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like login_required, but a magic-link session (a contact with no account) gets a 404:
    these pages belong to accounts, and sending that contact to a sign-in form would mislead."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if viewer_from_request(request).magic_grants:
            raise Http404("Not found.")
        return redirect_to_login(request.get_full_path())

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


# --- Quarantine -----------------------------------------------------------------------------------


@signed_in
def quarantine_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    if not viewer.memberships():
        raise Http404("Not found.")
    rows = list(access.quarantined_emails(viewer)[:200])
    return render(request, "mail/quarantine_list.html", {"rows": rows})


@signed_in
@require_http_methods(["GET", "POST"])
def quarantine_detail(request: HttpRequest, inbound_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    row = access.access_quarantined_email(viewer, inbound_id)
    agency_id = row.agency_id or 0  # quarantined mail always has an agency (access checks it)
    cases = Case.objects.filter(agency_id=agency_id).order_by("-updated_at")[:200]
    contacts = Contact.objects.filter(agency_id=agency_id).order_by("name")
    form = QuarantineAcceptForm(
        request.POST or None,
        cases=cases,
        contacts=contacts,
        initial={"case": row.case_id, "contact": row.contact_id},
    )
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "reject":
                actions.do_reject_quarantined_email(inbound=row, actor=_user(request))
                messages.success(request, "The email was rejected; it stays recorded but is not posted.")
                return redirect("mail:quarantine")
            if form.is_valid():
                case, contact = form.cleaned_data["case"], form.cleaned_data["contact"]
                actions.do_accept_quarantined_email(
                    inbound=row, case=case, contact=contact, actor=_user(request)
                )
                messages.success(request, f"The email was posted to {case.reference} as {contact.name}.")
                return redirect("mail:quarantine")
        except ActionError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
    case_contact_ids = set(
        CaseContact.objects.filter(case_id=row.case_id or 0).values_list("contact_id", flat=True)
    )
    return render(
        request,
        "mail/quarantine_detail.html",
        {"row": row, "form": form, "case_contact_ids": case_contact_ids},
    )


# --- A person's email preferences -----------------------------------------------------------------


# --- The original of a message that came by email (team only) --------------------------------------


@signed_in
def original_email(request: HttpRequest, message_id: int) -> HttpResponse:
    row = access.access_original_email(viewer_from_request(request), message_id)
    template = (
        "mail/partials/original_email.html"
        if request.headers.get("HX-Request")
        else ("mail/original_email.html")
    )
    return render(request, template, {"row": row})


# --- Dev mailbox (demo/debug only) -----------------------------------------------------------------


def dev_mailbox_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Off outside demo/debug mode (404 for everyone, before anything else); then like every
    account page: nobody signed in → the sign-in page, a magic-link session → 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.dev_mailbox_enabled():
            raise Http404("Not found.")
        return signed_in(view)(request, *args, **kwargs)

    return wrapper


@dev_mailbox_page
def dev_mailbox(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    captured = access.visible_captured_emails(viewer).defer("raw", "html").order_by("-created_at")[:100]
    return render(
        request,
        "mail/dev_mailbox.html",
        {"captured": captured, "sees_everything": viewer.is_platform_staff},
    )


@dev_mailbox_page
def dev_mailbox_detail(request: HttpRequest, captured_id: int) -> HttpResponse:
    item = access.access_captured_email(viewer_from_request(request), captured_id)
    form = DevReplyForm(initial={"body": "Thanks, that works for us."})
    return render(request, "mail/dev_mailbox_detail.html", {"item": item, "form": form})


@dev_mailbox_page
def dev_mailbox_html(request: HttpRequest, captured_id: int) -> HttpResponse:
    """The captured HTML, served sandboxed (no scripts, no same-origin) for the preview frame."""
    item = access.access_captured_email(viewer_from_request(request), captured_id)
    response = HttpResponse(item.html or "<p>(no HTML part)</p>", content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = (
        "sandbox allow-popups allow-popups-to-escape-sandbox; script-src 'none'"
    )
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def build_reply(
    item: CapturedEmail, body: str, attachment: tuple[str, bytes, str] | None = None
) -> EmailMessage:
    """A reply as a mail client would write it: new text on top, the original quoted below."""
    reply = EmailMessage()
    reply["From"] = item.to_addresses[0] if item.to_addresses else "someone@example.com"
    reply["To"] = item.reply_to or parseaddr(item.from_address)[1]
    subject = item.subject
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Message-ID"] = make_msgid(domain="client.example")
    if item.message_id:
        reply["In-Reply-To"] = item.message_id
        reply["References"] = item.message_id
    quoted = "\n".join(f"> {line}" for line in item.text.splitlines())
    sender = parseaddr(item.from_address)[0] or parseaddr(item.from_address)[1]
    when = item.created_at.strftime("%a, %b %d, %Y at %I:%M %p")
    reply.set_content(
        f"{body}\n\nOn {when}, {sender} <{parseaddr(item.from_address)[1]}> wrote:\n\n{quoted}\n"
    )
    if attachment is not None:
        name, data, content_type = attachment
        maintype, _, subtype = content_type.partition("/")
        reply.add_attachment(
            data, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=name
        )
    return reply


@dev_mailbox_page
@require_POST
def dev_mailbox_reply(request: HttpRequest, captured_id: int) -> HttpResponse:
    """Send a reply as the recipient, over real SMTP, to the built-in inbound server.

    Only on mail the viewer may see (checked again here, whatever the form said), and only as
    that mail's recipient to its own Reply-To address: the inbound pipeline then applies its
    usual checks (reply token, sender, loops, rate limits) as for any other email.
    """
    item = access.access_captured_email(viewer_from_request(request), captured_id)
    if not item.reply_to:
        raise Http404("This email has no reply address.")
    form = DevReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "mail/dev_mailbox_detail.html", {"item": item, "form": form}, status=400)
    upload = form.cleaned_data.get("attachment")
    attachment = None
    if upload is not None:
        attachment = (upload.name, upload.read(), upload.content_type or "application/octet-stream")
    reply = build_reply(item, form.cleaned_data["body"], attachment)
    try:
        with smtplib.SMTP(settings.INBOUND_SMTP_HOST, settings.INBOUND_SMTP_PORT, timeout=15) as smtp:
            smtp.send_message(reply)
    except (OSError, smtplib.SMTPException) as error:
        form.add_error(
            None,
            f"The reply could not be sent to the inbound SMTP server at {settings.INBOUND_SMTP_HOST}:"
            f"{settings.INBOUND_SMTP_PORT} ({error}). Start it with `casedesk run` or `casedesk smtpd`, "
            "then try again.",
        )
        return render(request, "mail/dev_mailbox_detail.html", {"item": item, "form": form}, status=502)
    messages.success(
        request,
        f"Reply sent over SMTP as {reply['From']}. It appears in the thread once the worker processes it.",
    )
    return redirect("mail:dev_mailbox")


REFUSED_PREFERENCES_LINK = (
    "This link does not work: it may have been cut short or changed on the way, or you are no "
    "longer a contact on this case. Use the link in the latest email about the case, or ask the "
    "agency to change your email settings."
)


@csrf_exempt  # RFC 8058 one-click POSTs come from mailbox providers, with no cookie or token
@require_http_methods(["GET", "POST"])
def email_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Choose how this case's email reaches you; no sign-in (the signed link is the authority).

    GET shows the choices and changes nothing. POST ``preference=<choice>`` sets it; a POST
    without one (``List-Unsubscribe=One-Click``) sets "none".
    """
    try:
        row = preferences.case_contact_for_token(token)
    except preferences.InvalidPreferencesLink:
        return render(
            request, "mail/email_preferences.html", {"refused": REFUSED_PREFERENCES_LINK}, status=400
        )
    error = ""
    saved = False
    if request.method == "POST":
        choice = request.POST.get("preference", EmailPreference.NONE)
        try:
            do_set_email_preference(case_contact=row, preference=choice)
        except ActionError as exc:
            error = exc.message
        else:
            saved = True
    context = {
        "row": row,
        "case": row.case,
        "choices": EmailPreference.choices,
        "saved": saved,
        "error": error,
    }
    return render(request, "mail/email_preferences.html", context, status=400 if error else 200)
