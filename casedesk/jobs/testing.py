"""Run queued tasks synchronously, for tests and management commands.

Uses the same claim → execute → settle path as real workers (``casedesk.jobs.runner``), so a task
that keeps failing ends up FAILED with a ``FailedJob`` row, exactly as in production.
"""

from __future__ import annotations

import random

from casedesk.jobs.runner import claim_next, execute

DRAIN_WORKER_ID = "test-drain"


def drain_tasks(
    max_rounds: int = 50,
    *,
    include_delayed: bool = False,
    queue_names: list[str] | None = None,
    rng: random.Random | None = None,
) -> int:
    """Run ready tasks (including ones they enqueue) until none are left. Returns how many ran.

    Retries wait for their backoff (``run_after``) like in production, so by default a failing
    task runs once per call; ``include_delayed=True`` ignores ``run_after`` and keeps going until
    every task has succeeded or used up its attempts. Each task runs in a savepoint, so a failure
    rolls back its partial writes without breaking the test's transaction.
    """
    ran = 0
    for _ in range(max_rounds):
        ran_this_round = 0
        # One "round" is at most as many tasks as were claimable when it started, so a task that
        # re-enqueues itself forever cannot hang a test.
        budget = 1000
        while budget > 0:
            result = claim_next(DRAIN_WORKER_ID, queue_names, include_delayed=include_delayed)
            if result is None:
                break
            execute(result, DRAIN_WORKER_ID, savepoint=True, rng=rng)
            ran_this_round += 1
            budget -= 1
        ran += ran_this_round
        if ran_this_round == 0:
            break
    return ran
