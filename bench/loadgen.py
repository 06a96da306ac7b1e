"""HTTP load generator, run as its own process: ``python -m bench.loadgen < spec.json``.

Reads a JSON spec on stdin, prints one JSON result on stdout. Every loop is bounded by both a
request count and a time limit, and only 127.0.0.1 is accepted as a target.

Spec keys: mode ("closed": ``concurrency`` clients each sending back-to-back; "paced": one
request every ``interval`` seconds), url, method, headers, json (a body template) or form
(fields), requests (count), time_limit (seconds), warmup (requests, not recorded), nonce_prefix.
Any string in the body containing ``{nonce}`` gets a unique ``<nonce_prefix>-<n>`` per request.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import httpx


def _fill(template: Any, nonce: str) -> Any:
    if isinstance(template, str):
        return template.replace("{nonce}", nonce)
    if isinstance(template, dict):
        return {k: _fill(v, nonce) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, nonce) for v in template]
    return template


def check_target(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"The load generator only targets loopback addresses, not {host!r}.")


async def _one(client: httpx.AsyncClient, spec: dict[str, Any], nonce: str) -> tuple[float, int, Any]:
    kwargs: dict[str, Any] = {}
    if spec.get("json") is not None:
        kwargs["json"] = _fill(spec["json"], nonce)
    elif spec.get("form") is not None:
        kwargs["data"] = _fill(spec["form"], nonce)
    started = time.monotonic()
    try:
        response = await client.request(spec.get("method", "GET"), _fill(spec["url"], nonce), **kwargs)
        body = response.content
        status = response.status_code
    except httpx.HTTPError as exc:
        return started, -1, type(exc).__name__
    ident: Any = None
    if spec.get("capture_id") and status < 400:
        try:
            data = json.loads(body)
            ident = data.get("id", data.get("message"))
        except (ValueError, AttributeError):
            ident = None
    elif status >= 400:
        ident = body[:300].decode("utf-8", "replace")
    return started, status, ident


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    check_target(spec["url"])
    concurrency = int(spec.get("concurrency", 1))
    total = int(spec.get("requests", 100))
    time_limit = float(spec.get("time_limit", 60))
    prefix = spec.get("nonce_prefix", "bench")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(float(spec.get("timeout", 30)))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    sent: list[dict[str, Any]] = []
    counter = 0
    async with httpx.AsyncClient(headers=spec.get("headers", {}), limits=limits, timeout=timeout) as client:
        for i in range(int(spec.get("warmup", 0))):
            await _one(client, spec, f"{prefix}-warmup-{i}")
        cpu_started = time.process_time()
        wall_started = time.monotonic()
        deadline = wall_started + time_limit

        async def record(nonce: str) -> None:
            started, status, ident = await _one(client, spec, nonce)
            finished = time.monotonic()
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if 200 <= status < 400:
                latencies.append((finished - started) * 1000)
                sent.append({"nonce": nonce, "t": started, "id": ident})
            elif len(errors) < 5:
                errors.append(f"{status}: {ident}")

        if spec.get("mode", "closed") == "paced":
            interval = float(spec.get("interval", 0.2))
            for i in range(total):
                if time.monotonic() > deadline:
                    break
                await record(f"{prefix}-{i}")
                await asyncio.sleep(max(0.0, wall_started + (i + 1) * interval - time.monotonic()))
        else:

            async def client_loop() -> None:
                nonlocal counter
                while counter < total and time.monotonic() < deadline:
                    counter += 1
                    await record(f"{prefix}-{counter}")

            await asyncio.gather(*(client_loop() for _ in range(concurrency)))
        wall = time.monotonic() - wall_started
        cpu = time.process_time() - cpu_started
    ok = len(latencies)
    return {
        "ok": ok,
        "statuses": statuses,
        "errors": errors,
        "wall_seconds": round(wall, 4),
        "throughput": round(ok / wall, 2) if wall > 0 else 0.0,
        "latencies_ms": [round(x, 3) for x in latencies],
        "client_cpu_seconds": round(cpu, 3),
        "sent": sent if spec.get("return_sent") else [],
        "pid": os.getpid(),
    }


def main() -> None:
    spec = json.loads(sys.stdin.read())
    result = asyncio.run(run(spec))
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
