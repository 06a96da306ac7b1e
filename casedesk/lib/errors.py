from __future__ import annotations


class ActionError(Exception):
    """A write was refused for a reason the person can fix. ``str(error)`` is shown to them.

    ``field`` names the form field it concerns, when there is one; ``code`` is stable for the API.
    """

    def __init__(
        self, message: str, *, code: str = "invalid", field: str | None = None, status: int = 400
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.status = status
