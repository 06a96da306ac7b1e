"""Many websocket viewers in one process: ``python -m bench.viewers < spec.json``.

Opens ``count`` live connections (bounded by ``time_limit``), prints ``READY <connected>`` on
stdout, then records when each frame arrives (time.monotonic(), the same clock as the posting
process on this machine) until a line ``STOP`` arrives on stdin (or ``listen_limit`` passes),
and prints one JSON line with, per nonce found in a frame, the arrival times.

Mode "hold" only opens idle connections in steps, printing ``HELD <n>`` after each step and
waiting for a line on stdin before the next, so the parent can read the server's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import resource
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


SKIP_EVENTS = {"hello", "subscribed", "error"}


async def _open(
    url: str, headers: dict[str, str], timeout: float, subscribe: Any = None
) -> ClientConnection | None:
    """Connect; send each ``subscribe`` request (one or a list) and wait for "subscribed"."""
    try:
        conn = await asyncio.wait_for(
            connect(url, additional_headers=headers, open_timeout=timeout, max_queue=None), timeout
        )
        for request in subscribe if isinstance(subscribe, list) else [subscribe] if subscribe else []:
            await conn.send(json.dumps(request))
            while True:
                frame = await asyncio.wait_for(conn.recv(), timeout)
                if '"subscribed"' in str(frame):
                    break
                if '"error"' in str(frame):
                    await conn.close()
                    return None
        return conn
    except Exception:
        return None


def frame_keys(text: str, pattern: re.Pattern[str]) -> set[str]:
    """What a live frame is about: "<event>:<message id>" for a JSON event, plus any nonces."""
    keys = set(pattern.findall(text))
    try:
        data = json.loads(text)
    except ValueError:
        return keys
    if isinstance(data, dict) and data.get("event") not in SKIP_EVENTS:
        payload = data.get("payload") or {}
        ident = payload.get("message", payload.get("id")) if isinstance(payload, dict) else None
        if ident is not None:
            keys.add(f"{data.get('event')}:{ident}")
    return keys


async def open_many(
    url: str, headers: dict[str, str], count: int, deadline: float, subscribe: Any = None
) -> list[ClientConnection]:
    connections: list[ClientConnection] = []
    batch = 100
    while len(connections) < count and time.monotonic() < deadline:
        size = min(batch, count - len(connections))
        opened = await asyncio.gather(*(_open(url, headers, 20, subscribe) for _ in range(size)))
        good = [c for c in opened if c is not None]
        connections.extend(good)
        if not good:
            break
    return connections


async def stdin_line() -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, sys.stdin.readline)


async def listen(spec: dict[str, Any]) -> dict[str, Any]:
    url, headers = spec["url"], spec.get("headers", {})
    pattern = re.compile(spec.get("nonce_regex", r"bench-[A-Za-z0-9]+-\d+"))
    deadline = time.monotonic() + float(spec.get("time_limit", 120))
    connections = await open_many(url, headers, int(spec["count"]), deadline, spec.get("subscribe"))
    receipts: dict[str, list[float]] = {}
    frames = 0
    unmatched: list[str] = []

    async def reader(conn: ClientConnection) -> None:
        nonlocal frames
        with contextlib.suppress(Exception):
            async for frame in conn:
                now = time.monotonic()
                frames += 1
                text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                found = frame_keys(text, pattern)
                for nonce in found:
                    receipts.setdefault(nonce, []).append(now)
                if not found and len(unmatched) < 3:
                    unmatched.append(text[:300])

    tasks = [asyncio.create_task(reader(c)) for c in connections]
    print(f"READY {len(connections)}", flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stdin_line(), float(spec.get("listen_limit", 300)))
    await asyncio.sleep(float(spec.get("grace", 1.0)))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
    return {"connected": len(connections), "frames": frames, "receipts": receipts, "unmatched": unmatched}


async def hold(spec: dict[str, Any]) -> dict[str, Any]:
    url, headers = spec["url"], spec.get("headers", {})
    deadline = time.monotonic() + float(spec.get("time_limit", 180))
    connections: list[ClientConnection] = []
    steps = [int(s) for s in spec["steps"]]
    reached: list[int] = []
    for target in steps:
        more = await open_many(url, headers, target - len(connections), deadline)
        connections.extend(more)
        alive = sum(1 for c in connections if c.state.name == "OPEN")
        reached.append(alive)
        print(f"HELD {alive}", flush=True)
        await stdin_line()
        if alive < target or time.monotonic() > deadline:
            break
    await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
    return {"steps": steps, "reached": reached}


def main() -> None:
    spec = json.loads(sys.stdin.readline())
    host = urlsplit(spec["url"]).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"The viewers only connect to loopback addresses, not {host!r}.")
    raise_fd_limit()
    result = asyncio.run(hold(spec) if spec.get("mode") == "hold" else listen(spec))
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
