"""The ``casedesk`` console command: ``manage.py`` with casedesk's settings as the default.

``casedesk run`` (embedded: web + worker + SMTP + dev mailbox), ``casedesk web``,
``casedesk worker``, ``casedesk smtpd``, ``casedesk demo-data`` and every other management
command are reachable as ``casedesk <command>``; dashes and underscores are interchangeable.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "casedesk"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
