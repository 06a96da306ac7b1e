"""Who is talking to the widget, and where the widget may show.

* **Visitor tokens** are ``django.core.signing`` payloads scoped to one agency (``{"v": visitor
  public id, "a": agency id}``), kept by the widget in localStorage. They are bearer tokens for
  the widget API only; no cookie is ever set on a third-party page.
* **Verified identity**: an agency's backend computes ``HMAC-SHA256(identity_secret, user_id)``
  (hex) and passes it with the user id; we recompute and compare in constant time.
* **Visibility** is decided here, on the server, for the bootstrap endpoint and for our own
  templates (portal and storefront), so a page that may not show the widget gets nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.core import signing

from casedesk.accounts.models import Agency
from casedesk.support.models import Visitor, WidgetSettings

TOKEN_SALT = "casedesk.support.visitor-token"  # noqa: S105 (a salt, not a secret)
TOKEN_MAX_AGE_SECONDS = 400 * 24 * 3600


def issue_visitor_token(visitor: Visitor) -> str:
    return signing.dumps({"v": str(visitor.public_id), "a": visitor.agency_id}, salt=TOKEN_SALT)


def read_visitor_token(token: str, agency_id: int) -> str | None:
    """The visitor public id in a valid token for this agency, or None (bad, expired, other agency)."""
    if not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != agency_id or not isinstance(data.get("v"), str):
        return None
    return str(data["v"])


FILE_TOKEN_SALT = "casedesk.support.file-link"  # noqa: S105 (a salt, not a secret)
FILE_TOKEN_MAX_AGE_SECONDS = 7 * 24 * 3600


def issue_file_token(visitor: Visitor, file_id: int) -> str:
    """A download link's key for one file of one visitor (links cannot carry the header token)."""
    return signing.dumps(
        {"f": file_id, "v": str(visitor.public_id), "a": visitor.agency_id}, salt=FILE_TOKEN_SALT
    )


def read_file_token(token: str, agency_id: int) -> tuple[int, str] | None:
    """(file id, visitor public id) from a valid link key for this agency, else None."""
    if not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=FILE_TOKEN_SALT, max_age=FILE_TOKEN_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or data.get("a") != agency_id
        or not isinstance(data.get("f"), int)
        or not isinstance(data.get("v"), str)
    ):
        return None
    return int(data["f"]), str(data["v"])


def identity_hash(secret: str, user_id: str) -> str:
    """What the agency's backend computes: hex HMAC-SHA256 of the user id with the widget secret."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_identity(settings_row: WidgetSettings, user_id: str, user_hash: str) -> bool:
    if not user_id or not user_hash or len(user_id) > 200:
        return False
    return hmac.compare_digest(identity_hash(settings_row.identity_secret, user_id), user_hash.lower())


def widget_settings_for(agency: Agency) -> WidgetSettings:
    row, _ = WidgetSettings.objects.get_or_create(agency=agency)
    return row


# --- where the widget may show -------------------------------------------------------------


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$", re.IGNORECASE)


def url_matches(pattern: str, url: str) -> bool:
    """``*`` matches any run of characters; a pattern without a scheme matches on any scheme."""
    pattern = pattern.strip()
    if not pattern:
        return False
    if "://" not in pattern and not pattern.startswith("*"):
        pattern = "*://" + pattern
    return bool(_compile(pattern).match(url))


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, or "" when it is not a full, well-formed URL."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[x/": an unclosed IPv6 literal
        return ""
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


class PageKind:
    PORTAL = "portal"
    STOREFRONT = "storefront"
    TEAM_APP = "team_app"
    EXTERNAL = "external"


@dataclass(frozen=True)
class Placement:
    allowed: bool
    reason: str


def page_kind(agency: Agency, page_url: str, site_origin: str) -> str:
    if origin_of(page_url) != site_origin.lower():
        return PageKind.EXTERNAL
    path = urlsplit(page_url).path
    if path.startswith("/my-cases/") or path == "/my-cases":
        return PageKind.PORTAL
    if path.startswith(f"/s/{agency.slug}/") or path == f"/s/{agency.slug}":
        return PageKind.STOREFRONT
    return PageKind.TEAM_APP


def customer_widget_placement(
    agency: Agency, settings_row: WidgetSettings, page_url: str, site_origin: str
) -> Placement:
    """May the agency's customer widget show on this page? Exclusions win everywhere."""
    if agency.is_platform:
        return Placement(False, "The platform desk has no customer widget.")
    if not agency.support_widget_for_customers:
        return Placement(False, "The support widget is turned off for customers.")
    if not page_url or len(page_url) > 1000 or not origin_of(page_url):
        return Placement(False, "The page address is missing or not a full URL.")
    if any(url_matches(pattern, page_url) for pattern in settings_row.exclude_list):
        return Placement(False, "This page is excluded in the widget's visibility settings.")
    kind = page_kind(agency, page_url, site_origin)
    if kind == PageKind.PORTAL:
        return Placement(settings_row.show_on_portal, "portal")
    if kind == PageKind.STOREFRONT:
        return Placement(settings_row.show_on_storefront, "storefront")
    if kind == PageKind.TEAM_APP:
        return Placement(False, "The customer widget does not show inside the team app.")
    if origin_of(page_url) not in settings_row.allowed_origin_list:
        return Placement(False, "This website is not in the widget's allowed origins.")
    includes = settings_row.include_list
    if includes and not any(url_matches(pattern, page_url) for pattern in includes):
        return Placement(False, "This page is not in the widget's include patterns.")
    return Placement(True, "external")
