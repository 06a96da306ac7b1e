"""Sign-in, password reset, magic links, invitations and the agency switcher."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.decorators import decorator_from_middleware
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from casedesk.accounts import actions, throttle
from casedesk.accounts.access import (
    AGENCY_SESSION_KEY,
    MAGIC_GRANTS_SESSION_KEY,
    invitation_for_token,
    magic_link_for_token,
    viewer_from_request,
)
from casedesk.accounts.forms import AcceptInvitationForm, FreshMagicLinkForm, PasswordResetForm, SignInForm
from casedesk.accounts.models import MagicLink, User, contact_is_on_case
from casedesk.lib.errors import ActionError


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Failures are counted, and refused while locked, in EmailBackend (admin sign-in too);
        # here a locked IP or account gets the 429 page instead of the form.
        sign_in = throttle.rule("sign-in")
        ip, account = throttle.client_ip(request), request.POST.get("username", "")
        if wait := throttle.retry_after(sign_in, ip=ip, account=account):
            return throttle.too_many(request, sign_in, wait)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200 and (wait := throttle.retry_after(sign_in, ip=ip, account=account)):
            return throttle.too_many(request, sign_in, wait)  # this failure reached the limit
        return response


class SignOutView(auth_views.LogoutView):
    """Sign out; for a magic-link visitor ("Forget this browser") also drop the browser's binding
    secret, so the links bound to this browser stop opening here: a fresh one comes by email."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH, samesite="Lax")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    # The form records the email and queues it; its link points at SITE_URL, not at whatever Host
    # header the request carried (casedesk.accounts.emails).
    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = throttle.refuse_or_count(request, "password-reset", request.POST.get("email", ""))
        return refused or super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class _NullOriginCsrfMiddleware(CsrfViewMiddleware):
    """CSRF protection for the magic-link forms, which live on ``Referrer-Policy: no-referrer``
    pages: under that policy browsers send ``Origin: null`` with the form's POST, which Django's
    origin check rejects. The CSRF token (cookie + form field) is still required and checked; only
    the literal ``null`` origin is let through to that check. Any other origin is checked as usual.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        return request.META.get("HTTP_ORIGIN") == "null" or super()._origin_verified(request)  # type: ignore[misc]  # not in django-stubs


_csrf_protect_null_origin = decorator_from_middleware(_NullOriginCsrfMiddleware)


def _no_referrer(response: HttpResponse) -> HttpResponse:
    """Magic-link pages carry the token in their URL: never send it on as a Referer."""
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def _link_is_live(link: MagicLink | None) -> bool:
    return link is not None and link.is_usable and contact_is_on_case(link.contact_id, link.case_id)


def portal_case_url(case_id: int) -> str:
    """Where a client lands for a case: its thread once that page exists, else the case page."""
    try:
        return reverse("portal:messages", args=[case_id])
    except NoReverseMatch:
        return reverse("portal:detail", args=[case_id])


# The browser's binding secret for magic links (see MagicLink): HttpOnly, SameSite=Lax, sent only
# to the magic-link pages, kept for a year (Chromium caps cookie lifetimes at 400 days).
BROWSER_COOKIE = "casedesk_browser"
BROWSER_COOKIE_MAX_AGE = 365 * 24 * 3600
BROWSER_COOKIE_PATH = "/accounts/magic/"
_BROWSER_SECRET = re.compile(r"[A-Za-z0-9_-]{32,128}\Z")


def _browser_secret(request: HttpRequest) -> str | None:
    value = request.COOKIES.get(BROWSER_COOKIE, "")
    return value if _BROWSER_SECRET.match(value) else None


def _set_browser_secret(response: HttpResponse, secret: str) -> None:
    response.set_cookie(
        BROWSER_COOKIE,
        secret,
        max_age=BROWSER_COOKIE_MAX_AGE,
        path=BROWSER_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _other_browser(request: HttpRequest, link: MagicLink, token: str) -> HttpResponse:
    """The link was opened in another browser first: offer a fresh link by email instead."""
    return _no_referrer(
        render(request, "accounts/magic_other_browser.html", {"link": link, "token": token}, status=403)
    )


@csrf_exempt  # checked by _csrf_protect_null_origin instead (see _NullOriginCsrfMiddleware)
@never_cache
@_csrf_protect_null_origin
def magic_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a Continue button and leaves the token alone (mail scanners follow GETs);
    POST exchanges the token for a grant in this browser's session and drops it from the URL.

    The first browser to continue is bound to the link (``do_continue_magic_link``); the same
    browser may continue again, any other gets the "email me a fresh link" page, on GET too.
    """
    link = magic_link_for_token(token)
    if not _link_is_live(link):
        return _no_referrer(
            render(
                request,
                "accounts/magic_invalid.html",
                {"token": token, "form": FreshMagicLinkForm()},
                status=410,
            )
        )
    assert link is not None
    browser_secret = _browser_secret(request)
    if link.is_bound and not link.is_bound_to(browser_secret):
        return _other_browser(request, link, token)
    if request.method != "POST":
        return _no_referrer(render(request, "accounts/magic_continue.html", {"link": link, "token": token}))
    secret = actions.do_continue_magic_link(link=link, browser_secret=browser_secret)
    if secret is None:  # another browser continued a moment ago
        return _other_browser(request, link, token)
    grants = [
        g
        for g in request.session.get(MAGIC_GRANTS_SESSION_KEY, [])
        if isinstance(g, dict) and g.get("link") != link.pk
    ]
    grants.append({"link": link.pk, "contact": link.contact_id, "case": link.case_id})
    # A new session key at every change of privilege (session fixation).
    request.session.cycle_key()
    request.session[MAGIC_GRANTS_SESSION_KEY] = grants
    response = redirect(portal_case_url(link.case_id))
    _set_browser_secret(response, secret)
    return _no_referrer(response)


@csrf_exempt  # checked by _csrf_protect_null_origin instead (see _NullOriginCsrfMiddleware)
@never_cache
@require_POST
@_csrf_protect_null_origin
def magic_link_fresh(request: HttpRequest, token: str) -> HttpResponse:
    """Email a fresh link. Same page whatever happened, so nobody learns which addresses exist."""
    form = FreshMagicLinkForm(request.POST)
    if not form.is_valid():
        return _no_referrer(
            render(request, "accounts/magic_invalid.html", {"token": token, "form": form}, status=400)
        )
    if refused := throttle.refuse_or_count(request, "magic-link", form.cleaned_data["email"]):
        return _no_referrer(refused)
    link = magic_link_for_token(token)
    if link is not None:
        actions.do_send_fresh_magic_link(link=link, confirm_email=form.cleaned_data["email"])
    return _no_referrer(render(request, "accounts/magic_sent.html", {"email": form.cleaned_data["email"]}))


@csrf_exempt  # checked by _csrf_protect_null_origin instead (see _NullOriginCsrfMiddleware)
@never_cache
@require_POST
@_csrf_protect_null_origin
def magic_link_resend(request: HttpRequest, token: str) -> HttpResponse:
    """ "Email me a fresh link" from a browser the link is not bound to. The fresh link goes to the
    contact's own address (nothing is typed in), so only the contact can open it. Same page
    whatever happened."""
    link = magic_link_for_token(token)
    if _link_is_live(link):
        assert link is not None
        # The magic-link request rule of the fresh-link form, counted on the contact's address.
        if refused := throttle.refuse_or_count(request, "magic-link", link.contact.email):
            return _no_referrer(refused)
        actions.do_send_fresh_magic_link(link=link)
    return _no_referrer(render(request, "accounts/magic_sent.html", {"email": ""}))


@require_POST
def switch_agency(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    try:
        agency_id = int(request.POST.get("agency", ""))
    except ValueError:
        agency_id = 0
    if viewer.is_team(agency_id):
        request.session[AGENCY_SESSION_KEY] = agency_id
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("cases:list")
    # Pages that name an agency in their query string would keep showing the old one.
    return redirect(next_url.split("?", 1)[0])


@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: new people choose a name and password; existing accounts sign in first."""
    found = invitation_for_token(token)
    response: HttpResponse
    if found is None or not found.is_usable:
        response = render(request, "accounts/invitation_invalid.html", status=410)
        return _no_referrer(response)
    signed_in = request.user if isinstance(request.user, User) and request.user.is_authenticated else None
    has_account = User.objects.filter(email__iexact=found.email).exists()
    form = AcceptInvitationForm(request.POST or None) if not has_account else None
    error = ""
    if request.method == "POST":
        try:
            if has_account:
                if signed_in is None:
                    raise ActionError(f"Sign in as {found.email} first, then accept the invitation.")
                user = actions.do_accept_invitation(invitation=found, user=signed_in)
            else:
                assert form is not None
                if not form.is_valid():
                    raise ActionError("Fill in your name and a password to create your account.")
                user = actions.do_accept_invitation(
                    invitation=found, name=form.cleaned_data["name"], password=form.cleaned_data["password"]
                )
                login(request, user, backend="casedesk.accounts.backends.EmailBackend")
        except ActionError as exc:
            error = exc.message
        else:
            request.session[AGENCY_SESSION_KEY] = found.agency_id
            messages.success(request, f"Welcome to {found.agency.name}.")
            return redirect("cases:list")
    context = {
        "invitation": found,
        "form": form,
        "error": error,
        "has_account": has_account,
        "signed_in": signed_in,
        "login_url": f"{reverse('accounts:login')}?next={request.path}",
    }
    return _no_referrer(render(request, "accounts/invitation.html", context))
