"""Throttling of the three forms that guess or mail credentials: sign-in, the magic-link request
("email me a fresh link") and password reset.

Each form has a rule with two scopes, the account (the email address typed in) and the client
IP. Every attempt that counts (a failed sign-in; any request of a link or a reset) increments a
counter for both scopes. A counter lives for ``window`` seconds from its first attempt; when it
reaches its limit the scope is locked for ``lockout`` seconds, and while it is locked the form
answers 429 with ``Retry-After`` without looking at the password (so the right password is
refused too: a guesser learns nothing). A successful sign-in clears its account's counter.

Counters and locks live in the Django cache named by ``settings.THROTTLE_CACHE`` ("default"):
Redis in production (``REDIS_URL``; ``settings_production`` refuses to start without it), where
``add`` and ``incr`` are atomic and shared by every web process; per-process memory in the
embedded single-process mode. docs/security.md says why this is ours and not django-axes.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


@dataclass(frozen=True)
class Rule:
    name: str
    per_account: int
    per_ip: int
    window: int  # seconds a counter lives from its first attempt
    lockout: int  # seconds a scope stays locked once a counter reaches its limit
    what: str  # for the sentence on the 429 page: "Too many {what} ..."


_DEFAULTS = {
    "sign-in": Rule("sign-in", per_account=5, per_ip=20, window=900, lockout=900, what="failed sign-ins"),
    "magic-link": Rule("magic-link", per_account=5, per_ip=20, window=900, lockout=900, what="link requests"),
    "password-reset": Rule(
        "password-reset", per_account=5, per_ip=20, window=900, lockout=900, what="password reset requests"
    ),
}


def rule(name: str) -> Rule:
    """The rule for a form, with any overrides from ``settings.THROTTLE_RULES[name]`` (a dict)."""
    overrides = getattr(settings, "THROTTLE_RULES", {}).get(name, {})
    return replace(_DEFAULTS[name], **overrides)


def _cache() -> BaseCache:
    return caches[getattr(settings, "THROTTLE_CACHE", "default")]


def client_ip(request: HttpRequest) -> str:
    # uvicorn puts the client's address here, from X-Forwarded-For only behind a trusted proxy
    # (casedesk web --forwarded-allow-ips); a header the client sets itself is never believed.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _scopes(rule: Rule, ip: str, account: str) -> list[tuple[str, int]]:
    scopes = [(f"ip:{ip}", rule.per_ip)]
    account = account.strip().lower()
    if account:
        # Hashed: keys stay short and safe for any cache, and Redis holds no address book.
        digest = hashlib.sha256(account.encode()).hexdigest()[:32]
        scopes.append((f"account:{digest}", rule.per_account))
    return scopes


def _key(rule: Rule, scope: str, kind: str) -> str:
    return f"throttle:{rule.name}:{kind}:{scope}"


def retry_after(rule: Rule, *, ip: str, account: str = "") -> int:
    """Seconds until this IP and account may try again; 0 when neither scope is locked."""
    cache = _cache()
    now = time.time()
    keys = [_key(rule, scope, "lock") for scope, _ in _scopes(rule, ip, account)]
    until = max((float(v) for v in cache.get_many(keys).values()), default=0.0)
    return max(0, math.ceil(until - now))


def count(rule: Rule, *, ip: str, account: str = "") -> int:
    """Count one attempt in both scopes. Returns the lockout in seconds when this attempt
    reached a limit (the next one will be refused), else 0."""
    cache = _cache()
    locked = 0
    for scope, limit in _scopes(rule, ip, account):
        key = _key(rule, scope, "count")
        cache.add(key, 0, timeout=rule.window)
        try:
            attempts = cache.incr(key)
        except ValueError:  # expired between add and incr: this is the first attempt again
            cache.set(key, 1, timeout=rule.window)
            attempts = 1
        if attempts >= limit:
            # Locked from now; the counter starts again when the lock ends.
            cache.set(_key(rule, scope, "lock"), time.time() + rule.lockout, timeout=rule.lockout)
            cache.delete(key)
            locked = rule.lockout
    return locked


def clear_account(rule: Rule, account: str) -> None:
    """Forget an account's failures (after it signed in). The IP's counter stays."""
    for scope, _ in _scopes(rule, "", account)[1:]:
        _cache().delete(_key(rule, scope, "count"))


def _wait_phrase(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def too_many(request: HttpRequest, rule: Rule, seconds: int) -> HttpResponse:
    """429 with Retry-After: casedesk's page for people, ``{"detail": ...}`` for API callers."""
    seconds = max(1, seconds)
    message = (
        f"Too many {rule.what} from this network or for this account. "
        f"Wait {_wait_phrase(seconds)}, then try again."
    )
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse({"detail": message, "retry_after": seconds}, status=429)
    else:
        response = render(request, "429.html", {"message": message, "retry_after": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def _wants_json(request: HttpRequest) -> bool:
    if request.content_type == "application/json":
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def refuse_or_count(request: HttpRequest, name: str, account: str) -> HttpResponse | None:
    """For forms where every request counts (link and reset requests): the 429 response when
    this IP or account is locked; otherwise count the request and return None."""
    form_rule = rule(name)
    ip = client_ip(request)
    wait = retry_after(form_rule, ip=ip, account=account)
    if wait:
        return too_many(request, form_rule, wait)
    count(form_rule, ip=ip, account=account)
    return None
