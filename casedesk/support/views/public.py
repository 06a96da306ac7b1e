"""Public pages: the help centres (/help/ and /s/<agency>/help/) and the demo storefront."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from casedesk.accounts.models import Agency
from casedesk.lib.markdown import render_markdown
from casedesk.support import actions, identity
from casedesk.support.models import HelpArticle
from casedesk.support.visitor_email import conversation_for_unsubscribe_token


def _agency(slug: str) -> Agency:
    agency = Agency.objects.filter(slug=slug, is_platform=False).first()
    if agency is None:
        raise Http404("No such help centre.")
    return agency


def customer_widget_allowed(request: HttpRequest, agency: Agency) -> bool:
    """Server-side: may this page include the agency's widget script at all?"""
    settings_row = identity.widget_settings_for(agency)
    site_origin = request.build_absolute_uri("/").rstrip("/").lower()
    return identity.customer_widget_placement(
        agency, settings_row, request.build_absolute_uri(), site_origin
    ).allowed


def _help_index(request: HttpRequest, agency: Agency | None) -> HttpResponse:
    articles = HelpArticle.objects.filter(agency=agency, is_published=True).order_by("title")
    return render(
        request,
        "support/help_index.html",
        {
            "agency": agency,
            "articles": articles,
            "show_widget": agency is not None and customer_widget_allowed(request, agency),
        },
    )


def _help_article(request: HttpRequest, agency: Agency | None, slug: str) -> HttpResponse:
    article = HelpArticle.objects.filter(agency=agency, slug=slug, is_published=True).first()
    if article is None:
        raise Http404("No such article.")
    return render(
        request,
        "support/help_article.html",
        {
            "agency": agency,
            "article": article,
            "body_html": render_markdown(article.body),
            "show_widget": agency is not None and customer_widget_allowed(request, agency),
        },
    )


def platform_help_index(request: HttpRequest) -> HttpResponse:
    return _help_index(request, None)


def platform_help_article(request: HttpRequest, slug: str) -> HttpResponse:
    return _help_article(request, None, slug)


def agency_help_index(request: HttpRequest, agency_slug: str) -> HttpResponse:
    return _help_index(request, _agency(agency_slug))


def agency_help_article(request: HttpRequest, agency_slug: str, slug: str) -> HttpResponse:
    return _help_article(request, _agency(agency_slug), slug)


def storefront(request: HttpRequest, agency_slug: str, page: str = "home") -> HttpResponse:
    """A small public site for the demo: where an agency's customers meet its widget."""
    agency = _agency(agency_slug)
    return render(
        request,
        "support/storefront.html",
        {"agency": agency, "page": page, "show_widget": customer_widget_allowed(request, agency)},
    )


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a session or token
def answer_email_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe from "a person answered" emails. The signed token is the only key."""
    conversation = conversation_for_unsubscribe_token(token)
    if conversation is None:
        return render(request, "support/answer_email_unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        conversation = actions.do_unsubscribe_answer_email(conversation=conversation)
    return render(request, "support/answer_email_unsubscribe.html", {"conversation": conversation})
