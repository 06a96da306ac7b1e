"""Settings → Help centre (owners and admins): what the bot could not answer, and fixing it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from casedesk.accounts.access import access_current_agency, viewer_from_request
from casedesk.accounts.decorators import team_required
from casedesk.accounts.models import Agency
from casedesk.lib.errors import ActionError
from casedesk.support import help_actions, insights


def _page_url(agency: Agency) -> str:
    return f"{reverse('support:help_centre')}?agency={agency.pk}"


def _picked_ids(request: HttpRequest) -> list[int]:
    return [int(value) for value in request.POST.getlist("question") if value.isdigit()][
        : insights.MAX_QUESTIONS
    ]


@team_required
def help_centre(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer, manager=True)
    questions = insights.low_confidence_questions(viewer, agency)
    articles = list(
        insights.agency_articles(viewer, agency).only("pk", "title", "is_published", "example_questions")
    )
    groups = insights.group_questions(questions)
    context = {
        "agency": agency,
        "groups": list(zip(groups, insights.suggested_articles(groups, articles), strict=True)),
        "question_count": len(questions),
        "articles": articles,
        "drafts": [article for article in articles if not article.is_published],
        "window_days": insights.WINDOW_DAYS,
        "max_questions": insights.MAX_QUESTIONS,
        "settings_tab": "help_centre",
        "widget_settings_url": f"{reverse('support:widget_settings')}?agency={agency.pk}",
    }
    return render(request, "support/help_centre_insights.html", context)


@team_required
@require_POST
def add_example_questions(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer, manager=True)
    if not request.POST.get("article", "").strip():
        # The list opens on "Choose an article…" when no article is a clear match; the browser
        # asks for a choice, and a form sent without one gets the same sentence, not a 404.
        messages.error(request, "Choose the article to add these questions to, then press the button again.")
        return redirect(_page_url(agency))
    article = insights.access_article_as_manager(viewer, agency, request.POST.get("article", ""))
    picked = insights.low_confidence_questions(viewer, agency, message_ids=_picked_ids(request))
    try:
        added = help_actions.do_add_example_questions(
            article=article, questions=[question.text for question in picked]
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        if added:
            messages.success(
                request,
                f"Added {len(added)} example question{'s' if len(added) != 1 else ''} to “{article.title}”. "
                "The assistant uses them from the next question on.",
            )
        else:
            messages.info(request, f"“{article.title}” already has all of those example questions.")
    return redirect(_page_url(agency))


@team_required
@require_POST
def draft_article(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer, manager=True)
    picked = insights.low_confidence_questions(viewer, agency, message_ids=_picked_ids(request))
    try:
        draft = help_actions.do_draft_article_from_questions(
            agency=agency, questions=[question.text for question in picked]
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Drafted “{draft.title}” with {len(draft.example_question_list)} example questions. "
            "It stays unpublished, so visitors and the assistant do not see it until it is published.",
        )
    return redirect(_page_url(agency))
