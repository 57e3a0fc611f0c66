"""Many small premises behind one delivery interface, built lazily and sharing one test PKI.

Premises ``i`` (0 <= i < count) holds one device per *slot* (by default the ESME, GSME, CHF
and GPF of :data:`~proving.premises.DEFAULT_DEVICES`), with EUIs ``00DB1235 iiiiii ss``
(:func:`fleet_eui`).  Issuing keys per device would cost seconds per premises, so every
device of a slot uses the keys (and certificates) of that slot's template device in the
PKI; the DCC side reaches them through an aliasing :class:`~gbcs.crypto.KeystoreView`.
A premises is an :class:`~proving.premises.EmulatedPremises` with its own virtual clock,
created on its first message.  :func:`fleet_dcc` puts the DCC front end in front of it,
as :func:`~proving.embedded.embedded_dcc` does for the single premises.

Memory: what a device shares with the others of its slot is shared, not copied: the profile
(parsed once), its COSEM objects and ZCL tables (copied on write, :mod:`emulator.cosem_model`,
:mod:`emulator.zcl_model`), the keys and their public halves, the trust anchors; a premises'
clock makes its random source only when something draws from it (:class:`PremisesClock`).
A premises whose four devices have each answered a command takes about 13 KB of resident
memory (``benches/fleet_scale.py``), so 100,000 premises fit in about 1.4 GB.
:meth:`Fleet.read_command` gives a cheap read for each slot's device (benches, tests).
"""

from __future__ import annotations

import fcntl
import json
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from emulator.clock import VirtualClock
from emulator.identity import DeviceKeys
from emulator.kinds import create_device
from emulator.profiles import load_profile
from emulator.testkit import access_request
from emulator.trust import TrustAnchors
from gbcs.crypto import KeystoreView, secure_message
from gbcs.errors import DecodeError
from gbcs.framing import parse_frame
from gbcs.gbz import encode_gbz
from smetsim.keys import Keystore

from .alert_storm import StormConfig
from .embedded import EmbeddedDcc, embedded_dcc
from .eui import EuiRange, eui_str
from .identities import ACB, ELECTRICITY_ANCHORS, GAS_ANCHORS, PP_USERS, make_pki
from .premises import DEFAULT_DEVICES, Delivery, EmulatedPremises, PremisesDevice

_NULL = {"type": "null"}
# a cheap non-critical read per device kind: (message code, DUIS User index or None for the ACB, content)
_TAMPER = bytes((0, 0, 94, 44, 0, 4))  # ECS81 supply tamper state (class 1)
_CHF_IDENTITY = bytes((0, 0, 96, 1, 1, 255))  # ECS26i device identity (class 1)
_VALVE_STATUS = (0x0702, 0x0014)  # GCS33 metering cluster, supply status


def _dlms_get(class_id: int, obis: bytes) -> Callable[[int], bytes]:
    return lambda counter: access_request(counter, [("get", class_id, obis, 2, _NULL)])


def _zcl_read(cluster: int, attribute: int) -> Callable[[int], bytes]:
    component = {"control": 1, "cluster": cluster,
                 "zcl": {"frame_control": 0, "sequence": 0, "command": 0, "records": [{"attribute": attribute}]}}
    content = encode_gbz({"profile": 0x0109, "components": [component]})
    return lambda counter: content


READS: dict[str, tuple[int, int | None, Callable[[int], bytes]]] = {
    "ESME": (0x00F9, 0, _dlms_get(1, _TAMPER)),  # by the import supplier
    "CHF": (0x0092, None, _dlms_get(1, _CHF_IDENTITY)),  # by the ACB
    "GSME": (0x0082, 1, _zcl_read(*_VALVE_STATUS)),  # by the gas supplier
    "GPF": (0x0082, 1, _zcl_read(*_VALVE_STATUS)),
}

FLEET_PREFIX = bytes.fromhex("00DB1235")
MAX_PREMISES = 1 << 24
SMALL_PREMISES: tuple[tuple[str, str, str, str], ...] = DEFAULT_DEVICES[:4]  # ESME, GSME, CHF, GPF
PKI_MARKER = "fleet-pki.json"


def fleet_eui(premises: int, slot: int) -> bytes:
    """The EUI of device ``slot`` of premises ``premises``."""
    if not 0 <= premises < MAX_PREMISES or not 0 <= slot < 256:
        raise ValueError(f"premises {premises} slot {slot} out of range")
    return FLEET_PREFIX + premises.to_bytes(3, "big") + bytes((slot,))


def locate(eui: bytes) -> tuple[int, int] | None:
    """(premises, slot) of a fleet EUI, or None for any other EUI."""
    eui = bytes(eui)
    if len(eui) != 8 or eui[:4] != FLEET_PREFIX:
        return None
    return int.from_bytes(eui[4:7], "big"), eui[7]


class PremisesClock(VirtualClock):
    """A premises' virtual clock whose random source is made on first use.

    A :class:`random.Random` holds 2.5 KB of Mersenne Twister state, as much as a third of an
    idle premises; most premises never draw from it.  Its sequence is that of ``Random(seed)``.
    """

    def __init__(self, start: float, *, seed: int) -> None:
        self._seed = seed
        self._rng: random.Random | None = None
        self._ready = False
        super().__init__(start, seed=seed)
        self._ready = True

    @property  # type: ignore[override]
    def rng(self) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(self._seed)
        return self._rng

    @rng.setter
    def rng(self, value: random.Random) -> None:
        self._rng = value if self._ready else None  # VirtualClock.__init__'s is dropped: made again when used


def ensure_pki(directory: str | Path, templates: tuple[bytes, ...]) -> Keystore:
    """Load the fleet's PKI from ``directory``, creating it once (workers sharing a directory wait on a lock)."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    wanted = sorted(eui.hex() for eui in templates)
    with open(root / ".fleet-pki.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = root / PKI_MARKER
        if not marker.exists() or json.loads(marker.read_text()).get("templates") != wanted:
            make_pki(root, templates)
            marker.write_text(json.dumps({"templates": wanted}))
        return Keystore.load(root)


class Fleet:
    """``count`` lazily built premises (see the module text); a :class:`~proving.premises.DeliveryTarget`."""

    def __init__(self, pki_dir: str | Path, count: int, *, devices: tuple[tuple[str, str, str, str], ...] =
                 SMALL_PREMISES, start: datetime | None = None, seed: int = 0) -> None:
        if not 0 < count <= MAX_PREMISES:
            raise ValueError(f"premises count {count}: expected 1..{MAX_PREMISES}")
        self.count = count
        self.slots = devices
        self.templates = tuple(bytes.fromhex(eui) for eui, *_ in devices)
        self.pki_dir = Path(pki_dir)
        self.keystore = ensure_pki(pki_dir, self.templates)
        self.clock = VirtualClock((start or datetime.now(UTC)).timestamp(), realtime=True, seed=seed)  # the DCC's time
        self.seed = seed
        self._keys = [DeviceKeys.load(pki_dir, eui) for eui in self.templates]
        # a device's peers' public keys, one pair per slot: each public_key() call is a new OpenSSL object
        self._public = [(keys.ka.public_key(), keys.ds.public_key()) for keys in self._keys]
        self._profiles = [load_profile(profile) for _, profile, _, _ in devices]
        self._anchors = {"electricity": TrustAnchors.from_keystore(self.keystore, ELECTRICITY_ANCHORS),
                         "gas": TrustAnchors.from_keystore(self.keystore, GAS_ANCHORS)}
        self._premises: dict[int, EmulatedPremises] = {}
        self._view: KeystoreView | None = None

    # ------------------------------------------------------------------ premises

    def slot_of(self, eui: bytes) -> tuple[int, int] | None:
        """(premises, slot) when ``eui`` is a device of this fleet."""
        where = locate(eui)
        if where is None or where[0] >= self.count or where[1] >= len(self.slots):
            return None
        return where

    def built(self, premises: int) -> bool:
        return premises in self._premises

    def premises(self, index: int) -> EmulatedPremises:
        """Premises ``index``, commissioned on first use."""
        existing = self._premises.get(index)
        if existing is not None:
            return existing
        if not 0 <= index < self.count:
            raise KeyError(f"no premises {index} (the fleet has {self.count})")
        site = EmulatedPremises.__new__(EmulatedPremises)  # its keys come from the shared PKI, not make_pki
        site.pki_dir = self.pki_dir
        site.keystore = self.keystore
        site.clock = PremisesClock(self.clock.now(), seed=self.seed + index)
        site.devices = {}
        for slot, (_, _, device_type, fuel) in enumerate(self.slots):
            eui = fleet_eui(index, slot)
            device = create_device(self._profiles[slot], eui, site.clock, self._anchors[fuel], self._keys[slot])
            site.devices[eui] = PremisesDevice(device, device_type, fuel)
        devices = list(site.devices.items())
        for eui, entry in devices:  # every device is on the HAN with the others
            for slot, (peer_eui, peer) in enumerate(devices):
                if peer_eui != eui:
                    entry.device.join(peer_eui, peer.device.profile.kind, *self._public[slot])
        self._premises[index] = site
        return site

    # ------------------------------------------------------------------ DeliveryTarget

    def device_type(self, eui: bytes) -> str | None:
        where = self.slot_of(eui)
        return self.slots[where[1]][2] if where is not None else None

    def supports(self, eui: bytes, message_code: int, payload_type: str) -> bool:
        where = self.slot_of(eui)
        return where is not None and self.premises(where[0]).supports(eui, message_code, payload_type)

    def deliver(self, command: bytes) -> Delivery:
        try:
            recipient = parse_frame(command).recipient
        except DecodeError:
            return Delivery(None, reachable=True)  # a device would drop it; nobody answers
        where = self.slot_of(recipient)
        if where is None:
            return Delivery(None, reachable=False)
        return self.premises(where[0]).deliver(command)

    # ------------------------------------------------------------------ keys

    def template(self, eui: bytes) -> bytes:
        """The PKI EUI holding ``eui``'s keys (itself for anything not in the fleet)."""
        where = locate(eui)
        if where is None or where[1] >= len(self.templates):
            return bytes(eui)
        return self.templates[where[1]]

    def view(self) -> KeystoreView:
        """The key store's view with fleet EUIs resolved to their slot's template keys."""
        if self._view is None:
            base = self.keystore.view()

            def alias(lookup: Callable[[bytes], object]) -> Callable[[bytes], object]:
                return lambda eui: lookup(self.template(eui))

            self._view = replace(base, ds_public=alias(base.ds_public), ka_public=alias(base.ka_public),
                                 is_device=alias(base.is_device))
        return self._view

    @property
    def device_ids(self) -> list[EuiRange]:
        """The fleet's device EUIs, as the range Section P keeps the PP IDs clear of."""
        return [EuiRange.of(eui_str(fleet_eui(0, 0)), eui_str(fleet_eui(self.count - 1, 255)))]

    def certificate_der(self, eui: bytes, usage: str) -> bytes | None:
        """SMKI look-up: the DER of the certificate a fleet device uses (its template's)."""
        certificate = self.keystore.certificate(self.template(eui), usage)
        return certificate.public_bytes(serialization.Encoding.DER) if certificate is not None else None

    def read_command(self, premises: int, slot: int, counter: int) -> bytes:
        """A cheap non-critical read (:data:`READS`) for device ``slot`` of ``premises``, as the DCC delivers it."""
        kind = self._profiles[slot].kind
        if kind not in READS:
            raise ValueError(f"no read command for a {kind}")
        code, user, content = READS[kind]
        originator = ACB if user is None else PP_USERS[user].eui
        return self.command(fleet_eui(premises, slot), code, content(counter), counter, originator=originator)

    def command(self, eui: bytes, message_code: int, content: bytes, counter: int, *,
                originator: bytes = PP_USERS[0].eui) -> bytes:
        """A non-critical command for a fleet device as the DCC delivers it (null signature, ACB MAC)."""
        return secure_message(cra=1, counter=counter, originator=originator, recipient=eui,
                              other_information=message_code.to_bytes(2, "big"), content=content,
                              keystore_view=self.view(), acb_eui=ACB, signature_form="null", mac_header=True)


def fleet_dcc(state_dir: str | Path, xsd_dir: str | Path, premises: int, *, audit_name: str = "audit.sqlite",
              start: datetime | None = None, seed: int = 0, storm: StormConfig | None = None,
              production: bool = False) -> EmbeddedDcc:
    """A fleet of ``premises`` premises and the DCC front end (``production``: Section P and G6 apply)."""
    fleet = Fleet(Path(state_dir), premises, start=start, seed=seed)
    return embedded_dcc(state_dir, xsd_dir, storm=storm, production=production, premises=fleet,
                        audit_name=audit_name)
