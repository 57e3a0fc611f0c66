"""Zigbee Smart Energy HAN hardware-in-the-loop: bridge on bellows/zigpy, fake NCP, SE codecs.

Nothing here imports bellows or zigpy at import time; the bridge and the fake NCP import them
when they start (install the ``hil`` extra).
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "ZigbeeBridge": "bridge",
    "FakeNcp": "ezsp_fake",
    "TunnelHub": "hub",
    "KeyEstablishment": "cbke",
    "StubBackend": "cbke",
    "PtyPair": "pty",
    "default_install_code": "air",
    "open_target": "target",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def bellows_available() -> bool:
    """True when bellows and zigpy can be imported."""
    try:
        import bellows.ezsp  # noqa: F401
        import zigpy.application  # noqa: F401
    except ImportError:
        return False
    return True
