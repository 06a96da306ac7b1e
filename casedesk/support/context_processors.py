"""Sidebar figures and the widget decision for this app. Each costs at most one cheap query,
and only when a template uses it (lazy)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from casedesk.accounts.models import Agency, Contact
from casedesk.support.models import WAITING_STATES, Conversation


def _team_widget(team_agency_ids: list[int]) -> dict[str, Any] | None:
    platform = Agency.objects.filter(is_platform=True).exclude(pk__in=team_agency_ids).values("slug").first()
    return {"slug": platform["slug"], "team": True} if platform else None


def _portal_widget(request: HttpRequest, viewer: Any) -> dict[str, Any] | None:
    """The customer widget on portal pages, for the first of the client's agencies that allows it."""
    from casedesk.support import identity

    if viewer.is_authenticated_user:
        agency_ids = list(Contact.objects.filter(user=viewer.user).values_list("agency_id", flat=True))
    else:
        contact_ids = [grant.contact_id for grant in viewer.magic_grants]
        agency_ids = list(Contact.objects.filter(pk__in=contact_ids).values_list("agency_id", flat=True))
    site_origin = request.build_absolute_uri("/").rstrip("/").lower()
    page_url = request.build_absolute_uri()
    for agency in Agency.objects.filter(pk__in=agency_ids, support_widget_for_customers=True).order_by(
        "name"
    ):
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
        context["support_waiting_count"] = SimpleLazyObject(
            lambda: Conversation.objects.filter(agency=current, state__in=WAITING_STATES).count()
        )
        ids = [a.pk for a in agencies]
        if any(not a.is_platform for a in agencies):
            context["support_widget"] = SimpleLazyObject(lambda: _team_widget(ids))
    elif request.path.startswith("/my-cases") and (viewer.is_authenticated_user or viewer.magic_grants):
        context["support_widget"] = SimpleLazyObject(lambda: _portal_widget(request, viewer))
    return context
