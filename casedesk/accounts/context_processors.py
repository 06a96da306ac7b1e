from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from casedesk.accounts.access import Viewer, current_agency, team_agencies, viewer_from_request
from casedesk.accounts.models import Agency


def request_current_agency(request: HttpRequest, viewer: Viewer) -> Agency | None:
    """``current_agency`` worked out once per request: several sidebar figures need it, and on a
    case page it costs a query (the case's agency)."""
    if not hasattr(request, "_casedesk_current_agency"):
        request._casedesk_current_agency = current_agency(request, viewer)  # type: ignore[attr-defined]
    return request._casedesk_current_agency  # type: ignore[attr-defined,no-any-return]


class SidebarFigures:
    """The sidebar's figures for one request (badge counts, the widget's platform agency), read
    together in ONE query the first time the page uses any of them.

    Each app's context processor still decides its own figure (a queryset from its access rules)
    and hands it here; the template gets a lazy value. Five small queries per team page became one
    (issue 8: the thread page's time went largely to query round trips on a busy machine).
    Adding a name again replaces it (a test may reuse a request for another user).
    """

    def __init__(self) -> None:
        self._pending: dict[str, tuple[str, list[Any], Any]] = {}
        self._values: dict[str, Any] = {}

    @classmethod
    def of(cls, request: HttpRequest) -> SidebarFigures:
        figures = getattr(request, "_casedesk_sidebar_figures", None)
        if figures is None:
            figures = cls()
            request._casedesk_sidebar_figures = figures  # type: ignore[attr-defined]
        return figures

    def count(self, name: str, queryset: QuerySet[Any]) -> Any:
        """Lazy ``queryset.count()``."""
        inner = queryset.order_by().values("pk")
        return self._add(name, inner, "(SELECT COUNT(*) FROM ({sql}) AS figure)", 0)

    def first_value(self, name: str, queryset: QuerySet[Any], field: str) -> Any:
        """Lazy ``queryset.values_list(field, flat=True).first()`` (None when there is no row)."""
        inner = queryset.values(field)[:1]
        return self._add(name, inner, "({sql})", None)

    def lazy(self, name: str, then: Callable[[Any], Any] = lambda value: value) -> Any:
        return SimpleLazyObject(lambda: then(self._value(name)))

    def _add(self, name: str, queryset: QuerySet[Any], shape: str, empty: Any) -> Any:
        self._values.pop(name, None)
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # e.g. ``agency_id__in=[]``: nothing can match
            self._pending.pop(name, None)
            self._values[name] = empty
        else:
            self._pending[name] = (shape.format(sql=sql), list(params), empty)
        return self.lazy(name)

    def _value(self, name: str) -> Any:
        if name not in self._values:
            self._fetch()
        return self._values[name]

    def _fetch(self) -> None:
        names = list(self._pending)
        if not names:
            return
        parts = [self._pending[name] for name in names]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(part[0] for part in parts),
                [param for part in parts for param in part[1]],
            )
            row = cursor.fetchone()
        for name, part, value in zip(names, parts, row, strict=True):
            self._values[name] = part[2] if value is None else value
        self._pending.clear()


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the sidebar needs on every page. Cheap: one memberships query per request (cached)."""
    viewer = viewer_from_request(request)
    current = request_current_agency(request, viewer)
    return {
        "viewer": viewer,
        "team_agencies": team_agencies(viewer),
        "current_agency": current,
        "is_manager": bool(current and viewer.is_manager(current.pk)),
    }
