"""Hostile ids, paging values and bodies on every page, API operation and widget call: never a 5xx.

The walk is generated from the URL patterns and the OpenAPI schema, so a new page or operation
is covered without editing this file. Values include integers beyond 2**63 (PostgreSQL raises on
those unless the app refuses them first), negatives, zero and non-numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from casedesk.api.api import api
from casedesk.api.models import ApiToken
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

HUGE = "999999999999999999999999"
HOSTILE_INTS = [HUGE, str(2**63), str(2**31), "-1", "-" + HUGE, "0", "abc", "1.5", "1e3", "²", "", " 1"]
ONE_AT_A_TIME = [HUGE, "-1", "²", "abc"]
# Query parameters some page, widget call or API operation reads as a number or a choice.
QUERY_NAMES = ["page", "before", "after", "offset", "limit", "client", "assignee", "tenant", "status", "part"]
SKIP_PREFIXES = ("django-admin/", "webhooks/", "api/")  # Django's admin; anymail's views; the API below


def _patterns(
    resolvers: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, route)
        else:
            yield route, entry


def page_routes() -> list[str]:
    routes = []
    for route, _ in _patterns(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or route.startswith("^"):
            continue
        routes.append(route)
    # Signing out last, so the walk stays signed in for every other page.
    return sorted(set(routes), key=lambda route: (route == "accounts/logout/", route))


def _fill(route: str, cast: Cast, int_value: str | None) -> str:
    """A concrete path: int parameters get ``int_value`` (or a real id), others a real value."""

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return int_value if int_value is not None else str(cast.case_a.pk)
        if name in ("agency_slug",):
            return cast.agency_a.slug
        return "x" * 40

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _clients(cast: Cast) -> dict[str, HttpClient]:
    clients = {
        "owner": cast.login(cast.alice),
        "client": cast.login(cast.carol_user),
        "staff": cast.login(cast.pat),
        "anonymous": HttpClient(),
    }
    for client in clients.values():
        client.raise_request_exception = True  # a crash fails the test with its traceback
    return clients


def _assert_no_server_error(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"


def test_every_page_with_hostile_ids_and_paging_values_answers_below_500(cast: Cast) -> None:
    clients = _clients(cast)
    routes = page_routes()
    assert len(routes) > 30  # the walk found the site
    assert routes[-1] == "accounts/logout/"
    for route in routes:
        int_values = [None, HUGE, str(2**63)] if "<int:" in route else [None]
        for int_value in int_values:
            path = _fill(route, cast, int_value)
            for who, client in clients.items():
                plain = client.get(path)
                _assert_no_server_error(plain, f"{who} GET {path}")
                for hostile in HOSTILE_INTS if int_value is None else [HUGE]:
                    query = {name: hostile for name in QUERY_NAMES}
                    _assert_no_server_error(client.get(path, query), f"{who} GET {path} {hostile!r}")
                if plain.status_code == 200:
                    # One parameter at a time too: one refused value must not hide another's crash.
                    for name in QUERY_NAMES:
                        for hostile in ONE_AT_A_TIME:
                            response = client.get(path, {name: hostile})
                            _assert_no_server_error(response, f"{who} GET {path}?{name}={hostile!r}")
                _assert_no_server_error(client.post(path, {"page": HUGE}), f"{who} POST {path}")


@pytest.mark.parametrize("who", ["owner", "client", "anonymous"])
def test_every_page_refuses_unreadable_bodies_below_500(cast: Cast, who: str) -> None:
    client = _clients(cast)[who]
    for route in page_routes():
        path = _fill(route, cast, None)
        for body, content_type in _bad_bodies():
            response = client.generic("POST", path, body, content_type=content_type)
            _assert_no_server_error(response, f"{who} POST {path} {content_type}")


def _bad_bodies() -> list[tuple[bytes, str]]:
    part_header = b"X-Padding: " + b"a" * 20_000 + b"\r\n"
    return [
        (b'{"body": "unterminated', "application/json"),
        (b"\xff\xfe not text", "text/plain"),
        (b"--x\r\nContent-Disposition: form-data; name=body\r\n\r\nhi\r\n--x--\r\n", "multipart/form-data"),
        (
            b"--x\r\n" + part_header + b'Content-Disposition: form-data; name="body"\r\n\r\nhi\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
        ),
        (
            b"--x\r\nContent-Disposition: form-data; name=body\r\n\r\nno end",
            "multipart/form-data; boundary=x",
        ),
        ("&".join(f"f{i}=1" for i in range(1500)).encode(), "application/x-www-form-urlencoded"),
    ]


# --- the API ---------------------------------------------------------------------------------------


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    return [
        (path, method.upper(), operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def _api_client(cast: Cast) -> HttpClient:
    _, token = ApiToken.issue(cast.bob, "hostile input")
    client = HttpClient(headers={"Authorization": f"Bearer {token}"})
    client.raise_request_exception = True
    return client


def _assert_json_error(response: Any, what: str) -> None:
    _assert_no_server_error(response, what)
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), f"{what}: {response.content[:200]!r}"
        detail = response.json()["detail"]
        assert isinstance(detail, str) and detail.endswith("."), f"{what}: {detail!r}"


def _call(client: HttpClient, method: str, path: str, query: dict[str, str] | None = None) -> Any:
    if method == "GET":
        return client.get(path, query or {})
    suffix = "?" + "&".join(f"{k}={v}" for k, v in (query or {}).items()) if query else ""
    return client.generic(method, path + suffix, b"", content_type="application/json")


def test_every_api_operation_with_hostile_ids_and_paging_values_is_a_json_4xx(cast: Cast) -> None:
    client = _api_client(cast)
    operations = _operations()
    assert len(operations) >= 10
    for path, method, operation in operations:
        params = operation.get("parameters", [])
        path_names = [p["name"] for p in params if p["in"] == "path"]
        query_names = [p["name"] for p in params if p["in"] == "query"]
        real = {name: str(cast.case_a.pk) for name in path_names}
        for hostile in HOSTILE_INTS:
            for name in path_names:
                filled = path.format(**{**real, name: hostile or "0"})
                _assert_json_error(_call(client, method, filled), f"{method} {filled}")
            if query_names:
                filled = path.format(**real)
                for name in query_names:
                    response = _call(client, method, filled, {name: hostile})
                    _assert_json_error(response, f"{method} {filled}?{name}={hostile}")


def test_api_offsets_beyond_any_integer_are_a_422_with_a_sentence(cast: Cast) -> None:
    client = _api_client(cast)
    for path in ("/api/cases", f"/api/cases/{cast.case_a.pk}/documents"):
        response = client.get(path, {"offset": HUGE})
        assert response.status_code == 422
        assert "offset" in response.json()["detail"]


@pytest.mark.parametrize("path", ["messages", "documents"])
def test_api_multipart_without_a_boundary_is_a_400_with_a_sentence(cast: Cast, path: str) -> None:
    response = _api_client(cast).post(
        f"/api/cases/{cast.case_a.pk}/{path}", b"body=hi", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_form"
    assert "boundary" in response.json()["detail"]


def test_every_api_write_refuses_unreadable_bodies_with_json(cast: Cast) -> None:
    client = _api_client(cast)
    for path, method, _ in _operations():
        if method == "GET":
            continue
        filled = path.format(case_id=cast.case_a.pk, message_id=1, notification_id=1)
        for body, content_type in _bad_bodies():
            response = client.generic(method, filled, body, content_type=content_type)
            _assert_json_error(response, f"{method} {filled} {content_type}")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/no-such-thing"), ("DELETE", "/api/cases"), ("PUT", "/api/notifications/read-all")],
)
def test_api_unknown_paths_and_methods_are_json(cast: Cast, method: str, path: str) -> None:
    response = _api_client(cast).generic(method, path)
    assert response.status_code in (404, 405)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].endswith(".")
    if response.status_code == 405:
        assert response["Allow"]


# --- the widget --------------------------------------------------------------------------------


def test_widget_paging_and_bodies_with_hostile_values_answer_below_500(cast: Cast) -> None:
    from django.core.cache import cache

    from tests.support_helpers import Widget

    cache.clear()
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    widget = Widget(cast.agency_a.slug)
    widget.http.raise_request_exception = True
    assert widget.bootstrap().status_code == 200
    started = widget.ask("hello there")
    assert started.status_code == 201, started.content
    public_id = started.json()["conversation"]["id"]
    for hostile in HOSTILE_INTS:
        response = widget.get(f"/conversations/{public_id}?after={hostile}")
        _assert_no_server_error(response, f"after={hostile!r}")
        if response.status_code >= 400:
            assert response.json()["error"].endswith("."), response.content
    for suffix in ("/bootstrap", "/conversations", f"/conversations/{public_id}/messages"):
        for body, content_type in _bad_bodies():
            response = widget.http.generic(
                "POST", f"/widget/api/{widget.slug}{suffix}", body, content_type=content_type,
                headers=widget.headers(),
            )  # fmt: skip
            _assert_no_server_error(response, f"POST {suffix} {content_type}")
            # The widget takes multipart since it carries files; a multipart body that Django's
            # parser reads as a whole form (the one without its closing boundary) is a line like
            # any other. Everything else is refused, in the widget's JSON with a sentence.
            if body.endswith(b"no end") and suffix != "/bootstrap":
                assert response.status_code < 500, (suffix, response.content[:200])
                continue
            assert 400 <= response.status_code < 500, (suffix, content_type, response.content[:200])
            assert response.json()["error"].endswith("."), (suffix, content_type, response.content[:200])


def test_api_text_field_named_files_is_refused_not_dropped(cast: Cast) -> None:
    response = _api_client(cast).post(
        f"/api/cases/{cast.case_a.pk}/messages", {"body": "hi", "files": "true"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "files"
