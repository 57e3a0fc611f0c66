"""Exceptions raised by the DUIS XML layer (all derive from :class:`DuisError`)."""

from __future__ import annotations


class DuisError(Exception):
    """Base class for every error raised by :mod:`proving.duis`."""


class DuisParseError(DuisError, ValueError):
    """The input is not well-formed XML, or not the DUIS message that was expected."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


class DuisSchemaError(DuisError):
    """The XSD could not be found or compiled."""


class DuisValidationError(DuisError):
    """A document does not conform to the XSD; ``errors`` holds one readable line per violation."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("document is not valid against the DUIS schema:\n  " + "\n  ".join(errors))
        self.errors = errors


class SignatureError(DuisError):
    """An XML signature is missing, malformed, made with an unexpected key or does not verify."""
