"""The one error type every GBCS decoder raises."""

from __future__ import annotations


class DecodeError(ValueError):
    """Malformed input, located by absolute byte offset and the field being read."""

    def __init__(self, offset: int, field: str, message: str) -> None:
        self.offset = offset
        self.field = field
        self.reason = message
        super().__init__(f"offset {offset}: {field}: {message}")


class EncodeError(ValueError):
    """A tree that cannot be encoded, located by its path in the tree."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.reason = message
        super().__init__(f"{path}: {message}")
