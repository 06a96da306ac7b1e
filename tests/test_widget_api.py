"""The widget's public API: visibility decided by the server, CORS, visitor tokens, verified
identity, rate limits and clear JSON errors (never a 500 on bad input)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from casedesk.support.identity import identity_hash, url_matches, widget_settings_for
from casedesk.support.models import Visitor
from tests.conftest import Cast
from tests.support_helpers import SITE, Widget, triage_stub  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def widget_on(cast: Cast) -> Cast:
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    return cast


def test_bootstrap_refuses_while_the_widget_is_off_for_customers(cast: Cast) -> None:
    response = Widget("acme").bootstrap()
    assert response.status_code == 403
    assert "turned off" in response.json()["error"]
    assert "token" not in response.json()


def test_storefront_page_does_not_include_the_script_while_off(cast: Cast) -> None:
    assert b"support/widget.js" not in HttpClient().get("/s/acme/").content
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    assert b"support/widget.js" in HttpClient().get("/s/acme/").content


def test_excluded_page_gets_nothing_and_other_pages_still_do(widget_on: Cast) -> None:
    row = widget_settings_for(widget_on.agency_a)
    row.exclude_patterns = "*/s/acme/pricing/*"
    row.save()
    assert Widget("acme").bootstrap(f"{SITE}/s/acme/pricing/").status_code == 403
    assert b"support/widget.js" not in HttpClient().get("/s/acme/pricing/").content
    assert Widget("acme").bootstrap(f"{SITE}/s/acme/").status_code == 200


def test_portal_and_storefront_switches(widget_on: Cast) -> None:
    row = widget_settings_for(widget_on.agency_a)
    row.show_on_storefront = False
    row.show_on_portal = False
    row.save()
    assert Widget("acme").bootstrap(f"{SITE}/s/acme/").status_code == 403
    assert Widget("acme").bootstrap(f"{SITE}/my-cases/").status_code == 403
    row.show_on_portal = True
    row.save()
    assert Widget("acme").bootstrap(f"{SITE}/my-cases/").status_code == 200


def test_other_website_needs_its_origin_allowed_and_gets_cors_headers(widget_on: Cast) -> None:
    shop = "https://shop.example.com"
    refused = Widget("acme", origin=shop).bootstrap(f"{shop}/products/1")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused
    row = widget_settings_for(widget_on.agency_a)
    row.allowed_origins = shop
    row.include_patterns = "shop.example.com/products/*"
    row.save()
    allowed = Widget("acme", origin=shop).bootstrap(f"{shop}/products/1")
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == shop
    assert Widget("acme", origin=shop).bootstrap(f"{shop}/about").status_code == 403  # not included
    # The page address must belong to the calling origin.
    assert Widget("acme", origin=shop).bootstrap("https://evil.example.net/products/1").status_code == 400
    preflight = HttpClient().options("/widget/api/acme/bootstrap", headers={"Origin": shop})
    assert preflight.status_code == 204
    assert "X-Visitor-Token" in preflight["Access-Control-Allow-Headers"]


def test_third_party_pages_never_get_a_cookie(widget_on: Cast) -> None:
    shop = "https://shop.example.com"
    row = widget_settings_for(widget_on.agency_a)
    row.allowed_origins = shop
    row.save()
    response = Widget("acme", origin=shop).bootstrap(f"{shop}/")
    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.usefixtures("triage_stub")
def test_returning_visitor_keeps_history_with_the_same_token(widget_on: Cast) -> None:
    widget = Widget("acme")
    widget.bootstrap()
    widget.ask("Where is my invoice?")
    again = Widget("acme")
    again.token = widget.token  # the same browser's localStorage
    data = again.bootstrap().json()
    assert [c["subject"] for c in data["conversations"]] == ["Where is my invoice?"]
    assert Visitor.objects.filter(agency=widget_on.agency_a).count() == 1


@pytest.mark.usefixtures("triage_stub")
def test_verified_identity_follows_the_person_across_devices(widget_on: Cast) -> None:
    secret = widget_settings_for(widget_on.agency_a).identity_secret
    identity = {"user_id": "cust-42", "user_hash": identity_hash(secret, "cust-42"), "name": "Quinn"}
    laptop = Widget("acme")
    laptop.bootstrap(identity=identity)
    laptop.ask("Where is my invoice?")
    phone = Widget("acme")  # another device: no token
    data = phone.bootstrap(identity=identity).json()
    assert data["visitor"] == {"name": "Quinn", "known": True}
    assert len(data["conversations"]) == 1
    forged = Widget("acme").bootstrap(identity={"user_id": "cust-42", "user_hash": "0" * 64})
    assert forged.status_code == 400
    assert "HMAC-SHA256" in forged.json()["error"]


def test_signed_in_portal_client_is_known(widget_on: Cast) -> None:
    widget = Widget("acme", http=widget_on.login(widget_on.carol_user))
    data = widget.bootstrap(f"{SITE}/my-cases/").json()
    assert data["visitor"] == {"name": "Carol Client", "known": True}
    visitor = Visitor.objects.get(agency=widget_on.agency_a, user=widget_on.carol_user)
    assert visitor.contact == widget_on.carol


def test_platform_widget_is_only_for_signed_in_agency_teams(cast: Cast) -> None:
    assert Widget("platform").bootstrap(f"{SITE}/cases/").status_code == 403
    assert Widget("platform", http=cast.login(cast.carol_user)).bootstrap(f"{SITE}/cases/").status_code == 403
    assert Widget("platform", http=cast.login(cast.bob)).bootstrap(f"{SITE}/cases/").status_code == 200


def test_signed_in_visitors_token_is_useless_after_sign_out(cast: Cast) -> None:
    http = cast.login(cast.bob)
    widget = Widget("platform", http=http)
    widget.bootstrap(f"{SITE}/cases/")
    assert widget.get("/conversations").status_code == 200
    http.logout()
    assert widget.get("/conversations").status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"not json", "must be JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"body": ["a"]}).encode(), "must be text"),
        (json.dumps({"body": "   "}).encode(), "Write a message"),
        (json.dumps({"body": "x" * 4001}).encode(), "the limit is 4,000"),
    ],
)
def test_bad_input_gets_a_clear_json_error(widget_on: Cast, body: bytes, expected: str) -> None:
    widget = Widget("acme")
    widget.bootstrap()
    started = widget.post("/conversations", {}).json()["conversation"]["id"]
    response = widget.http.generic(
        "POST",
        f"/widget/api/acme/conversations/{started}/messages",
        body,
        content_type="application/json",
        headers=widget.headers(),
    )
    assert response.status_code == 400
    assert expected in response.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/widget/api/nobody/bootstrap",
        "/widget/api/acme/conversations/not-a-uuid",
        "/widget/api/acme/conversations/00000000-0000-0000-0000-000000000000",
        "/widget/api/acme/conversations/00000000-0000-0000-0000-000000000000?after=x",
    ],
)
def test_unknown_things_are_404_json_not_500(widget_on: Cast, path: str) -> None:
    widget = Widget("acme")
    widget.bootstrap()
    response = widget.http.get(path, headers=widget.headers())
    assert response.status_code in (404, 405)
    assert response.json()["error"]


@pytest.mark.usefixtures("triage_stub")
def test_feedback_needs_a_message_id_and_a_boolean(widget_on: Cast) -> None:
    widget = Widget("acme")
    widget.bootstrap()
    public_id = widget.ask("Where is my invoice?").json()["conversation"]["id"]
    response = widget.post(f"/conversations/{public_id}/feedback", {"message_id": "7", "helpful": "yes"})
    assert response.status_code == 400
    assert "true or false" in response.json()["error"]


@pytest.fixture
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limits count per minute-long window; hold the clock mid-window so a test never
    straddles a window boundary (which reset the counts and made these tests flaky)."""
    from casedesk.support import ratelimit

    frozen = (int(ratelimit.time.time()) // ratelimit.WINDOW_SECONDS) * ratelimit.WINDOW_SECONDS + 30
    monkeypatch.setattr(ratelimit.time, "time", lambda: float(frozen))


@pytest.mark.usefixtures("one_window")
def test_rate_limits_per_token_and_per_ip(widget_on: Cast, settings: Any) -> None:
    settings.SUPPORT_WIDGET_RATE_LIMITS = {"token": 3, "ip": 5}
    widget = Widget("acme")
    widget.bootstrap()  # 1 for the IP
    statuses = [widget.get("/conversations").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = widget.get("/conversations")
    assert "Too many requests" in limited.json()["error"]
    assert int(limited["Retry-After"]) >= 1
    # Another token from the same IP runs into the IP limit.
    other = Widget("acme")
    assert other.bootstrap().status_code == 429


@pytest.mark.usefixtures("one_window")
def test_rate_limit_per_tenant(widget_on: Cast, settings: Any) -> None:
    settings.SUPPORT_WIDGET_RATE_LIMITS = {"tenant": 2}
    assert Widget("acme").bootstrap().status_code == 200
    assert Widget("acme").bootstrap().status_code == 200
    assert Widget("acme").bootstrap().status_code == 429


@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("https://shop.example.com/products/*", "https://shop.example.com/products/12?x=1", True),
        ("shop.example.com/checkout*", "http://shop.example.com/checkout/pay", True),
        ("shop.example.com/checkout*", "https://shop.example.com/cart", False),
        ("*/s/acme/pricing/*", "http://testserver/s/acme/pricing/", True),
        ("*.example.com/*", "https://blog.example.com/post", True),
        ("https://a.example.com/", "https://a.example.com/x", False),
    ],
)
def test_url_patterns_use_star_wildcards(pattern: str, url: str, matches: bool) -> None:
    assert url_matches(pattern, url) is matches
