"""``--target hil:zigbee:PORT`` (and ``hil:zigbee:fake``) as a started DeliveryTarget.

:func:`open_target` returns a :class:`ZigbeeTarget`: the started bridge (plus, for ``fake``,
an in-process fake NCP hosting the given emulated premises) and ``close()``.  Install codes
default to :func:`~hil.zigbee.air.default_install_code` of each premises device, which is what
the fake NCP (in process or ``smetsim hil fake-ncp``) gives its devices; a bench passes the
meters' real codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .air import default_install_code
from .bridge import ZigbeeBridge


class TargetError(RuntimeError):
    """The radio did not start, or devices did not join (one-line message)."""


@dataclass
class ZigbeeTarget:
    bridge: ZigbeeBridge
    fake: Any = None

    def close(self) -> None:
        self.bridge.stop()
        if self.fake is not None:
            self.fake.stop_thread()


def open_target(spec: str, premises: Any, *, install_codes: dict[bytes, bytes] | None = None,
                wait_devices: float = 30.0, **bridge_options: Any) -> ZigbeeTarget:
    """Start a bridge on ``spec`` (a serial port path, or ``fake``) for the devices of ``premises``."""
    fake = None
    port = spec
    if spec == "fake":
        from .ezsp_fake import FakeNcp

        fake = FakeNcp(premises)
        port = fake.start_thread()
    codes = install_codes or {eui: default_install_code(eui) for eui in premises.devices}
    bridge_options.setdefault("capabilities", premises)
    bridge = ZigbeeBridge(port, codes, **bridge_options)
    try:
        missing = bridge.start(wait_devices=wait_devices)
    except Exception as exc:
        if fake is not None:
            fake.stop_thread()
        raise TargetError(f"{port}: the Zigbee radio did not start: {type(exc).__name__}: {exc}") from exc
    if missing:
        target = ZigbeeTarget(bridge, fake)
        target.close()
        names = ", ".join(eui.hex().upper() for eui in missing)
        raise TargetError(f"{port}: devices did not join within {wait_devices:g} s: {names}")
    return ZigbeeTarget(bridge, fake)
