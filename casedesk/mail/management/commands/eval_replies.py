"""``casedesk eval-replies PATH [--json]``: score the reply parser on a JSONL case set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.mail.evaluation import evaluate


class Command(BaseCommand):
    help = "Score the reply parser on a JSONL set of cases; prints cases, passed and rate, then failures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path} does not exist. Pass the path of a cases.jsonl file.")
        report = evaluate(path)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"cases: {report.cases}  passed: {report.passed}  rate: {report.rate}")
        for failure in report.failures:
            self.stdout.write(f"\nFAILED {failure['id']}")
            self.stdout.write(f"  expected: {failure['expected']!r}")
            self.stdout.write(f"  got:      {failure['got']!r}")
