"""`casedesk run` serves the app, with its worker and SMTP server, from one process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_run_serves_pages_static_files_and_smtp_then_stops_cleanly(tmp_path: Path) -> None:
    port, smtp_port = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "casedesk.settings",
        "CASEDESK_DATA_DIR": str(tmp_path),
        "INBOUND_SMTP_PORT": str(smtp_port),
        "UVICORN_LOG_LEVEL": "warning",
    }
    env.pop("DATABASE_URL", None)
    env.pop("CASEDESK_DEBUG", None)
    subprocess.run(
        [sys.executable, "-m", "casedesk", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "casedesk", "run", "--port", str(port), "--worker-threads", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/accounts/login/", timeout=5) as response:
            assert b"Sign in" in response.read()
        with urllib.request.urlopen(f"{base}/static/casedesk/app.css", timeout=5) as response:
            assert b"--brand" in response.read()
        # DEBUG is off: a missing page is casedesk's 404, not Django's URL list.
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/no-such-page", timeout=5)
        assert missing.value.code == 404
        page = missing.value.read()
        assert b"We can't find that page" in page and b"URLconf" not in page
        with socket.create_connection(("127.0.0.1", smtp_port), timeout=5) as smtp:
            assert smtp.recv(200).startswith(b"220")
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert f"casedesk is running at {base}/" in output
    assert "casedesk stopped." in output
