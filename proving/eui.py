"""EUI-64 identifiers (DUIS ``EUI``: 8 hyphen-separated hex octets) and inclusive EUI-64 ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass

_EUI = re.compile(r"^[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}$")
EUI_MAX = (1 << 64) - 1

EuiLike = int | str | bytes


def eui_int(value: EuiLike) -> int:
    """An EUI-64 as an integer, from "90-B3-D5-1F-30-01-00-00", 8 raw bytes or an int."""
    if isinstance(value, bytes):
        if len(value) != 8:
            raise ValueError(f"an EUI-64 is 8 bytes, got {len(value)}")
        return int.from_bytes(value, "big")
    if isinstance(value, str):
        if not _EUI.match(value):
            raise ValueError(f"not an EUI-64 (8 hyphen-separated hex octets): {value!r}")
        return int(value.replace("-", ""), 16)
    if isinstance(value, bool) or not 0 <= value <= EUI_MAX:
        raise ValueError(f"EUI-64 out of range: {value!r}")
    return value


def eui_str(value: EuiLike) -> str:
    """The canonical DUIS text form (upper-case, hyphenated) of an EUI-64."""
    n = eui_int(value)
    return "-".join(f"{b:02X}" for b in n.to_bytes(8, "big"))


@dataclass(frozen=True, slots=True)
class EuiRange:
    """An inclusive range of EUI-64s."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if not 0 <= self.first <= self.last <= EUI_MAX:
            raise ValueError(f"bad EUI-64 range {self.first:#x}..{self.last:#x}")

    @classmethod
    def of(cls, first: EuiLike, last: EuiLike | None = None) -> EuiRange:
        """A range from two EUI-64s in any accepted form; one EUI gives a single-ID range."""
        lo = eui_int(first)
        return cls(lo, lo if last is None else eui_int(last))

    def __contains__(self, value: object) -> bool:
        try:
            n = eui_int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        return self.first <= n <= self.last

    def __len__(self) -> int:
        return self.last - self.first + 1

    def overlaps(self, other: EuiRange) -> bool:
        """True when the two ranges share at least one EUI-64."""
        return self.first <= other.last and other.first <= self.last

    def __str__(self) -> str:
        if self.first == self.last:
            return eui_str(self.first)
        return f"{eui_str(self.first)}..{eui_str(self.last)}"
