"""DUIS RequestID / ResponseID: ``originatorEUI:targetEUI:counter`` (RequestIDType in the XSD)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import DuisParseError

MAX_COUNTER = 2**64 - 1
_EUI = re.compile(r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}")
_NORMAL_EUI = re.compile(r"[0-9A-F]{2}(?:-[0-9A-F]{2}){7}")
_COUNTER = re.compile(r"0|[1-9][0-9]*")  # ASCII digits, no leading zeros (the XSD pattern)


def normalise_eui(value: str | bytes | int) -> str:
    """An EUI-64 as DUIS writes it: eight upper-case hex octets joined by hyphens.

    Accepts ``"90-B3-D5-1F-30-01-00-00"`` (any case), ``"90B3D51F30010000"``, 8 bytes or an int.
    """
    if isinstance(value, int):
        if not 0 <= value < 2**64:
            raise ValueError(f"EUI-64 out of range: {value}")
        value = value.to_bytes(8, "big")
    if isinstance(value, bytes | bytearray):
        if len(value) != 8:
            raise ValueError(f"EUI-64 must be 8 bytes, got {len(value)}")
        return "-".join(f"{b:02X}" for b in value)
    if isinstance(value, str) and _NORMAL_EUI.fullmatch(value):  # already as DUIS writes it (the common case)
        return value
    text = value.strip()
    if re.fullmatch(r"[0-9A-Fa-f]{16}", text):
        text = "-".join(text[i : i + 2] for i in range(0, 16, 2))
    if not _EUI.fullmatch(text):
        raise ValueError(f"not an EUI-64: {value!r}")
    return text.upper()


@dataclass(frozen=True, order=True)
class RequestId:
    """One DUIS identifier: the business originator, the target and the originator's counter.

    A ResponseID has the same shape with originator and target swapped (see :meth:`swapped`).
    """

    originator: str
    target: str
    counter: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "originator", normalise_eui(self.originator))
        object.__setattr__(self, "target", normalise_eui(self.target))
        if isinstance(self.counter, bool) or not isinstance(self.counter, int):
            raise TypeError(f"counter must be an int, got {type(self.counter).__name__}")
        if not 0 <= self.counter <= MAX_COUNTER:
            raise ValueError(f"counter {self.counter} outside 0..2^64-1")

    @classmethod
    def parse(cls, text: str) -> RequestId:
        """Parse ``EUI:EUI:counter``; raises :class:`DuisParseError` on anything else."""
        parts = text.strip().split(":")
        if len(parts) != 3 or not _COUNTER.fullmatch(parts[2]):
            raise DuisParseError(f"RequestID {text!r} is not EUI:EUI:counter")
        try:
            return cls(parts[0], parts[1], int(parts[2]))
        except ValueError as exc:
            raise DuisParseError(f"RequestID {text!r}: {exc}") from None

    def swapped(self) -> RequestId:
        """The matching ResponseID (target:originator:counter), or back again."""
        return RequestId(self.target, self.originator, self.counter)

    def __str__(self) -> str:
        return f"{self.originator}:{self.target}:{self.counter}"
