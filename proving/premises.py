"""The embedded premises a Production Proving run talks to: emulated devices behind one delivery interface.

:class:`EmulatedPremises` commissions one device of each kind (electricity: ESME, an ESME
with auxiliary proportional controllers, a SAPC, a HCALCS and a PPMID; gas: GSME and GPF;
the Comms Hub), with keys from the run's test PKI and trust anchors for the PP Users of
their fuel.  :meth:`deliver` hands a command to its recipient and runs virtual time until
nothing is pending, so future-dated instructions execute and their alerts come back with
the response.  A physical meter plugs in behind the same :class:`DeliveryTarget` protocol
(hil/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from emulator import registry
from emulator.clock import VirtualClock
from emulator.device import Device
from emulator.identity import DeviceKeys
from emulator.kinds import create_device
from emulator.profiles import load_profile
from emulator.trust import TrustAnchors
from gbcs.errors import DecodeError
from gbcs.framing import parse_frame
from smetsim.keys import Keystore

from .identities import ELECTRICITY_ANCHORS, GAS_ANCHORS, make_pki

# (EUI, firmware profile, DUIS device type, fuel)
DEFAULT_DEVICES: tuple[tuple[str, str, str, str], ...] = (
    ("00DB1234567BA000", "generic-esme", "ESME", "electricity"),
    ("00DB1234567BA001", "generic-gsme", "GSME", "gas"),
    ("00DB1234567BA002", "generic-chf", "CHF", "electricity"),
    ("00DB1234567BA003", "generic-gpf", "GPF", "gas"),
    ("00DB1234567BA004", "generic-ppmid", "PPMID", "electricity"),
    ("00DB1234567BA005", "generic-hcalcs", "HCALCS", "electricity"),
    ("00DB1234567BA006", "esme-apc", "ESME", "electricity"),
    ("00DB1234567BA007", "generic-sapc", "ESME", "electricity"),
)


@dataclass(slots=True)
class Delivery:
    """What came back for one command: the response (None when the device did not answer) and alerts."""

    response: bytes | None
    alerts: list[bytes] = field(default_factory=list)
    reachable: bool = True  # False: no device with that EUI answers here (DUIS E19 / E20)


class DeliveryTarget(Protocol):
    """Anything that takes GBCS commands for devices: emulated premises, a HIL bridge."""

    def device_type(self, eui: bytes) -> str | None: ...

    def deliver(self, command: bytes) -> Delivery: ...


@dataclass(slots=True)
class PremisesDevice:
    """One commissioned device and how DUIS sees it."""

    device: Device
    device_type: str
    fuel: str


class EmulatedPremises:
    """Emulated devices sharing one virtual clock (see the module text)."""

    def __init__(self, pki_dir: str | Path, *, start: datetime | float | None = None, seed: int = 0,
                 devices: tuple[tuple[str, str, str, str], ...] = DEFAULT_DEVICES, reuse_pki: bool = False) -> None:
        """Commission ``devices`` with keys from a fresh PKI in ``pki_dir`` (``reuse_pki``: the one there)."""
        euis = tuple(bytes.fromhex(eui) for eui, *_ in devices)
        if not reuse_pki:
            make_pki(pki_dir, euis)
        self.pki_dir = Path(pki_dir)
        self.keystore = Keystore.load(pki_dir)
        when = start if start is not None else datetime.now(UTC)
        self.clock = VirtualClock(when.timestamp() if isinstance(when, datetime) else when, seed=seed)
        anchors = {"electricity": TrustAnchors.from_keystore(self.keystore, ELECTRICITY_ANCHORS),
                   "gas": TrustAnchors.from_keystore(self.keystore, GAS_ANCHORS)}
        self.devices: dict[bytes, PremisesDevice] = {}
        for (_, profile, device_type, fuel), eui in zip(devices, euis, strict=True):
            device = create_device(load_profile(profile), eui, self.clock, anchors[fuel],
                                   DeviceKeys.load(self.pki_dir, eui))
            self.devices[eui] = PremisesDevice(device, device_type, fuel)
        for eui, entry in self.devices.items():  # every device is on the HAN with the others
            for peer_eui, peer in self.devices.items():
                if peer_eui != eui:
                    keys = peer.device.security.keys
                    entry.device.join(peer_eui, peer.device.profile.kind, keys.ka.public_key(),
                                      keys.ds.public_key())

    def device_type(self, eui: bytes) -> str | None:
        entry = self.devices.get(bytes(eui))
        return entry.device_type if entry else None

    def supports(self, eui: bytes, message_code: int, payload_type: str) -> bool:
        """True when the device implements the use case of ``message_code`` (in ``payload_type``)."""
        entry = self.devices.get(bytes(eui))
        if entry is None:
            return False
        return registry.implements(entry.device.profile, message_code, payload_type)

    def first_of(self, device_type: str, profile: str | None = None) -> bytes | None:
        """The EUI of the first device of a DUIS device type (and firmware profile, when given)."""
        for eui, entry in self.devices.items():
            if entry.device_type == device_type and (profile is None or entry.device.profile.name == profile):
                return eui
        return None

    def deliver(self, command: bytes) -> Delivery:
        try:
            recipient = parse_frame(command).recipient
        except DecodeError:
            recipient = None
        return self.deliver_to(recipient, command)

    def deliver_to(self, recipient: bytes | None, command: bytes, *, run_until_idle: bool = True) -> Delivery:
        """Hand ``command`` to ``recipient`` (None: unparseable), then run virtual time until idle (or to now)."""
        if recipient is None:
            return Delivery(None, reachable=True)  # a device would drop it; nobody answers
        entry = self.devices.get(recipient)
        if entry is None:
            return Delivery(None, reachable=False)
        output = entry.device.handle(command)
        alerts = list(output.alerts)
        if run_until_idle:
            self.clock.run_until_idle()
        else:
            self.clock.advance(0)
        alerts.extend(self.drain_outboxes())
        return Delivery(output.response, alerts)

    def drain_outboxes(self) -> list[bytes]:
        """The alerts devices raised outside a command (future-dated executions ...), taken from their outboxes."""
        alerts: list[bytes] = []
        for entry in self.devices.values():
            if entry.device.outbox:
                alerts.extend(entry.device.outbox)
                entry.device.outbox.clear()
        return alerts
