"""``{{ user|avatar }}``: the same avatar the thread shows next to a person's messages."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from casedesk.accounts.models import User
from casedesk.lib.avatars import avatar_html, photo_token

register = template.Library()


@register.filter
def avatar(user: User) -> SafeString:
    token = photo_token(user.photo)
    url = reverse("accounts:photo", args=[token]) if token else ""
    # Safe: avatar_html escapes the initials and the URL.
    return mark_safe(avatar_html(user.name or user.email, f"u{user.pk}", url))
