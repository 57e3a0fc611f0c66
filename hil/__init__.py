"""smetsim hil package: hardware-in-the-loop bridges (hil.zigbee: Zigbee SE HAN over EZSP)."""

from __future__ import annotations

from typing import Any

_ZIGBEE = frozenset({"ZigbeeBridge", "FakeNcp"})


def __getattr__(name: str) -> Any:
    """Lazy exports: ``hil.ZigbeeBridge`` and ``hil.FakeNcp`` import bellows only when used."""
    if name in _ZIGBEE:
        from . import zigbee

        return getattr(zigbee, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
