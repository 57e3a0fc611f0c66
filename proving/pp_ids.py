"""SEC Section P: Production Proving DCC IDs come from their own EUI-64 range, disjoint from every other ID.

The real PP range is DCC-assigned and not public [U]. The default below is a sub-block of the DCC's own
EUI-64 block (DCC Boxed uses 90-B3-D5-1F-30-xx-xx-xx), clear of every DCC Boxed / RTDS identity; it is
configurable (``pp_range_from_config``) and is always checked against the other IDs at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .eui import EuiLike, EuiRange, eui_int

DEFAULT_PP_RANGE = EuiRange.of("90-B3-D5-1F-3F-00-00-00", "90-B3-D5-1F-3F-FF-FF-FF")

IdItem = EuiLike | EuiRange
IdSource = Mapping[str, IdItem] | Iterable[IdItem]
"""IDs to keep clear of: labelled (``{"supplier": "90-B3-..."}``) or plain, single IDs or ranges."""


@dataclass(frozen=True, slots=True)
class Overlap:
    """One identifier (or range) that collides with the PP range."""

    kind: str  # "DCC ID" | "User ID" | "device ID"
    label: str | None
    ids: EuiRange

    def __str__(self) -> str:
        return f"{self.kind} {self.ids}" + (f" ({self.label})" if self.label else "")


class IdOverlapError(ValueError):
    """The PP ID range collides with other IDs; ``overlaps`` names each collision."""

    def __init__(self, pp_range: EuiRange, overlaps: list[Overlap]) -> None:
        names = "; ".join(str(o) for o in overlaps)
        super().__init__(f"Production Proving ID range {pp_range} overlaps {names}")
        self.pp_range = pp_range
        self.overlaps = overlaps


def _as_range(item: IdItem) -> EuiRange:
    return item if isinstance(item, EuiRange) else EuiRange.of(item)


def _items(source: IdSource) -> Iterator[tuple[str | None, EuiRange]]:
    if isinstance(source, Mapping):
        for label, item in source.items():
            yield str(label), _as_range(item)
    else:
        for item in source:
            yield None, _as_range(item)


def as_ranges(source: IdSource) -> list[EuiRange]:
    """The IDs of ``source`` as ranges (labels dropped)."""
    return [ids for _, ids in _items(source)]


def find_overlaps(
    pp_range: EuiRange, *, dcc_ids: IdSource = (), user_ids: IdSource = (), device_ids: IdSource = ()
) -> list[Overlap]:
    """Every other DCC ID, User ID or device ID (or range) that falls inside ``pp_range``."""
    out: list[Overlap] = []
    for kind, source in (("DCC ID", dcc_ids), ("User ID", user_ids), ("device ID", device_ids)):
        out.extend(Overlap(kind, label, ids) for label, ids in _items(source) if pp_range.overlaps(ids))
    return out


def check_pp_range(
    pp_range: EuiRange, *, dcc_ids: IdSource = (), user_ids: IdSource = (), device_ids: IdSource = ()
) -> None:
    """Start-up check: raise :class:`IdOverlapError` naming every ID the PP range collides with."""
    overlaps = find_overlaps(pp_range, dcc_ids=dcc_ids, user_ids=user_ids, device_ids=device_ids)
    if overlaps:
        raise IdOverlapError(pp_range, overlaps)


def pp_range_from_config(config: Mapping[str, str] | None) -> EuiRange:
    """The PP range from ``{"first": EUI, "last": EUI}`` (e.g. a TOML table); None gives the default."""
    if not config:
        return DEFAULT_PP_RANGE
    unknown = set(config) - {"first", "last"}
    if unknown or "first" not in config or "last" not in config:
        raise ValueError(f"PP range config needs exactly 'first' and 'last', got {sorted(config)}")
    return EuiRange.of(config["first"], config["last"])


def in_pp_range(eui: EuiLike, pp_range: EuiRange = DEFAULT_PP_RANGE) -> bool:
    """True when ``eui`` lies inside the PP range."""
    return eui_int(eui) in pp_range
