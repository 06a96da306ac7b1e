"""Saved replies: the variables a body may use, and filling them in (issue 16 §4).

A saved reply is picked with ``/`` in the case-thread composer and in the support
conversation composer. Its body is Markdown like any message, with three variables:

- ``{{contact.first_name}}``: the first name of the person the reply goes to (the case's
  first contact by name, or the support visitor); ``there`` when there is no name, so
  "Hi {{contact.first_name}}," reads "Hi there,".
- ``{{case.title}}``: the case's title (for a support conversation: its case, else its subject).
- ``{{agent.first_name}}``: the first name of the teammate who picks the reply.

Spaces inside the braces are allowed (``{{ case.title }}``). Any other ``{{…}}`` is refused
when the reply is saved, with the list of the three, so a typo never reaches a client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from casedesk.accounts.access import Viewer
from casedesk.cases.access import visible_saved_replies
from casedesk.lib.markdown import plain_excerpt

VARIABLES = ("contact.first_name", "case.title", "agent.first_name")
CONTACT_FALLBACK = "there"
MAX_TITLE_CHARS = 80
MAX_BODY_CHARS = 10_000
PICKER_LIMIT = 8

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True)
class FillValues:
    contact_first_name: str = ""
    case_title: str = ""
    agent_first_name: str = ""

    def lookup(self, name: str) -> str:
        if name == "contact.first_name":
            return self.contact_first_name or CONTACT_FALLBACK
        if name == "case.title":
            return self.case_title
        if name == "agent.first_name":
            return self.agent_first_name
        return "{{" + name + "}}"


def first_name(full_name: str) -> str:
    parts = full_name.split()
    return parts[0] if parts else ""


def unknown_variables(body: str) -> list[str]:
    """The ``{{…}}`` names in ``body`` that are not one of VARIABLES, in order, once each."""
    seen: list[str] = []
    for match in _PLACEHOLDER.finditer(body):
        name = match.group(1)
        if name not in VARIABLES and name not in seen:
            seen.append(name)
    return seen


def fill(body: str, values: FillValues) -> str:
    return _PLACEHOLDER.sub(lambda match: values.lookup(match.group(1)), body)


def picker_results(viewer: Viewer, agency_id: int, query: str, values: FillValues) -> list[dict[str, object]]:
    """The ``/`` list: title, a plain preview and the text to insert, variables filled in."""
    replies = visible_saved_replies(viewer, agency_id, query[:60])[:PICKER_LIMIT]
    results: list[dict[str, object]] = []
    for reply in replies:
        text = fill(reply.body, values)
        results.append(
            {"id": reply.pk, "title": reply.title, "preview": plain_excerpt(text, 90), "insert": text}
        )
    return results
