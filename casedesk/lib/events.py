"""In-process domain events: the one way out of a domain action (GUIDE convention 9).

A domain action says what happened and does not know who listens::

    emit(MessagePosted(message))            # inside the action's transaction

The apps that act on events subscribe once, at startup, in their ``AppConfig.ready``
(``casedesk/mail/subscribers.py``, ``casedesk/live/subscribers.py``, ...)::

    subscribe(MessagePosted, enqueue_notification_email)                 # in the transaction
    subscribe(CaseActivity, publish_to_browsers, after_commit=True)      # after commit

Two kinds of handler, and the choice is the durability rule:

- **in the transaction** (the default): for anything that must not be lost. The handler
  enqueues a durable task, which commits or rolls back with the action's own rows, so a crash
  between "saved" and "queued" cannot happen. An exception fails the action.
- **after commit** (``after_commit=True``): courtesies such as live updates. They run once the
  outermost transaction commits, never when it rolls back, so nobody hears of a row they cannot
  read yet. A failing handler is logged and never fails the write (``on_commit(robust=True)``).

Handlers run in the order they were subscribed; emitting an event nobody subscribed to does
nothing. Events are plain frozen dataclasses defined by the app that emits them
(``casedesk/cases/events.py``, ``casedesk/support/events.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

E = TypeVar("E")


@dataclass(frozen=True)
class _Subscription:
    handler: Callable[[Any], None]
    after_commit: bool


_subscriptions: dict[type, list[_Subscription]] = {}


def subscribe(event_type: type[E], handler: Callable[[E], None], *, after_commit: bool = False) -> None:
    """Call ``handler(event)`` for every ``event_type`` emitted; subscribing twice is a no-op."""
    subscription = _Subscription(handler, after_commit)
    handlers = _subscriptions.setdefault(event_type, [])
    if subscription not in handlers:
        handlers.append(subscription)


def unsubscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Remove ``handler`` (tests)."""
    _subscriptions[event_type] = [s for s in _subscriptions.get(event_type, []) if s.handler != handler]


def subscribers(event_type: type) -> list[tuple[Callable[[Any], None], bool]]:
    """(handler, after_commit) for ``event_type``, in calling order (tests and docs)."""
    return [(s.handler, s.after_commit) for s in _subscriptions.get(event_type, [])]


def emit(event: object) -> None:
    """Hand ``event`` to its subscribers: now for in-transaction handlers, on commit for the others."""
    for subscription in _subscriptions.get(type(event), ()):
        if subscription.after_commit:
            handler = subscription.handler
            transaction.on_commit(lambda handler=handler: handler(event), robust=True)  # type: ignore[misc]
        else:
            subscription.handler(event)
