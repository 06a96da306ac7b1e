"""Prints how long grouping the Settings → Help centre questions takes: TF-IDF + agglomerative
clustering (what the page does) against embedding them with the triage engine's MiniLM encoder.

    OMP_NUM_THREADS=1 .venv/bin/python -m bench.help_insights [count]
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import UTC, datetime

import django


def main(count: int = 500) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    django.setup()
    from casedesk.support import insights
    from casedesk.support.triage.minilm import default_minilm

    rng = random.Random(1)
    # 50 topics asked 10 ways each: what a month of unanswered questions may look like.
    topics = [
        f"{a} {b}"
        for a in ("refund", "delivery", "invoice", "password", "warranty")
        for b in (
            "kettle",
            "sofa",
            "bicycle",
            "laptop",
            "ticket",
            "voucher",
            "parcel",
            "account",
            "membership",
            "lamp",
        )
    ]
    forms = [
        "How do I get my {}?",
        "Can you help with the {}",
        "What about my {} please",
        "{} not working",
        "Where is the {}?",
        "I have a question about the {}",
        "Is there any news on my {}",
        "Problem with {} again",
        "Why is my {} late?",
        "Tell me about {}",
    ]
    texts = [rng.choice(forms).format(topic) for topic in topics for _ in range(count // len(topics))]
    questions = [
        insights.EscalatedQuestion(i, text, datetime(2026, 1, 1, tzinfo=UTC)) for i, text in enumerate(texts)
    ]
    started = time.perf_counter()
    groups = insights.group_questions(questions)
    elapsed = time.perf_counter() - started
    print(f"TF-IDF + agglomerative, {len(texts)} questions: {elapsed:.3f} s, {len(groups)} groups")
    encoder = default_minilm()
    encoder.embed(texts[:8])  # load and warm
    started = time.perf_counter()
    encoder.embed(texts)
    print(f"MiniLM embed, {count} questions: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
