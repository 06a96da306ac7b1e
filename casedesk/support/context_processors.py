"""Sidebar figures and the widget decision for this app. Lazy: read only when a template uses
them, and then together with the other sidebar figures in one query (``SidebarFigures``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from casedesk.accounts.context_processors import SidebarFigures
from casedesk.accounts.models import Agency, Contact
from casedesk.support.models import WAITING_STATES, Conversation


def _team_widget(slug: str | None) -> dict[str, Any] | None:
    return {"slug": slug, "team": True} if slug else None


def _portal_widget(request: HttpRequest, viewer: Any) -> dict[str, Any] | None:
    """The customer widget on portal pages, for the first of the client's agencies that allows it."""
    from casedesk.support import identity

    if viewer.is_authenticated_user:
        contacts = Contact.objects.filter(user=viewer.user)
    else:
        contacts = Contact.objects.filter(pk__in=[grant.contact_id for grant in viewer.magic_grants])
    site_origin = request.build_absolute_uri("/").rstrip("/").lower()
    page_url = request.build_absolute_uri()
    # The client's agencies as a subquery: one query for the whole decision when none allows it.
    agencies = Agency.objects.filter(
        pk__in=contacts.values("agency_id"), support_widget_for_customers=True
    ).order_by("name")
    for agency in agencies:
        settings_row = identity.widget_settings_for(agency)
        if identity.customer_widget_placement(agency, settings_row, page_url, site_origin).allowed:
            return {"slug": agency.slug, "team": False}
    return None


def shell(request: HttpRequest) -> dict[str, Any]:
    """``support_waiting_count`` for the sidebar; ``support_widget`` for base.html's embed."""
    from casedesk.accounts.access import team_agencies, viewer_from_request

    if not hasattr(request, "user"):
        return {}
    viewer = viewer_from_request(request)
    agencies = team_agencies(viewer)
    context: dict[str, Any] = {}
    if agencies:
        wanted = request.session.get("agency_id") if hasattr(request, "session") else None
        current = next((a for a in agencies if a.pk == wanted), agencies[0])
        # Both read with the other sidebar figures, in one query, when the page uses them.
        figures = SidebarFigures.of(request)
        context["support_waiting_count"] = figures.count(
            "support_waiting_count", Conversation.objects.filter(agency=current, state__in=WAITING_STATES)
        )
        if any(not a.is_platform for a in agencies):
            platforms = Agency.objects.filter(is_platform=True).exclude(pk__in=[a.pk for a in agencies])
            figures.first_value("support_platform_slug", platforms.order_by("pk"), "slug")
            context["support_widget"] = figures.lazy("support_platform_slug", _team_widget)
    elif request.path.startswith("/my-cases") and (viewer.is_authenticated_user or viewer.magic_grants):
        context["support_widget"] = SimpleLazyObject(lambda: _portal_widget(request, viewer))
    return context
