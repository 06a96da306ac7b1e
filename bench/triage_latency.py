"""CPU time per question of the default triage engine (issue 18: p99 <= 20 ms on one core).

    OMP_NUM_THREADS=1 python -m bench.triage_latency ../shared/data/clinc150/data_full.json

Builds the 10-shot CLINC150 index (150 entries; the cost per question does not depend on the
number of examples), then runs ``triage()`` on every val + oos_val question (never test), one at a
time on one thread, and prints p50 / p99 of the thread's CPU time (``time.thread_time``, which
stands for one quiet core) and of the wall clock.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np


def main(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()
    from casedesk.support.triage import build_index, triage
    from casedesk.support.triage.evaluation import build_entries, load_dataset

    data = load_dataset(path)  # type: ignore[arg-type]
    index = build_index(build_entries(data.train, 10, 0), engine="minilm")
    questions = [text for text, _ in data.val] + [text for text, _ in data.oos_val]
    for text in questions[:20]:  # first calls load the language detector and USE
        triage(text, index)
    cpu, wall = [], []
    for text in questions:
        c0, w0 = time.thread_time(), time.perf_counter()
        triage(text, index)
        cpu.append((time.thread_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    figures = {
        "questions": len(questions),
        "use_share": getattr(index.encoder, "use_share", None),
        "cpu_ms_p50": round(float(np.percentile(cpu, 50)), 2),
        "cpu_ms_p99": round(float(np.percentile(cpu, 99)), 2),
        "wall_ms_p50": round(float(np.percentile(wall, 50)), 2),
        "wall_ms_p99": round(float(np.percentile(wall, 99)), 2),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/clinc150/data_full.json")
