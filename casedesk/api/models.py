"""API tokens for integrations. Only a SHA-256 of each token is stored; the raw token is shown once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from casedesk.accounts.models import hash_token, new_token

TOKEN_PREFIX = "cdk_"  # noqa: S105 - a marker, not a secret


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters, so a person can tell their tokens apart in a list.
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: object, name: str) -> tuple[ApiToken, str]:
        raw = TOKEN_PREFIX + new_token()
        token = cls.objects.create(user=user, name=name[:100], token_hash=hash_token(raw), prefix=raw[:10])
        return token, raw

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
