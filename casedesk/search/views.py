"""Search pages: the team's (one agency, internal notes included) and the portal's (own cases).

Thin: viewer → scope from the access module → form → ``service.search`` → page. A search hit
links to its thread page opened at that message (``?before=`` its id + 1, ``#m<id>``).
"""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from casedesk.accounts.access import access_current_agency, viewer_from_request
from casedesk.accounts.decorators import client_required, team_required
from casedesk.accounts.models import Client, Contact, Membership, User
from casedesk.cases.access import client_cases, visible_cases
from casedesk.search.forms import SearchForm
from casedesk.search.service import Hit, SearchResults, search

CASE_CHOICES = 100
AUTHOR_CHOICES = 300


def hit_url(hit: Hit, *, team: bool) -> str:
    prefix = "cases" if team else "portal"
    if hit.message_id is not None:
        return (
            reverse(f"{prefix}:messages", args=[hit.case.pk])
            + f"?before={hit.message_id + 1}#m{hit.message_id}"
        )
    return reverse(f"{prefix}:documents", args=[hit.case.pk]) + f"#d{hit.pk}"


def _with_urls(results: SearchResults | None, *, team: bool) -> None:
    if results is None:
        return
    for group in results.groups:
        for hit in group.hits:
            hit.url = hit_url(hit, team=team)


def _page_links(request: HttpRequest, results: SearchResults | None) -> dict[str, str]:
    if results is None:
        return {}
    links = {}
    params = request.GET.copy()
    if results.has_previous:
        params["page"] = str(results.page - 1)
        links["previous"] = "?" + params.urlencode()
    if results.has_next:
        params["page"] = str(results.page + 1)
        links["next"] = "?" + params.urlencode()
    return links


@require_GET
@team_required
def team_search(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer)
    form = SearchForm(request.GET)
    results = None
    if form.is_valid() and form.cleaned_data["q"] is not None:
        results = search(
            viewer,
            form.cleaned_data["q"],
            form.filters(),
            agency_id=agency.pk,
            page=form.cleaned_data.get("page") or 1,
        )
    _with_urls(results, team=True)
    selected_case = form.cleaned_data.get("case") if form.is_valid() else None
    cases = (
        visible_cases(viewer)
        .filter(agency=agency)
        .annotate(activity_at=Coalesce("last_message_at", "created_at"))
        .order_by("-activity_at", "-pk")
    )
    context: dict[str, Any] = {
        "agency": agency,
        "form": form,
        "results": results,
        "links": _page_links(request, results),
        "errors": form.error_sentences() if form.is_bound else [],
        "params": request.GET,
        "is_team": True,
        "cases": list(cases.only("pk", "number", "title")[:CASE_CHOICES]),
        "selected_case": selected_case,
        "clients": list(Client.objects.filter(agency=agency).order_by("name").only("pk", "name")),
        "team_authors": [
            (f"u{u.pk}", u.name or u.email)
            for u in User.objects.filter(pk__in=Membership.objects.filter(agency=agency).values("user_id"))
            .order_by("name")
            .only("pk", "name", "email")
        ],
        "client_authors": [
            (f"c{c.pk}", c.name)
            for c in Contact.objects.filter(agency=agency)
            .order_by("name")
            .only("pk", "name")[:AUTHOR_CHOICES]
        ],
    }
    status = 200 if not form.errors else 400
    return render(request, "search/results.html", context, status=status)


@require_GET
@client_required
def portal_search(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    form = SearchForm(request.GET)
    results = None
    if form.is_valid() and form.cleaned_data["q"] is not None:
        filters = form.filters()
        # Clients filter by case, dates, files and order; author and internal filters are the team's.
        filters = type(filters)(
            case_id=filters.case_id,
            date_from=filters.date_from,
            date_to=filters.date_to,
            has_file=filters.has_file,
            order=filters.order,
        )
        results = search(
            viewer, form.cleaned_data["q"], filters, as_client=True, page=form.cleaned_data.get("page") or 1
        )
    _with_urls(results, team=False)
    context: dict[str, Any] = {
        "form": form,
        "results": results,
        "links": _page_links(request, results),
        "errors": form.error_sentences() if form.is_bound else [],
        "params": request.GET,
        "is_team": False,
        "cases": list(client_cases(viewer).order_by("-pk").only("pk", "number", "title")[:CASE_CHOICES]),
    }
    status = 200 if not form.errors else 400
    return render(request, "search/portal_results.html", context, status=status)
