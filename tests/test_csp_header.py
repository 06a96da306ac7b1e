"""Every HTML page carries a Content-Security-Policy whose scripts need 'self' or this response's
nonce: a crawl of the main pages as the team, platform staff, a portal client, a magic-link
visitor and an anonymous visitor."""

from __future__ import annotations

import re
from collections import deque

import pytest
from django.test import Client as HttpClient

from casedesk.accounts.models import MagicLink
from casedesk.cases.actions import do_post_message
from casedesk.support.models import HelpArticle
from tests.conftest import Cast

HREF = re.compile(r"""href=["'](/[^"'#]*)""")
NONCE_ATTR = re.compile(r"""\bnonce=["']([^"']+)["']""")
# Not pages: files, sign-out, JSON, Django's admin (its own templates; checked on its own below).
SKIP = re.compile(r"/(download|inline|thumbnail|logout|export)\b|^/(api|django-admin|static|widget)/|\.eml$")
MAX_PAGES_PER_VISITOR = 60


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_strict_policy(path: str, response: object) -> None:
    header = response.headers.get("Content-Security-Policy", "")  # type: ignore[attr-defined]
    assert header, f"{path} has no Content-Security-Policy"
    policy = directives(header)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts is not None, f"{path}: no script-src"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, f"{path}: {header}"
    assert "'unsafe-inline'" not in policy.get("style-src", []), f"{path}: {header}"
    assert policy.get("object-src") == ["'none'"], path
    assert policy.get("base-uri") == ["'self'"], path
    assert policy.get("form-action") == ["'self'"], path
    assert policy.get("frame-ancestors") == ["'none'"], path
    nonces = [s[len("'nonce-") : -1] for s in scripts if s.startswith("'nonce-")]
    assert len(nonces) == 1, f"{path}: script-src carries no nonce: {header}"
    body = response.content.decode()  # type: ignore[attr-defined]
    used = set(NONCE_ATTR.findall(body))
    assert used <= {nonces[0]}, f"{path}: the page uses a nonce that is not in its header"


def crawl(http: HttpClient, seeds: list[str]) -> list[str]:
    """Breadth-first over same-site links; returns the HTML pages it checked."""
    seen, queue, checked = set(seeds), deque(seeds), list[str]()
    while queue and len(checked) < MAX_PAGES_PER_VISITOR:
        path = queue.popleft()
        response = http.get(path, follow=True)
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        assert_strict_policy(path, response)
        checked.append(path)
        for link in HREF.findall(response.content.decode()):
            link = link.replace("&amp;", "&")
            if link not in seen and not SKIP.search(link):
                seen.add(link)
                queue.append(link)
    return checked


@pytest.fixture
def content(cast: Cast) -> Cast:
    do_post_message(case=cast.case_a, author_user=cast.bob, body="Hello Globex")
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    HelpArticle.objects.create(agency=cast.agency_a, slug="invoices", title="Invoices", body="Monthly.")
    return cast


def test_team_pages_carry_a_nonce_policy(content: Cast) -> None:
    pages = crawl(content.login(content.alice), ["/", "/cases/", f"/cases/{content.case_a.pk}/"])
    assert len(pages) >= 15, pages  # the crawl reached well past the start page


def test_platform_staff_pages_carry_a_nonce_policy(content: Cast) -> None:
    pages = crawl(content.login(content.pat), ["/", "/support/console/", "/admin/jobs/failed/"])
    assert len(pages) >= 5, pages


def test_portal_and_magic_link_pages_carry_a_nonce_policy(content: Cast) -> None:
    portal = crawl(content.login(content.carol_user), ["/my-cases/"])
    magic = crawl(content.magic_client(), ["/my-cases/"])
    assert len(portal) >= 3 and len(magic) >= 2, (portal, magic)


def test_public_pages_carry_a_nonce_policy(content: Cast) -> None:
    _, token = MagicLink.issue(content.erin, content.case_a)
    seeds = [
        "/accounts/login/",
        "/accounts/password-reset/",
        f"/accounts/magic/{token}/",
        "/accounts/magic/not-a-token/",
        "/help/",
        "/s/acme/",
        "/s/acme/help/",
        "/no-such-page/",
    ]
    pages = crawl(HttpClient(), seeds)
    assert set(seeds) <= set(pages)


def test_websocket_origin_of_this_host_is_allowed_and_no_other(client: HttpClient) -> None:
    response = client.get("/accounts/login/", HTTP_HOST="localhost")
    connect = directives(response.headers["Content-Security-Policy"])["connect-src"]
    assert connect == ["'self'", "ws://localhost", "wss://localhost"]


def test_each_response_gets_a_fresh_nonce(client: HttpClient) -> None:
    first = client.get("/accounts/login/").headers["Content-Security-Policy"]
    second = client.get("/accounts/login/").headers["Content-Security-Policy"]
    assert "'nonce-" in first and first != second


def test_files_served_inline_may_be_framed_only_by_our_own_pages() -> None:
    from casedesk.lib.files import FILE_CSP

    assert directives(FILE_CSP)["frame-ancestors"] == ["'self'"]
