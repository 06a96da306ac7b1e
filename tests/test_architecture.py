"""The house rules that a reader of the code should be able to trust, checked on the source.

One visibility rule: ``internal_only`` is *filtered* only in ``casedesk/cases/access.py``
(``client_visible_messages``, ``client_visible_documents``, ...). Everywhere else may read the
field to show it (a badge, an API field) or write it (an action), but never decide with it which
rows a query or a comprehension keeps. The layers between apps are checked by import-linter
(``lint-imports``, contracts in pyproject.toml).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "casedesk"
ACCESS_MODULE = PACKAGE / "cases" / "access.py"
FIELD = "internal_only"
# Calls whose arguments choose rows: QuerySet methods, Q/When objects, the builtin filter().
FILTERING_CALLS = {"filter", "exclude", "Q", "When"}
# QuerySet lookups that also choose rows, but share a name with dict.get: keywords only.
KEYWORD_LOOKUPS = {"get", "get_or_create", "update_or_create"}


def _mentions_field(node: ast.AST) -> bool:
    """``internal_only`` as a name, an attribute, a keyword (``message__internal_only=``) or a string."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id == FIELD:
            return True
        if isinstance(child, ast.Attribute) and child.attr == FIELD:
            return True
        if isinstance(child, ast.keyword) and child.arg is not None and child.arg.split("__")[-1] == FIELD:
            return True
        if isinstance(child, ast.Constant) and isinstance(child.value, str) and child.value.endswith(FIELD):
            return True
    return False


def _call_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return ""


def internal_only_filters(source: str, filename: str = "<source>") -> list[str]:
    """Every place in ``source`` where ``internal_only`` decides which rows are kept."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call) and _call_name(node) in FILTERING_CALLS | KEYWORD_LOOKUPS:
            arguments: list[ast.AST] = list(node.keywords)
            if _call_name(node) in FILTERING_CALLS:
                arguments += node.args
            if any(_mentions_field(argument) for argument in arguments):
                found.append(f"{filename}:{node.lineno}: {_call_name(node)}(... {FIELD} ...)")
        elif isinstance(node, ast.comprehension):
            for condition in node.ifs:
                if _mentions_field(condition):
                    found.append(f"{filename}:{condition.lineno}: comprehension `if` on {FIELD}")
    return found


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts and p != ACCESS_MODULE)


def test_internal_only_is_filtered_only_in_the_access_module() -> None:
    sources = _sources()
    assert len(sources) > 100  # the walk really covers the package
    offences = [
        offence
        for path in sources
        for offence in internal_only_filters(path.read_text(), str(path.relative_to(REPO)))
    ]
    assert offences == [], "Filter internal_only only in casedesk/cases/access.py:\n" + "\n".join(offences)


def test_the_access_module_is_where_the_rule_lives() -> None:
    found = internal_only_filters(ACCESS_MODULE.read_text())
    assert found, "the rule moved: update this test's ACCESS_MODULE"


@pytest.mark.parametrize(
    "snippet",
    [
        "Message.objects.filter(case=case, internal_only=False)",
        "Document.objects.exclude(internal_only=True)",
        "Notification.objects.filter(message__internal_only=False)",
        "Q(internal_only=False) | Q(author_contact=None)",
        "Document.objects.filter(**{'internal_only': False})",
        "[m for m in messages if not m.internal_only]",
        "{d.pk for d in documents if d.internal_only is False}",
        "list(filter(lambda m: not m.internal_only, messages))",
        "rows.get(pk=1, internal_only=False)",
    ],
)
def test_each_way_of_filtering_is_caught(snippet: str) -> None:
    assert internal_only_filters(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "badge = 'Internal' if message.internal_only else ''",  # display
        "payload = {'internal_only': message.internal_only}",  # an API field
        "Message.objects.create(case=case, internal_only=internal_only)",  # a write
        "publish(case.pk, event, payload, internal_only=message.internal_only)",
        "[serialise(m) for m in visible_messages(viewer, case)]",
        "internal_only = bool(form.cleaned_data.get('internal_only'))",  # a form's field
    ],
)
def test_reading_or_writing_the_field_is_fine(snippet: str) -> None:
    assert internal_only_filters(snippet) == []
