"""No page markup needs 'unsafe-inline': no inline event handlers, no ``style=`` attributes, no
``javascript:`` URLs, and every ``<script>``/``<style>`` element carries the CSP nonce or a ``src``.

Scans every HTML template of the app (emails excepted: mail clients need inline styles and never
see our policy) and the HTML built in Python.
"""

from __future__ import annotations

import re
from pathlib import Path

import casedesk

ROOT = Path(casedesk.__file__).resolve().parent
# Email bodies are rendered for mail clients, which need inline styles; no browser page shows
# them without the dev mailbox's sandboxed frame, which has a policy of its own.
EMAIL_DIRS = (
    "mail/templates/mail/",
    "accounts/templates/accounts/emails/",
    "support/templates/support/emails/",  # email HTML needs inline styles; never a page
)
EMAIL_PAGES_OK = ("dev_mailbox", "quarantine", "original_email")

INLINE_HANDLER = re.compile(r"""[\s"'](on[a-z]+)\s*=""", re.IGNORECASE)
HTMX_EVAL = re.compile(r"""\b(?:hx|data-hx)-on[:\-]|\bhx-vals\s*=\s*['"]\s*js:|\bhx-vars\b""", re.IGNORECASE)
STYLE_ATTR = re.compile(r"""<[a-z][^>]*\sstyle\s*=""", re.IGNORECASE | re.DOTALL)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)
ELEMENT = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def _page_templates() -> list[Path]:
    found = []
    for path in sorted(ROOT.rglob("templates/**/*.html")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(EMAIL_DIRS) and not any(name in rel for name in EMAIL_PAGES_OK):
            continue
        found.append(path)
    return found


def _python_html() -> list[Path]:
    return [p for p in sorted(ROOT.rglob("*.py")) if "<" in p.read_text() and "migrations" not in p.parts]


def _problems(text: str) -> list[str]:
    problems = []
    for match in INLINE_HANDLER.finditer(text):
        # Only inside a tag: "on...=" in prose or Python keyword arguments is not a handler.
        head = text[: match.start()]
        if head.rfind("<") > head.rfind(">"):
            problems.append(f"inline handler {match.group(1)}=")
    problems += [f"htmx eval attribute {m.group(0)!r}" for m in HTMX_EVAL.finditer(text)]
    problems += ["style= attribute" for _ in STYLE_ATTR.finditer(text)]
    problems += ["javascript: URL" for _ in JS_URL.finditer(text)]
    for match in ELEMENT.finditer(text):
        attrs = match.group(2)
        if "src=" in attrs or "nonce=" in attrs or 'type="application/json"' in attrs:
            continue
        problems.append(f"<{match.group(1)}> without nonce")
    return problems


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): problems
        for path in _page_templates()
        if (problems := _problems(path.read_text()))
    }
    assert found == {}


def test_html_built_in_python_has_no_inline_script_style_or_handlers() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): problems
        for path in _python_html()
        if (problems := _problems(path.read_text()))
    }
    assert found == {}


def test_the_scanner_finds_what_it_looks_for() -> None:
    sample = (
        '<select onchange="this.form.submit()"></select><p style="margin:0"></p>'
        '<button hx-on:click="x()"></button><a href="javascript:void(0)"></a>'
        "<script>alert(1)</script><style>p{}</style>"
        '<script nonce="{{ CSP_NONCE }}">ok()</script><script src="/static/x.js"></script>'
    )
    assert len(_problems(sample)) == 6
