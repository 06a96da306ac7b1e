"""HTTP load generator, run as its own process: ``python -m bench.loadgen < spec.json``.

Reads a JSON spec on stdin, prints one JSON result on stdout. Every loop is bounded by both a
request count and a time limit, and only 127.0.0.1 is accepted as a target.

Spec keys: mode ("closed": ``concurrency`` clients each sending back-to-back; "paced": one
request every ``interval`` seconds), url, method, headers, json (a body template) or form
(fields), requests (count), time_limit (seconds), warmup (requests, not recorded), nonce_prefix.
Any string in the body containing ``{nonce}`` gets a unique ``<nonce_prefix>-<n>`` per request;
with ``cases`` (a list of ids), ``{case}`` in the URL takes them in turn.
"""

from __future__ import annotations

import asyncio
import json
import json as _json
import os
import sys
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

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


class RawResponse:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content


class RawClient:
    """A minimal HTTP/1.1 keep-alive client: a pool of plain asyncio connections.

    The load generator shares the machine's cores with the server it measures; httpx costs
    about 2-3 ms of CPU per request, which at hundreds of requests per second is a whole core
    taken from the server. This client costs a fraction of that. It speaks just enough HTTP for
    our own endpoints (Content-Length or chunked bodies, keep-alive) and nothing else.
    """

    def __init__(self, headers: dict[str, str], timeout: float) -> None:
        self.headers = headers
        self.timeout = timeout
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for _, writer in self.idle:
            writer.close()

    async def request(
        self, method: str, url: str, *, json: Any = None, data: dict[str, str] | None = None
    ) -> RawResponse:
        parts = urlsplit(url)
        body = b""
        headers = {"Host": parts.netloc, **self.headers}
        if json is not None:
            body = _json.dumps(json).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if body or method not in {"GET", "HEAD"}:
            headers["Content-Length"] = str(len(body))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        if self.idle:
            reader, writer = self.idle.pop()
        else:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(parts.hostname, parts.port or 80), self.timeout
            )
        try:
            writer.write(head.encode("latin-1") + body)
            status, content, keep = await asyncio.wait_for(_read_response(reader), self.timeout)
        except Exception as exc:
            writer.close()
            raise httpx.TransportError(f"{type(exc).__name__}: {exc}") from exc
        if keep:
            self.idle.append((reader, writer))
        else:
            writer.close()
        return RawResponse(status, content)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        content = b"".join(chunks)
    else:
        content = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, content, headers.get("connection", "").lower() != "close"


async def _one(client: Any, spec: dict[str, Any], nonce: str) -> tuple[float, int, Any]:
    kwargs: dict[str, Any] = {}
    if spec.get("json") is not None:
        kwargs["json"] = _fill(spec["json"], nonce)
    elif spec.get("form") is not None:
        kwargs["data"] = _fill(spec["form"], nonce)
    started = time.monotonic()
    try:
        url = _fill(spec["url"], nonce)
        cases = spec.get("cases")
        if cases:
            # Spread requests over several cases: "{case}" in the URL takes them in turn.
            url = url.replace("{case}", str(cases[int(nonce.rsplit("-", 1)[-1]) % len(cases)]))
        response = await client.request(spec.get("method", "GET"), url, **kwargs)
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
    if spec.get("client", "raw") == "raw":
        client_cm: Any = RawClient(spec.get("headers", {}), float(spec.get("timeout", 30)))
    else:
        client_cm = httpx.AsyncClient(headers=spec.get("headers", {}), limits=limits, timeout=timeout)
    async with client_cm as client:
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
                sent.append({"nonce": nonce, "t": started, "t_done": finished, "id": ident})
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
        "client": spec.get("client", "raw"),
    }


def main() -> None:
    spec = json.loads(sys.stdin.read())
    result = asyncio.run(run(spec))
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
