"""What a service refuses to write, as the API and the admin pages both show it."""

from __future__ import annotations


class WriteRefused(ValueError):
    """A write the account does not allow; `field` is the request key it is about ("base" for
    the record as a whole). The API answers it as a 422, the admin pages beside the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    @property
    def description(self) -> str:
        """As Zendesk words a validation error: "Email: is already being used by another user"."""
        if self.field == "base":
            return str(self)
        return f"{self.field.replace('_', ' ').capitalize()}: {self}"
