"""`casedesk web`: uvicorn with N workers serving the ASGI app (no server is started here)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command


def test_web_serves_the_asgi_app_with_the_requested_workers(settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    with mock.patch("uvicorn.run") as run:
        call_command("web", "--workers", "3", "--host", "127.0.0.1", "--port", "8123")
    (app,), options = run.call_args
    assert app == "casedesk.asgi:application"
    assert options["workers"] == 3
    assert options["host"] == "127.0.0.1"
    assert options["port"] == 8123
    assert options["lifespan"] == "off"


def test_web_refuses_zero_workers_with_a_sentence() -> None:
    with mock.patch("uvicorn.run"), pytest.raises(CommandError, match="one worker per CPU core"):
        call_command("web", "--workers", "0")


def test_web_warns_that_live_updates_need_redis_with_several_workers(settings: Any, capsys: Any) -> None:
    settings.REDIS_URL = ""
    with mock.patch("uvicorn.run"):
        call_command("web", "--workers", "2")
    assert "Set REDIS_URL" in capsys.readouterr().err
