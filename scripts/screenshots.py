"""``make screenshots``: the demo data in a throwaway database, driven in Chromium, written as PNGs
into docs/screenshots/ (the README and docs/ show them).

It runs ``casedesk migrate`` and ``casedesk demo-data`` against a fresh data folder, serves it with
``casedesk run`` on a free loopback port (its embedded worker opens the escalated support case), then
signs in as the demo people and photographs: the team thread, the portal thread, the widget on the
storefront (desktop and phone), the Support queue and the notifications page.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "casedesk-demo-2024"  # noqa: S105 -- the demo's printed password
WIDGET = "#casedesk-support-widget"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _casedesk(env: dict[str, str], *args: str, **kwargs: Any) -> Any:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "casedesk"), *args], env=env, check=True, **kwargs)


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310 -- our own http://127.0.0.1
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("casedesk did not start within 60 s")


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _shot(page: Any, name: str, **options: Any) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), **options)
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def _open_first_case(page: Any, base: str, list_path: str, title: str) -> None:
    page.goto(f"{base}{list_path}")
    page.click(f"a:has-text('{title}')")
    page.wait_for_load_state("networkidle")


def take(base: str) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        desktop = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
        phone = {"viewport": {"width": 390, "height": 780}, "device_scale_factor": 1, "is_mobile": True}

        # Widget: a visitor on the storefront gets an answer from the help centre, then a person.
        visitor = browser.new_context(**desktop).new_page()
        visitor.goto(f"{base}/s/northwind/")
        visitor.click(f"{WIDGET} >> button.launcher")
        visitor.fill(f"{WIDGET} >> #cd-input", "How do I send you files?")
        visitor.press(f"{WIDGET} >> #cd-input", "Enter")
        visitor.locator(WIDGET).locator("li.msg.bot_answer, li.msg.bot_notice").first.wait_for()
        visitor.wait_for_timeout(300)
        _shot(visitor, "widget-desktop")
        visitor.locator(WIDGET).get_by_role("button", name="Talk to a person", exact=True).click()
        visitor.locator(f"{WIDGET} >> li.msg.bot_notice").first.wait_for()

        phone_page = browser.new_context(**phone).new_page()
        phone_page.goto(f"{base}/s/northwind/")
        phone_page.click(f"{WIDGET} >> button.launcher")
        phone_page.fill(f"{WIDGET} >> #cd-input", "What are your opening hours?")
        phone_page.press(f"{WIDGET} >> #cd-input", "Enter")
        phone_page.locator(WIDGET).locator("li.msg.bot_answer, li.msg.bot_notice").first.wait_for()
        phone_page.wait_for_timeout(300)
        _shot(phone_page, "widget-phone")

        # Team: the Support queue (the escalated conversation waits there), a thread, notifications.
        team = browser.new_context(**desktop).new_page()
        _sign_in(team, base, "sam@northwind.example")
        for _ in range(40):  # the embedded worker escalates within a second or two
            team.goto(f"{base}/support/")
            if team.locator("text=How do I send you files?").count():
                break
            team.wait_for_timeout(500)
        _shot(team, "support-queue")
        _open_first_case(team, base, "/cases/", "Autumn menu launch campaign")
        _shot(team, "thread-team", full_page=False)
        team.goto(f"{base}/cases/notifications/")
        _shot(team, "notifications")

        client = browser.new_context(**desktop).new_page()
        _sign_in(client, base, "jenna@harborcoffee.example")
        _open_first_case(client, base, "/my-cases/", "Autumn menu launch campaign")
        _shot(client, "thread-portal")

        team_phone = browser.new_context(**phone).new_page()
        _sign_in(team_phone, base, "sam@northwind.example")
        _open_first_case(team_phone, base, "/cases/", "Autumn menu launch campaign")
        team_phone.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        team_phone.wait_for_timeout(200)
        _shot(team_phone, "thread-team-phone")
        browser.close()


def main() -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="casedesk-shots-") as data:
        env = {
            **os.environ,
            "CASEDESK_DATA_DIR": data,
            "SITE_URL": base,
            "DEBUG": "1",
            "CASEDESK_DEMO": "1",
            "OMP_NUM_THREADS": "1",
        }
        env.pop("DATABASE_URL", None)
        _casedesk(env, "migrate", "--noinput", stdout=subprocess.DEVNULL)
        _casedesk(env, "demo-data", "--verbosity", "0", stdout=subprocess.DEVNULL)
        server = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "casedesk"), "run", "--port", str(port), "--no-smtpd"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_up(base)
            take(base)
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
