from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.accounts.models import User
from casedesk.api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user (shown once). Use it as: Authorization: Bearer <token>."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="integration")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with the email {options['email']}. Check the address.")
        _, raw = ApiToken.issue(user, options["name"])
        self.stdout.write(raw)
