"""The chaos harness's own table.

``ChaosConversation``: only used by ``casedesk chaos-escalations`` when the real support
escalation is not installed (a stand-in "conversation" to escalate).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from casedesk.accounts.models import Agency


class ChaosConversation(models.Model):
    """Stand-in support conversation for the fault-injection run (``casedesk chaos-escalations``).

    Used only when the real support escalation path is not available. ``key`` is the
    idempotency key: at most one case per conversation, enforced by the one-to-one ``case``.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=20, default="bot")
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The table was created by the jobs app before this app existed; keeping its name lets
        # existing databases migrate without copying rows (see migrations/0001_initial.py).
        db_table = "jobs_chaosconversation"

    def __str__(self) -> str:
        return f"chaos conversation {self.key}"
