"""The thread's people, time and files in a real Chromium: avatars, grouped messages, day
separators and relative times (also for a message that arrives live), and the composer's files:
dropped and pasted files become chips with their size, can be removed, and the rest is sent."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Document, Message
from tests.browser.conftest import sign_in
from tests.browser.waits import wait_for_js
from tests.conftest import PASSWORD, Cast

pytestmark = pytest.mark.browser

# Where screenshots go when CASEDESK_SCREENSHOTS is set (to look at them, not to compare).
SHOTS = os.environ.get("CASEDESK_SCREENSHOTS", "")

# A File in the page, carried by a DataTransfer, as a drop or a paste brings it.
_TRANSFER = """([kind, files]) => {
  const dt = new DataTransfer();
  for (const [name, type, size] of files) {
    const head = type === 'application/pdf' ? '%PDF-1.4\\n' : '';  // sniffed as a PDF by the server
    dt.items.add(new File([head, new Uint8Array(size - head.length)], name, { type }));
  }
  const target = document.getElementById(kind === 'drop' ? 'composer' : 'composer-body');
  if (kind === 'drop') {
    target.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: dt }));
    target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  } else {
    target.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: dt }));
  }
}"""


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def _text(locator: Any) -> str:
    """What a person reads: lines joined by spaces, no-break spaces (as Django's filesizeformat
    writes "2.0\xa0KB") as plain ones."""
    return " ".join(locator.inner_text().split())


def _wait_live(page: Any) -> None:
    wait_for_js(page, "document.documentElement.dataset.live === 'on'", timeout=10_000)


def _backdate(message: Message, when: Any) -> None:
    Message.objects.filter(pk=message.pk).update(created_at=when)


def test_avatars_grouping_day_separators_and_relative_times_also_live(
    cast: Cast, live_url: str, browser: Any
) -> None:
    case = cast.case_a
    now = timezone.now()
    first = do_post_message(
        case=case, body="Two days ago, first", author_user=cast.carol_user, author_contact=cast.carol
    )
    second = do_post_message(
        case=case, body="Two days ago, second", author_user=cast.carol_user, author_contact=cast.carol
    )
    third = do_post_message(case=case, body="Bob answers today", author_user=cast.bob)
    _backdate(first, now - timedelta(days=2, minutes=3))
    _backdate(second, now - timedelta(days=2, minutes=2))
    _backdate(third, now - timedelta(minutes=5))

    for scheme, width in (("light", 1100), ("dark", 1100), ("phone", 390)):
        ctx = browser.new_context(
            timezone_id="Europe/Berlin",
            color_scheme="light" if scheme == "phone" else scheme,
            viewport={"width": width, "height": 900},
        )
        page = ctx.new_page()
        sign_in(page, live_url, cast.alice.email, PASSWORD)
        page.goto(f"{live_url}/cases/{case.pk}/messages/")
        page.wait_for_selector(".thread-day")
        days = page.locator(".thread-day").all_inner_texts()
        assert len(days) == 2 and days[1] == "Today" and days[0] != "Yesterday"
        # Carol's second message joins her first; Bob's starts a run of his own.
        assert "msg-grouped" not in (page.get_attribute(f"#m{first.pk}", "class") or "")
        assert "msg-grouped" in (page.get_attribute(f"#m{second.pk}", "class") or "")
        assert "msg-grouped" not in (page.get_attribute(f"#m{third.pk}", "class") or "")
        assert page.inner_text(f"#m{first.pk} .avatar") == "CC"
        assert page.inner_text(f"#m{third.pk} .avatar") == "BM"
        # Relative time, the exact one in the title, in the viewer's zone (Berlin, not UTC).
        time_el = page.locator(f"#m{third.pk} time.msg-time")
        assert time_el.locator(".msg-time-relative").inner_text() == "5 min ago"
        assert time_el.locator(".visually-hidden").inner_text().startswith(", ")  # the exact time, heard
        local = timezone.localtime(now - timedelta(minutes=5), timezone.get_fixed_timezone(0))
        assert time_el.get_attribute("datetime") is not None
        title = time_el.get_attribute("title") or ""
        assert title.endswith("(Europe/Berlin)") and f"{local.year}" in title
        # Hover (or focus inside the message) shows the exact time beside the relative one.
        after = f"getComputedStyle(document.querySelector('#m{third.pk} time.msg-time'), '::after').content"
        assert page.evaluate(after) == "none"
        page.hover(f"#m{third.pk} .msg-body")
        assert page.evaluate(after) == f'" · {time_el.get_attribute("data-exact")}"'
        _shot(page, f"thread-people-{scheme}.png")
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        )  # no sideways scroll
        if scheme == "light":
            _wait_live(page)
            # A message that arrives live joins Bob's run, under the same "Today".
            do_post_message(case=case, body="And one more thing, live", author_user=cast.bob)
            page.wait_for_selector("article.msg:has-text('one more thing')", timeout=15_000)
            live = page.locator("article.msg", has_text="one more thing")
            wait_for_js(
                page, "[...document.querySelectorAll('article.msg')].pop().classList.contains('msg-grouped')"
            )
            assert live.locator("time.msg-time .msg-time-relative").inner_text() == "just now"
            assert page.locator(".thread-day").all_inner_texts() == days
        ctx.close()


def test_dropped_and_pasted_files_show_as_chips_can_be_removed_and_the_rest_is_sent(
    cast: Cast, live_url: str, browser: Any
) -> None:
    case = cast.case_a
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    page = ctx.new_page()
    sign_in(page, live_url, cast.alice.email, PASSWORD)
    page.goto(f"{live_url}/cases/{case.pk}/messages/")
    _wait_live(page)

    page.evaluate(
        _TRANSFER, ["drop", [["brief.pdf", "application/pdf", 2048], ["old-draft.txt", "text/plain", 10]]]
    )
    page.evaluate(_TRANSFER, ["paste", [["screenshot.png", "image/png", 3 * 1024 * 1024]]])
    chips = page.locator("#composer-attachments .file-chip")
    assert chips.count() == 3
    assert _text(chips.nth(0)).startswith("PDF")
    assert "brief.pdf" in _text(chips.nth(0)) and "2.0 KB" in _text(chips.nth(0))
    assert "10 bytes" in _text(chips.nth(1))
    assert "3.0 MB" in _text(chips.nth(2)) and "file-chip--image" in (
        chips.nth(2).get_attribute("class") or ""
    )
    assert "from the clipboard" in page.inner_text("#composer-files-status")
    _shot(page, "composer-files.png")

    # Removed before sending, by keyboard: it never reaches the server.
    page.focus("button[aria-label='Remove old-draft.txt']")
    page.keyboard.press("Enter")
    assert chips.count() == 2
    # A file chosen with the picker joins them.
    page.set_input_files(
        "#composer-files", files=[{"name": "notes.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}]
    )
    assert chips.count() == 3

    page.fill("#composer-body", "The files you asked for")
    page.click("#composer-send")
    sent = page.wait_for_selector("article.msg:has-text('The files you asked for')")
    assert sent is not None
    assert page.locator("#composer-attachments .file-chip").count() == 0
    names = sorted(Document.objects.filter(case=case).values_list("name", flat=True))
    assert names == ["brief.pdf", "notes.csv", "screenshot.png"]
    in_thread = page.locator("article.msg:has-text('The files you asked for') .file-chip")
    assert in_thread.count() == 3
    assert _text(in_thread.filter(has_text="brief.pdf")) == "PDF brief.pdf 2.0 KB"
    _shot(page, "thread-files.png")
    ctx.close()


def test_copy_share_link_copies_and_says_so(cast: Cast, live_url: str, browser: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    do_post_message(
        case=cast.case_a,
        body="brief",
        author_user=cast.bob,
        files=[SimpleUploadedFile("brief.pdf", b"%PDF-1.4\n% brief\n")],
    )
    document = Document.objects.get(case=cast.case_a)
    ctx = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = ctx.new_page()
    sign_in(page, live_url, cast.carol_user.email, PASSWORD)
    page.goto(f"{live_url}/my-cases/{cast.case_a.pk}/documents")
    page.focus("button.copy-link")
    page.keyboard.press("Enter")
    page.wait_for_selector(".copy-feedback:has-text('Link copied.')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_url}/cases/documents/s/{document.share_token}"
    _shot(page, "documents-copy-link.png")
    ctx.close()


def test_photo_uploaded_in_settings_is_the_avatar_on_the_thread(
    cast: Cast, live_url: str, browser: Any
) -> None:
    import io

    from PIL import Image, ImageDraw

    picture = io.BytesIO()
    image = Image.new("RGB", (400, 300), (14, 116, 144))
    ImageDraw.Draw(image).ellipse((120, 70, 280, 230), fill=(250, 204, 21))
    image.save(picture, format="PNG")
    do_post_message(case=cast.case_a, body="Hello from Bob", author_user=cast.bob)
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    page = ctx.new_page()
    sign_in(page, live_url, cast.bob.email, PASSWORD)
    page.goto(f"{live_url}/settings/profile/")
    assert page.inner_text(".profile-photo .avatar") == "BM"
    page.set_input_files(
        "#profile-photo-file",
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": picture.getvalue()}],
    )
    page.click("text=Upload photo")
    page.wait_for_selector("text=Your photo is saved.")
    wait_for_js(page, "document.querySelector('.profile-photo .avatar img').naturalWidth === 256")
    _shot(page, "profile-photo.png")
    page.goto(f"{live_url}/cases/{cast.case_a.pk}/messages/")
    wait_for_js(
        page,
        "(() => { const i = document.querySelector('article.msg .avatar img');"
        " return i && i.complete && i.naturalWidth === 256; })()",
    )
    _shot(page, "thread-photo.png")
    ctx.close()
