"""``casedesk bench-triage-build [--articles N] [--examples K] [--engine E] [--repeat R]``.

Times ``build_index`` for a made-up help centre of N articles, each with a title, K example
questions and a body of three sections of about 400 characters (three passages), single-threaded.
Prints the figures; asserts nothing. docs/triage.md quotes its output.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casedesk.support.triage.engine import ENGINES, HelpEntry, build_index

WORDS = [
    "account", "billing", "invoice", "password", "team", "member", "upload", "file", "limit",
    "widget", "chat", "email", "case", "client", "agency", "settings", "report", "export", "import",
    "calendar", "reminder", "notification", "language", "profile", "security", "login", "browser",
    "mobile", "app", "download", "attachment", "folder", "archive", "support", "article",
    "question", "answer",
]  # fmt: skip
VERBS = ["change", "find", "use", "fix", "set up"]


def made_up_help_centre(articles: int, examples: int, seed: int = 0) -> list[HelpEntry]:
    rng = random.Random(seed)
    entries = []
    for number in range(articles):
        topic = " ".join(rng.sample(WORDS, 2))
        passages = [
            f"Section {part}\n\n" + " ".join(rng.choice(WORDS) for _ in range(55)).capitalize() + "."
            for part in range(3)
        ]
        questions = [
            f"how do I {rng.choice(VERBS)} the {topic} " + " ".join(rng.sample(WORDS, 3))
            for _ in range(examples)
        ]
        entries.append(
            HelpEntry(
                key=f"a{number}", title=f"The {topic} ({number})", passages=passages, examples=questions
            )
        )
    return entries


class Command(BaseCommand):
    help = "Time a triage index build for a made-up help centre (single-threaded)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--articles", type=int, default=50)
        parser.add_argument("--examples", type=int, default=5)
        parser.add_argument("--engine", action="append", choices=ENGINES, default=None)
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        from threadpoolctl import threadpool_limits

        from casedesk.support.triage import encoders

        entries = made_up_help_centre(options["articles"], options["examples"])
        size = f"{options['articles']} articles x {options['examples']} example questions"
        with threadpool_limits(limits=1):
            for engine in options["engine"] or ["minilm", "lexical"]:
                build_index(entries[:2], engine=engine)  # loads the model once, outside the timing
                for attempt in range(options["repeat"]):
                    encoders._build_cache.clear()  # a cold build: no text encoded before
                    self._time(engine, entries, f"{size}, cold (run {attempt + 1})")
                if engine == "minilm":
                    edited = [*entries[1:], made_up_help_centre(1, options["examples"], seed=99)[0]]
                    self._time(engine, edited, f"{size}, rebuild after one article changed")

    def _time(self, engine: str, entries: list[HelpEntry], label: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        build_index(entries, engine=engine)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        self.stdout.write(f"{engine}: {label}: build {wall:.2f} s wall, {cpu:.2f} s CPU")
