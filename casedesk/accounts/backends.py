from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from casedesk.accounts import throttle
from casedesk.accounts.models import User


class EmailBackend(ModelBackend):
    """Sign in with email (case-insensitive) and password. Inactive users cannot sign in.

    Every password check of the site goes through here (sign-in page, Django admin), so this is
    where failures are counted and where a locked IP or account is refused without checking the
    password (casedesk.accounts.throttle)."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = (kwargs.get("email") or username or "").strip().lower()
        if not email or password is None:
            return None
        rule = throttle.rule("sign-in")
        ip = throttle.client_ip(request) if request is not None else ""
        if request is not None and throttle.retry_after(rule, ip=ip, account=email):
            return None
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            User().set_password(password)  # same work either way: no timing oracle for emails
        elif user.check_password(password) and self.user_can_authenticate(user):
            if request is not None:
                throttle.clear_account(rule, email)
            return user
        if request is not None:
            throttle.count(rule, ip=ip, account=email)
        return None
