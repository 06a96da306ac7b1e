"""A counting SMTP sink for ``make prod-local`` and the benchmark: outbound mail goes somewhere real.

casedesk sends notification email over real SMTP in production mode; on one machine with no
mail server this accepts every message on 127.0.0.1, counts it and throws it away (optionally
keeping the last few in a folder). ``python -m bench.mailsink --port 2526 --count-file F``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self, count_file: Path | None, keep_dir: Path | None, keep: int) -> None:
        self.count = 0
        self.bytes = 0
        self.count_file = count_file
        self.keep_dir = keep_dir
        self.keep = keep
        self._last_write = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        self.bytes += len(envelope.content or b"")
        if self.keep_dir is not None and self.keep > 0:
            slot = self.count % self.keep
            (self.keep_dir / f"{slot:04d}.eml").write_bytes(envelope.original_content or envelope.content)
        self.flush(force=False)
        return "250 Message accepted for delivery"

    def flush(self, *, force: bool) -> None:
        now = time.monotonic()
        if self.count_file is None or (not force and now - self._last_write < 0.5):
            return
        self._last_write = now
        self.count_file.write_text(f"{self.count} {self.bytes}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2526)
    parser.add_argument("--count-file", type=Path, default=None)
    parser.add_argument("--keep-dir", type=Path, default=None, help="Keep the last --keep messages here.")
    parser.add_argument("--keep", type=int, default=50)
    args = parser.parse_args()
    if args.keep_dir is not None:
        args.keep_dir.mkdir(parents=True, exist_ok=True)
    handler = CountingHandler(args.count_file, args.keep_dir, args.keep)
    controller = Controller(handler, hostname=args.host, port=args.port, data_size_limit=64 * 1024 * 1024)
    controller.start()
    print(f"mail sink listening on {args.host}:{args.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def wait_and_report() -> None:
        while not stop.is_set():
            handler.flush(force=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)

    try:
        loop.run_until_complete(wait_and_report())
    finally:
        handler.flush(force=True)
        controller.stop()
        print(f"mail sink stopped after {handler.count} message(s)", flush=True)


if __name__ == "__main__":
    main()
