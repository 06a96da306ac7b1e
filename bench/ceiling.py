"""The ceiling: plain INSERTs of a message-sized row through psycopg, at the same concurrency.

One autocommitted INSERT per "message" into an unlogged-free, index-light table shaped like
cases_message (a foreign key id, a body of the same length, a timestamp). Connections are
capped (PostgreSQL here allows 100 in all), clients beyond that wait for one, as they would
behind any pool. Run as its own process: ``python -m bench.ceiling < spec.json``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import psycopg

BODY = (
    "Thanks, I have attached the **revised brief** for the spring campaign. Can you check the budget "
    "line for social and let me know by Friday? bench-ceiling"
)


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    dsn = spec["dsn"]
    if "127.0.0.1" not in dsn and "localhost" not in dsn:
        raise SystemExit("The ceiling only runs against PostgreSQL on 127.0.0.1.")
    concurrency = int(spec["concurrency"])
    total = int(spec["requests"])
    pool_size = min(concurrency, int(spec.get("max_connections", 40)))
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as setup:
        await setup.execute(
            "CREATE TABLE IF NOT EXISTS bench_ceiling_message ("
            " id bigserial PRIMARY KEY, case_id bigint NOT NULL, body text NOT NULL,"
            " body_html text NOT NULL, internal_only boolean NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        )
        await setup.execute(
            "CREATE INDEX IF NOT EXISTS bench_ceiling_case ON bench_ceiling_message (case_id, id)"
        )
    pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    connections = [await psycopg.AsyncConnection.connect(dsn, autocommit=True) for _ in range(pool_size)]
    for conn in connections:
        pool.put_nowait(conn)
    latencies: list[float] = []
    counter = 0
    deadline = time.monotonic() + float(spec.get("time_limit", 30))

    async def client() -> None:
        nonlocal counter
        while counter < total and time.monotonic() < deadline:
            counter += 1
            started = time.monotonic()
            conn = await pool.get()
            try:
                await conn.execute(
                    "INSERT INTO bench_ceiling_message (case_id, body, body_html, internal_only)"
                    " VALUES (%s, %s, %s, false)",
                    (counter % 7, BODY, f"<p>{BODY}</p>"),
                )
            finally:
                pool.put_nowait(conn)
            latencies.append((time.monotonic() - started) * 1000)

    wall_started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    wall = time.monotonic() - wall_started
    for conn in connections:
        await conn.close()
    return {
        "ok": len(latencies),
        "wall_seconds": round(wall, 4),
        "throughput": round(len(latencies) / wall, 2) if wall else 0.0,
        "latencies_ms": [round(x, 3) for x in latencies],
        "connections": pool_size,
    }


def main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
