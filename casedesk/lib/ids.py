"""Numbers from query strings and forms, read the same way everywhere."""

from __future__ import annotations

# Ids are BigAutoField: PostgreSQL raises on anything larger, so larger numbers are no id at all.
MAX_ID = 2**63 - 1


def parse_id(value: object, *, minimum: int = 1) -> int | None:
    """``value`` as an id, or None for anything else.

    Only ASCII digits count: ``str.isdigit`` also accepts "²" and other digits that ``int`` refuses,
    and numbers beyond ``MAX_ID`` (or below ``minimum``) would only fail later, in the database.
    """
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if minimum <= number <= MAX_ID else None
